// `make up REPLICAS=3`: three app replicas behind the project's nginx. 24 uploads at once by three users, some over
// the per-user cap, each get 201, 429 or 503 with a problem body — never a 502 or a reset — and conversions land on
// every replica; a refused 200 MB upload from Python's urllib gets its 401 through the proxy; download links carry the
// scheme, host and port the client used, and PUBLIC_URL still wins.
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { findFreePort } from '../../src/db/embedded.js';
import { musicLike } from '../fixtures/signals.js';
import { encodeWav, writeSparseWav } from '../fixtures/wav-writer.js';
import { createUser, upload, uploadOk, type CreatedUser } from '../support/api-client.js';
import { composeStack, printedUrl, type ComposeStack } from '../support/compose-stack.js';
import { sendUpload, UPLOAD_CLIENTS } from '../support/real-clients.js';

interface Context {
  stack: ComposeStack;
  port: number;
  url: string;
  users: CreatedUser[];
  setupError?: unknown;
}
const replicas = suite<Context>('compose stack: replicas behind nginx', {} as Context);

replicas.before(async (context) => {
  try {
    context.stack = await composeStack('replicas', { scaled: true });
    context.port = await findFreePort();
    const example = await readFile(path.join(context.stack.dir, '.env.example'), 'utf8');
    // One conversion per user per replica, so that eight uploads at once by one user must meet the cap.
    await writeFile(path.join(context.stack.dir, '.env'), example.replace(/^PORT=8000$/m, `PORT=${context.port}`).replace(/^MAX_CONVERSIONS_PER_USER=2$/m, 'MAX_CONVERSIONS_PER_USER=1'));
    const up = await context.stack.make('up', 'REPLICAS=3');
    if (up.code !== 0) throw new Error(`make up REPLICAS=3 failed:\n${up.output}`);
    context.url = printedUrl(up.output);
    context.users = await Promise.all(['ana', 'ben', 'cy'].map((name) => createUser(context.url, name)));
  } catch (error) {
    context.setupError = error;
  }
});
replicas.before.each(({ setupError }) => {
  if (setupError) throw setupError;
});
replicas.after(async ({ stack }) => {
  await stack?.destroy();
});

replicas('when three replicas are up, then three app containers run behind one published proxy', async ({ stack, url, port }) => {
  assert.is(url, `http://localhost:${port}`);
  const ps = await stack.compose('ps', '--format', '{{.Service}} {{.State}}');
  const running = ps.stdout.trim().split('\n').sort();
  assert.equal(running, ['app running', 'app running', 'app running', 'db running', 'proxy running'], ps.output);
});

replicas('when 24 uploads by three users arrive at once, then each gets 201, 429 or 503 with a problem body, never a 502, and every replica converts', async ({ stack, url, users }) => {
  const wav = encodeWav({ sampleRate: 44100, channels: 2 }, musicLike(60, 44100, 2));
  const outcomes = await Promise.all(
    Array.from({ length: 24 }, async (_, i) => {
      const user = users[i % users.length]!;
      try {
        const response = await upload(url, wav, { user: user.id, token: user.token });
        const type = response.headers.get('content-type') ?? '';
        const body = (await response.json()) as { type?: string; status?: number; url?: string };
        return response.status === 201 ? '201' : `${response.status} ${type.split(';')[0]} ${body.type}`;
      } catch (error) {
        return `error ${(error as Error).message} ${String((error as { cause?: unknown }).cause)}`;
      }
    }),
  );
  const counts = outcomes.reduce<Record<string, number>>((c, o) => ({ ...c, [o]: (c[o] ?? 0) + 1 }), {});
  console.log(`# 24 uploads through nginx to 3 replicas: ${JSON.stringify(counts)}`);
  const allowed = ['201', '429 application/problem+json /problems/too-many-conversions', '503 application/problem+json /problems/service-busy'];
  assert.ok(outcomes.every((o) => allowed.includes(o)), JSON.stringify(counts));
  assert.ok(counts['201']! > 0 && counts[allowed[1]!]! > 0, JSON.stringify(counts));
  // Round robin over the replicas: a few more uploads one at a time reach any replica the burst missed.
  const convertedOn = async () => {
    const logs = await stack.compose('logs', '--no-color', 'app');
    return new Set([...logs.stdout.matchAll(/^(\S+)\s+\|.*"msg":"conversion stored"/gm)].map((m) => m[1]));
  };
  for (let i = 0; i < 6 && (await convertedOn()).size < 3; i++) await uploadOk(url, wav, { user: users[0]!.id, token: users[0]!.token });
  assert.is((await convertedOn()).size, 3, [...(await convertedOn())].join());
});

replicas('when a client sends a refused 200 MB upload through the proxy, then curl, fetch, requests and urllib each get the 401', async ({ url, users }) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-big-'));
  try {
    const big = path.join(dir, 'big.wav');
    await writeSparseWav(big, 212 * 1024 * 1024);
    const outcomes = [];
    for (const client of UPLOAD_CLIENTS) {
      outcomes.push(await sendUpload(client, { url: `${url.replace('localhost', '127.0.0.1')}/record`, file: big, fields: { user: users[0]!.id, token: 'wrong' } }));
    }
    assert.equal(
      outcomes.map((o) => `${o.client} ${o.status ?? o.error}`),
      UPLOAD_CLIENTS.map((c) => `${c} 401`),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

replicas('when clients reach the proxy by different names, then each download link carries the scheme, host and port that client used', async ({ url, port, users }) => {
  const wav = encodeWav({ sampleRate: 8000, channels: 1 }, [new Float32Array(8000)]);
  for (const base of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
    const record = await uploadOk(base, wav, { user: users[1]!.id, token: users[1]!.token });
    assert.ok(record.url.startsWith(`${base}/record?id=${record.id}&user=`), record.url);
    assert.is((await fetch(record.url)).status, 200);
  }
  // A client cannot choose the host itself: nginx replaces what it sends.
  const forged = await fetch(`${url}/records?user=${users[1]!.id}`, { headers: { Authorization: `Bearer ${users[1]!.token}`, 'X-Forwarded-Host': 'evil.example' } });
  const { records } = (await forged.json()) as { records: { url: string }[] };
  assert.ok(records.every((r) => r.url.startsWith(`${url}/record?`)), records[0]?.url);
});

replicas('when PUBLIC_URL is set, then it wins over the forwarded host', async ({ stack, users }) => {
  await appendFile(path.join(stack.dir, '.env'), '\nPUBLIC_URL=https://audio.example.com\n');
  const up = await stack.make('up', 'REPLICAS=3');
  assert.is(up.code, 0, up.output);
  const url = printedUrl(up.output);
  const record = await uploadOk(url, encodeWav({ sampleRate: 8000, channels: 1 }, [new Float32Array(8000)]), { user: users[2]!.id, token: users[2]!.token });
  assert.ok(record.url.startsWith(`https://audio.example.com/record?id=${record.id}`), record.url);
});

replicas.run();
