// The compose stack as a new user meets it: `make up` from a fresh clone without .env, the printed URL, a user, an
// upload, a download that decodes; the database restarted under the running app; the app stopped in the middle of
// an upload; `make down` / `make up` keeping the MP3 byte for byte; the runtime image; `make clean` deleting the volume.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { musicLike, sine } from '../fixtures/signals.js';
import { encodeWav } from '../fixtures/wav-writer.js';
import { composeStack, printedUrl, runCommand, type ComposeStack } from '../support/compose-stack.js';
import { createUser, download, uploadOk, type CreatedUser } from '../support/api-client.js';
import { decodeMp3 } from '../support/mp3-decode.js';
import { streamUpload } from '../support/slow-upload.js';

interface Context {
  stack: ComposeStack;
  url: string;
  user: CreatedUser;
  first: { url: string; sha256: string };
  interrupted?: { url: string };
  setupError?: unknown;
}
const lifecycle = suite<Context>('compose stack: lifecycle', {} as Context);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

lifecycle.before(async (context) => {
  try {
    context.stack = await composeStack('lifecycle');
  } catch (error) {
    context.setupError = error;
  }
});
lifecycle.before.each(({ setupError }) => {
  if (setupError) throw setupError;
});
lifecycle.after(async ({ stack }) => {
  await stack?.destroy();
});

lifecycle('when `make up` runs in a fresh clone without .env, then the URL it prints serves the page, converts an upload and the MP3 decodes', async (context) => {
  const started = performance.now();
  const up = await context.stack.make('up');
  assert.is(up.code, 0, up.output);
  console.log(`# make up (fresh clone, no .env): ${Math.round((performance.now() - started) / 1000)} s`);
  context.url = printedUrl(up.output);
  assert.is(context.url, 'http://localhost:8000');
  const page = await fetch(context.url);
  assert.is(page.status, 200);
  assert.match(await page.text(), /<title>[^<]*wav2mp3/i);
  context.user = await createUser(context.url, 'compose');
  const tone = sine(440, 10, 44100);
  const record = await uploadOk(context.url, encodeWav({ sampleRate: 44100, channels: 2 }, [tone, tone]), { user: context.user.id, token: context.user.token });
  assert.ok(record.url.startsWith(`${context.url}/record?id=`), record.url);
  const { response, bytes } = await download(record.url);
  assert.is(response.status, 200);
  const decoded = await decodeMp3(bytes);
  assert.is(decoded.samples, 10 * 44100);
  context.first = { url: record.url, sha256: sha256(bytes) };
});

