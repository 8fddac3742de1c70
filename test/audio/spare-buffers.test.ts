// The buffers a thread keeps from one conversion to the next (src/audio/spare-buffers.ts): one given back is taken
// again for the same size only, at most four are kept, and conversions that reuse them write what fresh ones would.
// What they are for, a worker's memory that stays flat whatever the recording's length, is measured in
// `npm run bench -- memory` (docs/BENCHMARKS.md).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { convertWavFile, encodeWavPiece, planConversionOf } from '../../src/audio/convert-wav.js';
import { giveBack, takeBuffer } from '../../src/audio/spare-buffers.js';
import { compileLameWasm } from '../../src/audio/wasm-lame-encoder.js';
import { musicLike } from '../fixtures/signals.js';
import { encodeWav } from '../fixtures/wav-writer.js';
import { test } from '../support/suite.js';

test('when a buffer is given back, then the next take of its size gets it, and a take of another size a new one', () => {
  // Sizes no conversion in this process uses, so that nothing else takes them meanwhile.
  const first = takeBuffer(12_345);
  assert.is(first.byteLength, 12_345);
  giveBack(first);
  assert.is(takeBuffer(12_346).byteLength, 12_346);
  assert.is(takeBuffer(12_345), first);
  assert.is.not(takeBuffer(12_345), first, 'taken once, it is not kept any more');
});

test('when more than four are given back, then the four last are kept and the oldest goes', () => {
  const given = Array.from({ length: 5 }, () => takeBuffer(23_456));
  for (const buffer of given) giveBack(buffer);
  const taken = Array.from({ length: 5 }, () => takeBuffer(23_456));
  // By identity: every buffer here holds the same zeros.
  assert.is(new Set(taken.slice(0, 4)).size, 4);
  assert.ok(taken.slice(0, 4).every((buffer) => given.slice(1).includes(buffer)), 'the four last given back');
  assert.not.ok(given.includes(taken[4]!), 'then a new one');
});

test('when pieces and whole conversions follow each other on one thread, then each writes what it writes on its own', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-spares-'));
  try {
    const wasm = await compileLameWasm();
    const a = path.join(dir, 'a.wav');
    const b = path.join(dir, 'b.wav');
    await writeFile(a, encodeWav({ sampleRate: 44_100, channels: 2 }, musicLike(20, 44_100, 2)));
    await writeFile(b, encodeWav({ sampleRate: 22_050, channels: 1 }, musicLike(15, 22_050, 1)));
    const planA = await planConversionOf(a, { encoder: 'wasm' });
    const planB = await planConversionOf(b, { encoder: 'wasm', bitrateKbps: 320 });
    const whole = async (file: string) => {
      const chunks: Uint8Array[] = [];
      await convertWavFile(file, { encoder: 'wasm' }, (bytes) => void chunks.push(bytes.slice()), wasm);
      return Buffer.concat(chunks);
    };
    const firstA = Buffer.from(await encodeWavPiece(a, planA, { from: 0, to: 10 * 44_100 }, wasm));
    const firstB = Buffer.from(await encodeWavPiece(b, planB, { from: 0, to: 15 * 22_050 }, wasm));
    const wholeA = await whole(a);
    assert.ok(Buffer.from(await encodeWavPiece(a, planA, { from: 0, to: 10 * 44_100 }, wasm)).equals(firstA), 'piece of a again');
    assert.ok(Buffer.from(await encodeWavPiece(b, planB, { from: 0, to: 15 * 22_050 }, wasm)).equals(firstB), 'piece of b again');
    assert.ok((await whole(a)).equals(wholeA), 'whole a again');
    // A piece larger than any before it: its output outgrows the buffer kept for it.
    const longer = Buffer.from(await encodeWavPiece(b, planB, { from: 0, to: 15 * 22_050 }, wasm));
    assert.ok(longer.equals(firstB));
    const all = Buffer.from(await encodeWavPiece(a, planA, { from: 0, to: 20 * 44_100 }, wasm));
    assert.ok(all.subarray(0, 1_000).equals(firstA.subarray(0, 1_000)), 'the same start');
    assert.ok(all.length > firstA.length * 1.9, `${all.length} bytes for 20 s against ${firstA.length} for 10 s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
