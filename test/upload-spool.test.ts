import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { prepareUploadSpool } from '../src/upload-spool.js';

test('when the spool holds leftovers of dead processes and a live one, then only the live one is kept', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-spool-'));
  try {
    const live = String(process.ppid);
    for (const dir of ['2147483646', live, String(process.pid)]) {
      await mkdir(path.join(root, dir));
      await writeFile(path.join(root, dir, 'x.upload'), 'partial');
    }
    await writeFile(path.join(root, 'stray.upload'), 'from an older layout');
    const own = await prepareUploadSpool(root);
    assert.is(own, path.join(root, String(process.pid)));
    assert.equal((await readdir(root)).sort(), [live, String(process.pid)].sort());
    assert.equal(await readdir(own), [], 'its own folder starts empty');
    assert.equal(await readdir(path.join(root, live)), ['x.upload'], 'a live process keeps its upload');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('when the spool folder exists open to everyone, then start-up closes it to the service user alone', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-spool-'));
  try {
    const spool = path.join(root, 'spool');
    await mkdir(spool, { mode: 0o777 });
    await chmod(spool, 0o777);
    const own = await prepareUploadSpool(spool);
    assert.is(((await stat(spool)).mode & 0o777).toString(8), '700');
    assert.is(((await stat(own)).mode & 0o777).toString(8), '700');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
