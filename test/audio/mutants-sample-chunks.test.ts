// The reading loop of src/audio/sample-chunks.ts on real files, without an encoder (docs/MUTATION.md): how many frames
// one read holds, every byte of the data once and in order across several 1 MiB reads, ranges of a sample format, a
// file that holds less than its format says, and IMA ADPCM blocks decoded across reads against ffmpeg, cut where
// the fact chunk ends the audio. The conversion tests see only what an MP3 keeps of these; this takes about a second.
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { sampleChunks, type FrameRange } from '../../src/audio/sample-chunks.js';
import { readWavHeader, type WavFormat } from '../../src/audio/wav-header.js';
import { seededRandom } from '../fixtures/signals.js';
import { ffmpegDecode, writeCodedWav } from '../support/coded-wav.js';
import { suite } from '../support/suite.js';

interface Context {
  dir: string;
}

const test = suite<Context>('sample chunks', {} as Context);
test.before(async (context) => {
  context.dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-mutants-sample-chunks-'));
});
test.after(async ({ dir }) => rm(dir, { recursive: true, force: true }));

/** A 16-bit PCM WAV of numbered bytes (each frame tells where it came from), then `trailing` stray bytes. */
function pcmWav(channels: number, frames: number, trailing = 0): { file: Uint8Array; data: Uint8Array } {
  const frameBytes = 2 * channels;
  const data = Uint8Array.from({ length: frames * frameBytes + trailing }, (_, i) => (i * 7 + (i >> 11)) & 0xff);
  const file = new Uint8Array(44 + data.length);
  const view = new DataView(file.buffer);
  file.set(Buffer.from('RIFF'), 0);
  view.setUint32(4, file.length - 8, true);
  file.set(Buffer.from('WAVEfmt '), 8);
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, 8000, true);
  view.setUint32(28, 8000 * frameBytes, true);
  view.setUint16(32, frameBytes, true);
  view.setUint16(34, 16, true);
  file.set(Buffer.from('data'), 36);
  view.setUint32(40, data.length, true);
  file.set(data, 44);
  return { file, data };
}

interface Read {
  layout: WavFormat;
  maxFrames: number;
  frames: number[];
  bytes: Uint8Array;
}

/** Every chunk of the file at `name` (of `range`), copied out as it comes. `adjust` may change the format read. */
async function readAll(dir: string, name: string, file: Uint8Array, range?: FrameRange, adjust = (format: WavFormat) => format): Promise<Read> {
  const where = path.join(dir, name);
  await writeFile(where, file);
  const handle = await open(where, 'r');
  try {
    const readAt = async (position: number, length: number) => {
      const buffer = new Uint8Array(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    };
    const format = adjust(await readWavHeader(readAt, file.length));
    const chunks = sampleChunks(handle, format, range);
    const frames: number[] = [];
    const parts: Buffer[] = [];
    for await (const chunk of chunks.read()) {
      frames.push(chunk.frames);
      parts.push(Buffer.from(chunk.bytes.subarray(0, chunk.frames * chunks.layout.frameBytes)));
    }
    return { layout: chunks.layout, maxFrames: chunks.maxFrames, frames, bytes: new Uint8Array(Buffer.concat(parts)) };
  } finally {
    await handle.close();
  }
}

const equalBytes = (actual: Uint8Array, expected: Uint8Array, what: string) => {
  assert.is(actual.length, expected.length, `${what}: length`);
  assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), `${what}: the same bytes`);
};

test('when a PCM file needs several reads, then each holds a whole number of MP3 frames under 1 MiB, and every byte comes once, in order', async ({ dir }) => {
  const { file, data } = pcmWav(2, 600_000);
  const read = await readAll(dir, 'stereo.wav', file);
  // 1 MiB holds 262,144 frames of 4 bytes: 227 whole MP3 frames of 1152.
  assert.is(read.maxFrames, 227 * 1152);
  assert.equal(read.frames, [261_504, 261_504, 76_992]);
  assert.is(read.layout.encoding, 'pcm');
  assert.is(read.layout.frameBytes, 4);
  equalBytes(read.bytes, data, 'the data');

  const wide = await readAll(dir, 'wide.wav', pcmWav(8, 100_000).file);
  assert.is(wide.maxFrames, 56 * 1152, '16-byte frames: 56 MP3 frames a read');
  assert.equal(wide.frames, [56 * 1152, 100_000 - 56 * 1152]);
});

