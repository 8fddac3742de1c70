// A first run the way a person's clone makes it: the service installed in a private folder (mode 0700, like /root or
// a `mktemp -d`), DATA_DIR inside it, no DATABASE_URL. Run as root, PostgreSQL runs as the postgres user, which cannot
// enter that folder, so its binaries and cluster must be placed where it can; run as anyone else, nothing moves.
// CI runs as root; the same test passes for a normal user.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readlink, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { removeCluster } from '../src/db/cluster-location.js';
import { SYSTEM_DIR } from '../src/db/embedded.js';
import { createUser } from './support/api-client.js';
import { serviceArguments } from './support/start-command.js';

const run = promisify(execFile);
// Compiled, this file is dist/test/; the installed service is two folders up.
const INSTALLED = fileURLToPath(new URL('../../', import.meta.url));
const asRoot = process.getuid?.() === 0;

/** What a clone holds after `npm install && npm run build`: hard links, quick to make, whose paths lie in the private folder. */
async function layOutClone(clone: string): Promise<void> {
  await mkdir(path.join(clone, 'dist'), { recursive: true });
  for (const part of ['dist/src', 'sql', 'public', 'package.json', 'node_modules']) {
    const source = path.join(INSTALLED, part);
    const target = path.join(clone, part);
    // Hard links need one file system, and files of one's own unless root (fs.protected_hardlinks): else copy.
    await run('cp', ['-al', source, target]).catch(async () => {
      await rm(target, { recursive: true, force: true });
      await run('cp', ['-a', source, target]);
    });
  }
}

/**
 * The service from the clone, as `npm start` runs it there; `use` gets its URL; then SIGTERM, which must
 * end it with exit code 0. Returns what `use` returned and everything the service logged.
 */
async function runService<T>(clone: string, dataDir: string, use: (url: string) => Promise<T>): Promise<{ result: T; log: string }> {
  const child: ChildProcess = spawn(process.execPath, serviceArguments(clone), {
    cwd: clone,
    // No DATABASE_URL: the embedded PostgreSQL, as on a fresh machine.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', LOG_REQUESTS: 'false', DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /"msg":"listening on (http:\/\/[^"]+)"/.exec(log);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    void exited.then((code) => reject(new Error(`the service exited with ${code} before listening:\n${log}`)));
  });
  try {
    return { result: await use(url), log };
  } finally {
    child.kill('SIGTERM');
    assert.is(await exited, 0, `a SIGTERM shutdown exits with 0:\n${log}`);
  }
}

test('when the service is installed in a private folder and started without DATABASE_URL, then it serves, stops with 0 and keeps its data', async () => {
  const home = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-private-'));
  await chmod(home, 0o700);
  const clone = path.join(home, 'wav2mp3');
  const dataDir = path.join(clone, 'data');
  try {
    await layOutClone(clone);

    const first = await runService(clone, dataDir, async (url) => {
      assert.is((await fetch(`${url}/healthz`)).status, 200);
      return createUser(url, 'first run');
    });
    const user = first.result;

    const link = path.join(dataDir, 'postgres');
    if (asRoot) {
      // The postgres user cannot enter the private folder: the cluster lives elsewhere, linked from DATA_DIR.
      const moved = /"clusterDir":"([^"]+)","msg":"the postgres user cannot enter/.exec(first.log);
      assert.ok(moved, `the log says where the cluster went and why:\n${first.log}`);
      assert.ok(moved[1]!.startsWith(`${SYSTEM_DIR}/clusters/`), moved[1]);
      assert.is(await readlink(link), moved[1]);
      const { stdout } = await run('id', ['-u', 'postgres']);
      assert.is((await stat(moved[1]!)).uid, Number(stdout.trim()), 'the cluster belongs to the postgres user');
    } else {
      assert.ok((await lstat(link)).isDirectory(), 'the cluster is a folder in DATA_DIR');
      assert.is((await stat(link)).uid, process.getuid!());
    }

    await runService(clone, dataDir, async (url) => {
      const found = await fetch(`${url}/user?id=${user.id}`, { headers: { Authorization: `Bearer ${user.token}` } });
      assert.is(found.status, 200, 'the user made in the first run is still there');
      assert.is(((await found.json()) as { name: string }).name, 'first run');
    });
  } finally {
    // A relocated cluster lies outside the private folder; removeCluster finds it through DATA_DIR's link.
    await removeCluster(dataDir, SYSTEM_DIR);
    await rm(home, { recursive: true, force: true });
  }
});

test.run();
