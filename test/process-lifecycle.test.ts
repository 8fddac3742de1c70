// What the README promises about the process itself, checked on the real thing (`npm start`'s command line): `.env`
// loading and its precedence, invalid settings refused at start-up, SIGINT handled like SIGTERM, a second signal
// ending the process at once, and the spool of a crashed process removed at start-up.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { createUser } from './support/api-client.js';
import { handMadeUpload } from './support/multipart.js';
import { connectFrom } from './support/raw-http.js';
import { startServiceProcess } from './support/service-process.js';
import { serviceArguments } from './support/start-command.js';
import { suite } from './support/suite.js';
import { testDatabaseUrl } from './support/test-service.js';

interface Context {
  dataDir: string;
}

const lifecycle = suite<Context>('the service process', {} as Context);
lifecycle.before.each(async (context) => {
  context.dataDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-process-'));
});
lifecycle.after.each(async ({ dataDir }) => rm(dataDir, { recursive: true, force: true }));

const exitOf = (child: import('node:child_process').ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

lifecycle('when .env in the working directory sets what the environment does not, then it applies; where both do, the environment wins', async ({ dataDir }) => {
  // The service's working directory is DATA_DIR here (see service-process.ts).
  await writeFile(path.join(dataDir, '.env'), 'MAX_NAME_LENGTH=5\nMETRICS_TOKEN=from-the-dotenv-file-0123456789\n');
  const service = await startServiceProcess({ DATA_DIR: dataDir, DATABASE_URL: testDatabaseUrl(), METRICS_TOKEN: 'from-the-environment-0123456789' });
  try {
    const tooLong = await fetch(`${service.url}/user`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'sixsix' }) });
    assert.is(tooLong.status, 422, 'MAX_NAME_LENGTH=5 from .env applies');
    assert.is((await fetch(`${service.url}/user`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'five5' }) })).status, 201);
    const metrics = (token: string) => fetch(`${service.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);
    assert.is(await metrics('from-the-environment-0123456789'), 200, "the environment's METRICS_TOKEN");
    assert.is.not(await metrics('from-the-dotenv-file-0123456789'), 200, "the .env file's METRICS_TOKEN lost");
  } finally {
    assert.is(await service.stop(), 0);
  }
});

lifecycle('when a setting is invalid, then start-up is refused with exit code 1 and a message naming every bad setting', async ({ dataDir }) => {
  const child = spawn(process.execPath, serviceArguments(), {
    cwd: dataDir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, DATABASE_URL: testDatabaseUrl(), PORT: 'eighty', MAX_UPLOAD_BYTES: '-1', ENCODER: 'ffmpeg' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const { code } = await exitOf(child);
  assert.is(code, 1, output);
  for (const name of ['PORT', 'MAX_UPLOAD_BYTES', 'ENCODER']) assert.match(output, name, `the message names ${name}`);
  assert.not.match(output, /listening on/);
});

lifecycle('when SIGINT arrives, then the service shuts down as on SIGTERM: logged, exit code 0', async ({ dataDir }) => {
  const service = await startServiceProcess({ DATA_DIR: dataDir, DATABASE_URL: testDatabaseUrl() });
  const exited = exitOf(service.child);
  service.child.kill('SIGINT');
  assert.equal(await exited, { code: 0, signal: null }, service.output().slice(-2000));
  assert.match(service.output(), /"signal":"SIGINT".*"msg":"shutting down"/);
  assert.match(service.output(), /"msg":"stopped"/);
});

lifecycle('when a second signal arrives while an upload keeps shutdown waiting, then the process exits at once with code 1', async ({ dataDir }) => {
  const service = await startServiceProcess({ DATA_DIR: dataDir, DATABASE_URL: testDatabaseUrl() });
  const user = await createUser(service.url, 'patient');
  const exited = exitOf(service.child);
  // An upload that has sent its credentials and the start of its file, and then waits: shutdown waits for it.
  const upload = await connectFrom(service.url);
  const form = handMadeUpload('b', user);
  upload.socket.write(`POST /record HTTP/1.1\r\nHost: x\r\nContent-Type: ${form.contentType}\r\nContent-Length: 10000000\r\n\r\n${form.head}RIFF`);
  await new Promise((r) => setTimeout(r, 300));
  service.child.kill('SIGTERM');
  const stillRunning = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 1_000))]);
  assert.ok(stillRunning, `the first signal ended the process despite the upload in flight:\n${service.output().slice(-2000)}`);
  const second = Date.now();
  service.child.kill('SIGTERM');
  const { code } = await exited;
  assert.is(code, 1);
  assert.ok(Date.now() - second < 5_000, `the second signal took ${Date.now() - second} ms to end the process`);
  assert.match(service.output(), /second signal: exiting now/);
  upload.socket.destroy();
});

lifecycle('when the spool holds the upload of a process that crashed, then start-up removes it', async ({ dataDir }) => {
  // No process has this id (Linux pids stay below 2^22); its folder is what a killed service leaves behind.
  const orphan = path.join(dataDir, 'spool', '2147483646');
  await mkdir(orphan, { recursive: true });
  await writeFile(path.join(orphan, 'half.upload'), Buffer.alloc(64 * 1024));
  const service = await startServiceProcess({ DATA_DIR: dataDir, DATABASE_URL: testDatabaseUrl() });
  try {
    assert.equal(await readdir(path.join(dataDir, 'spool')), [String(service.child.pid)], 'only the new process has a spool folder');
  } finally {
    assert.is(await service.stop(), 0);
  }
});

lifecycle.run();