test('when a range of a PCM file is read, then exactly its frames come, cut at the end of the audio', async ({ dir }) => {
  const { file, data } = pcmWav(2, 600_000);
  const middle = await readAll(dir, 'range.wav', file, { from: 1000, to: 300_000 });
  assert.equal(middle.frames, [261_504, 300_000 - 1000 - 261_504]);
  equalBytes(middle.bytes, data.subarray(1000 * 4, 300_000 * 4), 'frames 1000 to 300,000');

  const pastTheEnd = await readAll(dir, 'range.wav', file, { from: 599_000, to: 700_000 });
  assert.equal(pastTheEnd.frames, [1000]);
  equalBytes(pastTheEnd.bytes, data.subarray(599_000 * 4), 'the last 1000 frames');

  assert.equal((await readAll(dir, 'range.wav', file, { from: 5000, to: 5000 })).frames, [], 'an empty range');
});

test('when the file holds fewer frames than its format says, then reading stops at its last whole frame', async ({ dir }) => {
  // Two stray bytes after the last frame, and a format that claims 10,000 frames more (as when a file shrinks).
  const { file, data } = pcmWav(2, 300_000, 2);
  const read = await readAll(dir, 'shrunk.wav', file, undefined, (format) => ({ ...format, frames: format.frames + 10_000 }));
  assert.equal(read.frames, [261_504, 300_000 - 261_504]);
  equalBytes(read.bytes, data.subarray(0, 300_000 * 4), 'the whole frames');
});

const IMA = 0x0011;
const IMA_BLOCK_ALIGN = 1024;
const IMA_FRAMES_PER_BLOCK = ((IMA_BLOCK_ALIGN - 8) / 8) * 8 + 1; // 1017, stereo

test('when IMA ADPCM needs several reads, then its blocks decode as ffmpeg decodes them, and the fact chunk ends the audio', async ({ dir }) => {
  // 2,600 blocks of 1 KiB: 1,024 blocks a read, so three reads; random nibbles under valid block headers.
  const blocks = 2600;
  const random = seededRandom(15);
  const data = Uint8Array.from({ length: blocks * IMA_BLOCK_ALIGN }, () => Math.floor(random() * 256));
  for (let at = 0; at < data.length; at += IMA_BLOCK_ALIGN) {
    for (let c = 0; c < 2; c++) [data[at + 4 * c + 2], data[at + 4 * c + 3]] = [Math.floor(random() * 89), 0];
  }
  const frames = blocks * IMA_FRAMES_PER_BLOCK - 500;
  const fmt = { formatTag: IMA, channels: 2, sampleRate: 8000, blockAlign: IMA_BLOCK_ALIGN, bitsPerSample: 4, extension: new Uint8Array(new Uint16Array([IMA_FRAMES_PER_BLOCK]).buffer) };
  const file = writeCodedWav({ fmt, data }, frames);
  const read = await readAll(dir, 'ima.wav', file);

  assert.is(read.maxFrames, 1024 * IMA_FRAMES_PER_BLOCK);
  assert.equal(read.frames, [1024 * IMA_FRAMES_PER_BLOCK, 1024 * IMA_FRAMES_PER_BLOCK, frames - 2048 * IMA_FRAMES_PER_BLOCK]);
  assert.equal(
    [read.layout.encoding, read.layout.bytesPerSample, read.layout.frameBytes, read.layout.littleEndian, read.layout.channels],
    ['pcm', 2, 4, new Uint8Array(new Uint16Array([1]).buffer)[0] === 1, 2],
  );
  const ours = new Int16Array(read.bytes.buffer, read.bytes.byteOffset, read.bytes.length / 2);
  const theirs = ffmpegDecode(path.join(dir, 'ima.wav'));
  assert.ok(theirs.length >= frames * 2, `ffmpeg decoded ${theirs.length / 2} frames`);
  assert.is(ours.length, frames * 2);
  const first = ours.findIndex((sample, i) => sample !== theirs[i]);
  assert.is(first, -1, `the first difference from ffmpeg is at sample ${first} (frame ${Math.floor(first / 2)})`);

  assert.throws(
    () => sampleChunks(undefined as never, { ...read.layout, ...{ blocks: { blockAlign: IMA_BLOCK_ALIGN } } } as WavFormat, { from: 0, to: 10 }),
    /^a range of block-coded audio cannot be read$/,
  );
});

test.run();