lifecycle('when the image is inspected, then it runs as uid 1000 and holds neither dev dependencies nor the embedded PostgreSQL', async (context) => {
  const images = await context.stack.compose('images', '--format', 'json', 'app');
  const image = (JSON.parse(images.stdout) as { ID: string }[])[0]!.ID;
  // The packages installed at the top of node_modules, by their package.json (npm leaves empty scope folders).
  const listing = "id -u; id -g; find node_modules -mindepth 2 -maxdepth 3 -name package.json | sed -E 's#^node_modules/(.*)/package.json$#\\1#' | grep -v '/node_modules/'";
  const inside = await runCommand('docker', ['run', '--rm', '--network', 'none', '--entrypoint', 'sh', image, '-c', listing]);
  const [uid, gid, ...installed] = inside.stdout.trim().split('\n');
  assert.is(uid, '1000');
  assert.is(gid, '1000');
  const manifest = JSON.parse(await readFile(path.join(context.stack.dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of Object.keys(manifest.dependencies)) assert.ok(installed.includes(name), `${name} is missing from the image`);
  // The lockfile marks what only the dev tools or the optional embedded PostgreSQL need; none of it may be there.
  const lock = JSON.parse(await readFile(path.join(context.stack.dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean }> };
  const unwanted = installed.filter((name) => lock.packages[`node_modules/${name}`]?.dev || lock.packages[`node_modules/${name}`]?.optional);
  assert.equal(unwanted, [], 'dev-only or optional packages in the image');
  const size = await runCommand('docker', ['image', 'inspect', '--format', '{{.Size}}', image]);
  const base = await runCommand('docker', ['image', 'inspect', '--format', '{{.Size}}', (await readFile(path.join(context.stack.dir, 'Dockerfile'), 'utf8')).match(/^ARG NODE_IMAGE=(\S+)/m)![1]!]);
  console.log(`# runtime image: ${(Number(size.stdout) / 1e6).toFixed(0)} MB, of which the base image ${(Number(base.stdout) / 1e6).toFixed(0)} MB`);
});

lifecycle('when the database restarts under the running app, then requests meanwhile get 503 with Retry-After and the app recovers by itself', async (context) => {
  const statuses = new Map<string, number>();
  let stop = false;
  const poller = (async () => {
    while (!stop) {
      try {
        // A read that needs the database (the token check), not a sign-up: sign-ups are limited per address and hour.
        const response = await fetch(`${context.url}/user?id=${context.user.id}`, { headers: { Authorization: `Bearer ${context.user.token}` } });
        const body = (await response.json()) as { type?: string };
        const key = response.status === 503 ? `503 ${body.type} retry-after=${response.headers.get('retry-after')}` : String(response.status);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
      } catch (error) {
        statuses.set(`error ${(error as Error).message}`, (statuses.get(`error ${(error as Error).message}`) ?? 0) + 1);
      }
      await wait(50);
    }
  })();
  await wait(500);
  const restart = await context.stack.compose('restart', 'db');
  assert.is(restart.code, 0, restart.output);
  // Back within the pool's reconnect: the next request succeeds without touching the app.
  let recovered = false;
  for (let i = 0; i < 120 && !recovered; i++) {
    await wait(500);
    recovered = [...statuses.keys()].includes('200') && (await fetch(`${context.url}/readyz`)).status === 200;
  }
  stop = true;
  await poller;
  const seen = [...statuses.entries()].map(([k, n]) => `${k} ×${n}`).join(', ');
  console.log(`# during docker compose restart db: ${seen}`);
  assert.ok(recovered, seen);
  assert.ok([...statuses.keys()].some((k) => k.startsWith('503 /problems/database-unavailable retry-after=')), `a 503 during the outage: ${seen}`);
  assert.ok([...statuses.keys()].every((k) => k === '200' || /^503 \/problems\/database-unavailable retry-after=\d+$/.test(k)), seen);
  const after = await createUser(context.url, 'after restart');
  assert.ok(after.id);
});

lifecycle('when the app is stopped during a 5-minute upload, then the client still gets 201, the container exits 0 and the MP3 is there after make up', async (context) => {
  const audio = musicLike(300, 44100, 2);
  const wav = encodeWav({ sampleRate: 44100, channels: 2 }, audio);
  // About 6 s on the wire; the stop comes 2 s in.
  const pending = streamUpload(`${context.url}/record`, wav, { user: context.user.id, token: context.user.token }, { bytesPerSecond: 9_000_000 });
  await wait(2000);
  const stop = await context.stack.compose('stop', 'app');
  assert.is(stop.code, 0, stop.output);
  const answer = await pending;
  assert.is(answer.status, 201, answer.body);
  const ps = await context.stack.compose('ps', '--all', '--format', 'json', 'app');
  const exitCode = (JSON.parse(`[${ps.stdout.trim().split('\n').join(',')}]`) as { ExitCode: number }[])[0]!.ExitCode;
  assert.is(exitCode, 0);
  context.interrupted = { url: (JSON.parse(answer.body) as { url: string }).url };
  const up = await context.stack.make('up');
  assert.is(up.code, 0, up.output);
  const { response, bytes } = await download(context.interrupted.url);
  assert.is(response.status, 200);
  assert.is((await decodeMp3(bytes)).samples, 300 * 44100);
});

lifecycle('when the stack goes down and up again, then the MP3 downloads byte for byte the same', async (context) => {
  const down = await context.stack.make('down');
  assert.is(down.code, 0, down.output);
  const started = performance.now();
  const up = await context.stack.make('up');
  assert.is(up.code, 0, up.output);
  console.log(`# make up (warm, after make down): ${Math.round((performance.now() - started) / 1000)} s`);
  const { response, bytes } = await download(context.first.url);
  assert.is(response.status, 200);
  assert.is(sha256(bytes), context.first.sha256);
});

lifecycle('when `make clean CONFIRM=yes` runs, then the database volume is gone and the next start is empty', async (context) => {
  const volume = `${context.stack.project}_pgdata`;
  assert.match((await runCommand('docker', ['volume', 'ls', '--quiet'])).stdout, new RegExp(`^${volume}$`, 'm'));
  const clean = await context.stack.make('clean', 'CONFIRM=yes');
  assert.is(clean.code, 0, clean.output);
  assert.not.match((await runCommand('docker', ['volume', 'ls', '--quiet'])).stdout, new RegExp(`^${volume}$`, 'm'));
  assert.is((await context.stack.compose('ps', '--all', '--quiet')).stdout.trim(), '');
});

lifecycle.run();
