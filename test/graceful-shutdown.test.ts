// SIGTERM while an upload is still arriving: the upload is finished and stored, the process exits 0, and the MP3 is
// there after a restart. Readiness turns 503 as soon as draining starts.
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { musicLike } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, download } from './support/api-client.js';
import { handMadeUpload } from './support/multipart.js';
import { connectFrom } from './support/raw-http.js';
import { decodeMp3 } from './support/mp3-decode.js';
import { startServiceProcess } from './support/service-process.js';
import { startTestService, testDatabaseUrl } from './support/test-service.js';

test('when draining starts, then /readyz answers 503 with Retry-After while /healthz stays 200', async () => {
  const service = await startTestService();
  try {
    assert.is((await fetch(`${service.url}/readyz`)).status, 200);
    service.lifecycle.draining = true;
    const ready = await fetch(`${service.url}/readyz`);
    assert.is(ready.status, 503);
    assert.match(ready.headers.get('retry-after') ?? '', /^\d+$/);
    assert.is(((await ready.json()) as { type: string }).type, '/problems/shutting-down');
    assert.is((await fetch(`${service.url}/healthz`)).status, 200);
  } finally {
    await service.close();
  }
});

test('when SIGTERM arrives mid-upload, then that upload gets its 201, the exit code is 0 and the MP3 survives a restart', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-sigterm-'));
  const env = process.env.TEST_EMBEDDED_DATABASE ? { DATA_DIR: dataDir } : { DATA_DIR: dataDir, DATABASE_URL: testDatabaseUrl() };
  try {
    const first = await startServiceProcess(env);
    const user = await createUser(first.url, 'draining');
    const wav = encodeWav({ sampleRate: 44100, channels: 2 }, musicLike(20, 44100, 2));
    const form = handMadeUpload('sigterm-boundary', user, 'filename="late.wav"');
    const body = Buffer.concat([Buffer.from(form.head), wav, Buffer.from(form.tail)]);
    const { port } = new URL(first.url);
    const exitCode = new Promise<number | null>((resolve) => first.child.once('exit', resolve));
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(
        { host: '127.0.0.1', port, path: '/record', method: 'POST', headers: { 'Content-Type': form.contentType, 'Content-Length': body.length } },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        },
      );
      request.on('error', reject);
      // Half the body, then the signal, then the rest.
      request.write(body.subarray(0, body.length / 2), () => {
        first.child.kill('SIGTERM');
        setTimeout(() => request.end(body.subarray(body.length / 2)), 300);
      });
    });
    const { status, body: text } = await answer;
    assert.is(status, 201, text);
    const record = JSON.parse(text) as { id: string };
    assert.is(await exitCode, 0);

    const second = await startServiceProcess(env);
    try {
      const { response, bytes } = await download(`${second.url}/record?id=${record.id}&user=${user.id}`);
      assert.is(response.status, 200);
      const decoded = await decodeMp3(bytes);
      assert.ok(Math.abs(decoded.samples / decoded.sampleRate - 20) < 0.001);
    } finally {
      assert.is(await second.stop(), 0);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('when SIGTERM arrives mid-upload, then a readiness probe queued behind it on the same connection answers 503', async () => {
  // The real signal, not the flag set by hand: new connections are refused once the server closes, so the probe rides
  // behind the upload on its keep-alive connection (HTTP/1.1 pipelining), as a proxy's reused upstream connection would.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-sigterm-ready-'));
  try {
    const service = await startServiceProcess({ DATA_DIR: dataDir, DATABASE_URL: testDatabaseUrl() });
    const user = await createUser(service.url, 'draining');
    const wav = encodeWav({ sampleRate: 44100, channels: 1 }, musicLike(5, 44100, 1));
    const form = handMadeUpload('ready-boundary', user, 'filename="late.wav"');
    const body = Buffer.concat([Buffer.from(form.head), wav, Buffer.from(form.tail)]);
    const exitCode = new Promise<number | null>((resolve) => service.child.once('exit', resolve));
    const connection = await connectFrom(service.url);
    connection.socket.write(`POST /record HTTP/1.1\r\nHost: x\r\nContent-Type: ${form.contentType}\r\nContent-Length: ${body.length}\r\n\r\n`);
    connection.socket.write(body.subarray(0, body.length / 2));
    await new Promise((r) => setTimeout(r, 200));
    service.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    connection.socket.write(Buffer.concat([body.subarray(body.length / 2), Buffer.from('GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n')]));
    const text = await connection.waitFor(/HTTP\/1\.1 \d{3}[\s\S]*HTTP\/1\.1 \d{3}[\s\S]*\r\n\r\n\{[^]*\}/, { timeoutMs: 60_000 });
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    assert.equal(statuses, [201, 503], text.slice(0, 2000));
    assert.match(text.slice(text.lastIndexOf('HTTP/1.1')), /retry-after: \d+/i);
    assert.match(text, '/problems/shutting-down');
    assert.is(await exitCode, 0, service.output().slice(-2000));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('when SIGTERM comes the moment the service says it is listening, then it still shuts down cleanly with exit code 0', async () => {
  // The handlers must be in place before the "listening" line: it once came first, and a signal sent on seeing it
  // (as an orchestrator or a test does) met Node's default action on a busy machine (code null, killed by SIGTERM).
  for (let i = 0; i < 8; i++) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-early-signal-'));
    try {
      const service = await startServiceProcess({ DATA_DIR: dataDir, DATABASE_URL: testDatabaseUrl() });
      assert.is(await service.stop(), 0, service.output().slice(-2000));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }
});

test.run();
