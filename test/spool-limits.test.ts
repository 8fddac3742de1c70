// The spool holds nothing for a client not yet authenticated, stays inside its byte budget and leaves the disk its
// free-space floor, and keeps its files to the service's own user.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { encodeWav, writeSparseWav } from './fixtures/wav-writer.js';
import { musicLike } from './fixtures/signals.js';
import { createUser, upload } from './support/api-client.js';
import { streamUpload } from './support/slow-upload.js';
import { startTestService } from './support/test-service.js';

/** An upload whose file part comes before the user and token fields, streamed from `file`; ends once answered. */
function fileFirstUpload(url: string, file: string, size: number, fields: Record<string, string>): Promise<{ status: number; body: string }> {
  const boundary = 'file-first';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
  const tail = Buffer.from(
    Object.entries(fields)
      .map(([name, value]) => `\r\n--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}`)
      .join('') + `\r\n--${boundary}--\r\n`,
  );
  return new Promise((resolve, reject) => {
    const request = http.request(`${url}/record`, {
      method: 'POST',
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': head.length + size + tail.length },
    });
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    request.on('error', reject);
    request.write(head);
    const stream = createReadStream(file);
    stream.pipe(request, { end: false });
    stream.on('end', () => request.end(tail));
    request.on('close', () => stream.destroy());
  });
}

test('when six 300 MB files come before the user and a wrong token, then each is refused with 422 and nothing is ever written to the spool', async () => {
  const service = await startTestService();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-file-first-'));
  let watching = true;
  let largestSpool = 0;
  const watcher = (async () => {
    while (watching) {
      for (const name of await service.spooledFiles()) {
        largestSpool = Math.max(largestSpool, (await stat(path.join(service.spoolDir, name)).catch(() => ({ size: 0 }))).size, 1);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  try {
    const file = path.join(dir, 'big.wav');
    const size = 300 * 1024 * 1024;
    await writeSparseWav(file, size);
    const user = await createUser(service.url);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => fileFirstUpload(service.url, file, size, { user: user.id, token: '00000000-0000-4000-8000-000000000000' })),
    );
    for (const answer of answers) {
      assert.is(answer.status, 422, answer.body);
      const problem = JSON.parse(answer.body) as { type: string; detail: string };
      assert.match(problem.type, /credentials-after-file$/);
      assert.match(problem.detail, /Bearer/);
    }
    watching = false;
    await watcher;
    assert.is(largestSpool, 0, 'no spool file appeared');
  } finally {
    watching = false;
    await service.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('when the token comes as a Bearer header, then the file may come before the user field', async () => {
  const service = await startTestService();
  try {
    const user = await createUser(service.url);
    const wav = encodeWav({ sampleRate: 8000, channels: 1 }, musicLike(1, 8000, 1));
    const form = new FormData();
    form.append('file', new Blob([wav], { type: 'audio/wav' }), 'first.wav');
    form.append('user', user.id);
    const response = await fetch(`${service.url}/record`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${user.token}` } });
    assert.is(response.status, 201, await response.clone().text());
  } finally {
    await service.close();
  }
});

test('when an upload would take the spool past MAX_SPOOL_BYTES or the disk below MIN_FREE_DISK_BYTES, then it gets 503 with Retry-After before anything is written', async () => {
  const small = await startTestService({ maxSpoolBytes: 1024 * 1024 });
  const full = await startTestService({ minFreeDiskBytes: Number.MAX_SAFE_INTEGER });
  try {
    const big = encodeWav({ sampleRate: 44100, channels: 2 }, musicLike(8, 44100, 2)); // 1.4 MB
    const little = encodeWav({ sampleRate: 8000, channels: 1 }, musicLike(1, 8000, 1));
    const cases = [
      { service: small, wav: big, status: 503, type: /upload-spool-full$/ },
      { service: small, wav: little, status: 201, type: undefined },
      { service: full, wav: little, status: 503, type: /low-disk-space$/ },
    ];
    for (const { service, wav, status, type } of cases) {
      const user = await createUser(service.url);
      const response = await upload(service.url, wav, { user: user.id, token: user.token });
      assert.is(response.status, status, await response.clone().text());
      if (type) {
        assert.is(response.headers.get('retry-after'), '30');
        assert.match(((await response.json()) as { type: string }).type, type);
      }
      assert.equal(await service.spooledFiles(), []);
    }
  } finally {
    await small.close();
    await full.close();
  }
});

test('when an upload is being spooled, then its file is readable by the service alone', async () => {
  const service = await startTestService();
  try {
    const user = await createUser(service.url);
    const wav = encodeWav({ sampleRate: 8000, channels: 1 }, musicLike(4, 8000, 1));
    const pending = streamUpload(`${service.url}/record`, wav, { user: user.id, token: user.token }, { bytesPerSecond: 32_000 });
    let mode: number | undefined;
    while (mode === undefined) {
      const [name] = await service.spooledFiles();
      if (name) mode = (await stat(path.join(service.spoolDir, name))).mode & 0o777;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.is(mode.toString(8), '600');
    assert.is((await pending).status, 201);
  } finally {
    await service.close();
  }
});

test.run();
