// The header reader's positional reads (src/audio/file-reader.ts) with plain calls on a real file: the bytes asked
// for, short at the end, never a buffer larger than what is left of the file (a header read near the end of a
// 600 MB upload must not allocate the rest of it), and a read of a file still arriving that waits for its bytes.
import { appendFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { FileArrival } from '../../src/audio/arriving-file.js';
import { arrivingReader, positionalReader } from '../../src/audio/file-reader.js';
import { test } from '../support/suite.js';

let dir: string;
const bytes = Uint8Array.from({ length: 1_000 }, (_, i) => (i * 7) & 0xff);

test.before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-file-reader-'));
  await writeFile(path.join(dir, 'whole.bin'), bytes);
});
test.after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('when a range inside the file is read, then exactly its bytes come back', async () => {
  const file = await open(path.join(dir, 'whole.bin'), 'r');
  try {
    const read = positionalReader(file, bytes.length);
    assert.equal([...(await read(10, 20))], [...bytes.subarray(10, 30)]);
    assert.equal([...(await read(0, 1_000))], [...bytes]);
  } finally {
    await file.close();
  }
});

test('when a read runs past the end, then it is short, and its buffer holds only what is left of the file', async () => {
  const file = await open(path.join(dir, 'whole.bin'), 'r');
  try {
    const read = positionalReader(file, bytes.length);
    const tail = await read(990, 1 << 20);
    assert.equal([...tail], [...bytes.subarray(990)]);
    assert.is(tail.buffer.byteLength, 10, 'no megabyte allocated for 10 bytes');
    const past = await read(1_200, 64);
    assert.is(past.length, 0);
    assert.is(past.buffer.byteLength, 0);
  } finally {
    await file.close();
  }
});

test('when the file is still arriving, then a read waits until its bytes are on disk, and is short once the file ended', async () => {
  const arriving = new FileArrival(path.join(dir, 'arriving.bin'));
  await writeFile(arriving.path, bytes.subarray(0, 100));
  arriving.wrote(100);
  const file = await open(arriving.path, 'r');
  try {
    const read = arrivingReader(file, arriving);
    assert.equal([...(await read(0, 50))], [...bytes.subarray(0, 50)]);
    let settled = false;
    const later = read(150, 100).then((got) => {
      settled = true;
      return got;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.not.ok(settled, 'waits for bytes not yet on disk');
    await appendFile(arriving.path, bytes.subarray(100, 300));
    arriving.wrote(200);
    assert.equal([...(await later)], [...bytes.subarray(150, 250)]);
    arriving.ended();
    const end = await read(250, 100);
    assert.equal([...end], [...bytes.subarray(250, 300)]);
    assert.is(end.buffer.byteLength, 50);
  } finally {
    await file.close();
  }
});

test.run();
