// The block decoders (IMA ADPCM, Microsoft ADPCM, GSM 6.10) on small files of random blocks, against ffmpeg, where
// StrykerJS needs a quick answer: test/audio/compressed-decoders checks the same against ffmpeg's own encodings, 3 s
// each (16 s in all), and scripts/mutant-tests.mjs runs this file first. Random nibbles under valid headers reach
// every table entry, every clamp and both ends of the step range within a few blocks. Then what ffmpeg cannot show:
// bytes past the block align, a step index past the table, and the exact refusals of contradictory fmt chunks.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { AudioError } from '../../src/audio/audio-error.js';
import { blockLayout, createBlockDecoder, framesInBlocks, type BlockFmt } from '../../src/audio/block-codecs.js';
import { createMsAdpcmDecoder } from '../../src/audio/ms-adpcm.js';
import { seededRandom } from '../fixtures/signals.js';
import { decodeCodedWav, ffmpegDecode, maxDifference, writeCodedWav, type CodedWav } from '../support/coded-wav.js';
import { suite } from '../support/suite.js';

interface Context {
  dir: string;
}

const decoders = suite<Context>('block decoders on random blocks', {} as Context);
decoders.before(async (context) => {
  context.dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-mutants-blocks-'));
});
decoders.after(async ({ dir }) => rm(dir, { recursive: true, force: true }));

const IMA = 0x0011;
const MS = 0x0002;
const GSM = 0x0031;
const STANDARD_PAIRS: Array<[number, number]> = [[256, 0], [512, -256], [0, 0], [192, 64], [240, 0], [460, -208], [392, -232]];

const uint16Bytes = (...values: number[]) => new Uint8Array(new Uint16Array(values).buffer);
const imaFramesPerBlock = (blockAlign: number, channels: number) => ((blockAlign - 4 * channels) / (4 * channels)) * 8 + 1;
const msFramesPerBlock = (blockAlign: number, channels: number) => ((blockAlign - 7 * channels) * 2) / channels + 2;
const msExtension = (framesPerBlock: number, pairs: Array<[number, number]>, declaredPairs = pairs.length) =>
  new Uint8Array(new Int16Array([framesPerBlock, declaredPairs, ...pairs.flat()]).buffer);

function imaWav(channels: number, blockAlign: number, data: Uint8Array): CodedWav {
  return { fmt: { formatTag: IMA, channels, sampleRate: 8000, blockAlign, bitsPerSample: 4, extension: uint16Bytes(imaFramesPerBlock(blockAlign, channels)) }, data };
}
function msWav(channels: number, blockAlign: number, data: Uint8Array): CodedWav {
  return { fmt: { formatTag: MS, channels, sampleRate: 8000, blockAlign, bitsPerSample: 4, extension: msExtension(msFramesPerBlock(blockAlign, channels), STANDARD_PAIRS) }, data };
}
const gsmWav = (data: Uint8Array): CodedWav => ({ fmt: { formatTag: GSM, channels: 1, sampleRate: 8000, blockAlign: 65, bitsPerSample: 0, extension: uint16Bytes(320) }, data });

/** Blocks of random bytes under headers `header` makes valid. */
function randomBlocks(blocks: number, blockAlign: number, seed: number, header: (block: Uint8Array, random: () => number) => void): Uint8Array {
  const random = seededRandom(seed);
  const data = Uint8Array.from({ length: blocks * blockAlign }, () => Math.floor(random() * 256));
  for (let at = 0; at < data.length; at += blockAlign) header(data.subarray(at, at + blockAlign), random);
  return data;
}

// ffmpeg reads the IMA step index and the reserved byte as one 16-bit number: the reserved byte must be 0.
const imaHeaders = (channels: number) => (block: Uint8Array, random: () => number) => {
  for (let c = 0; c < channels; c++) [block[4 * c + 2], block[4 * c + 3]] = [Math.floor(random() * 89), 0];
};
const msHeaders = (channels: number) => (block: Uint8Array, random: () => number) => {
  for (let c = 0; c < channels; c++) block[c] = Math.floor(random() * 7);
};

let fileCount = 0;
/** Ours and ffmpeg's decoding of `wav`: same length (and framesInBlocks agrees), same samples. */
async function assertAsFfmpeg(dir: string, wav: CodedWav, label: string, ffmpegDecoder?: string): Promise<Int16Array> {
  const file = path.join(dir, `${++fileCount}.wav`);
  await writeFile(file, writeCodedWav(wav));
  const ours = decodeCodedWav(wav);
  const theirs = ffmpegDecode(file, ffmpegDecoder);
  assert.is(ours.length, theirs.length, `${label}: ${ours.length} samples, ffmpeg ${theirs.length}`);
  assert.is(framesInBlocks(blockLayout(wav.fmt), wav.data.length) * wav.fmt.channels, theirs.length, `${label}: framesInBlocks`);
  const { max, at } = maxDifference(ours, theirs);
  assert.ok(max === 0, `${label}: sample ${at} differs from ffmpeg's by ${max}`);
  return ours;
}

/** One block decoded alone, with `extra` bytes of garbage after it in the buffer handed to the decoder. */
function decodeOne(fmt: BlockFmt, block: Uint8Array, extra = 0): { frames: number; samples: number[] } {
  const layout = blockLayout(fmt);
  const out = new Int16Array(layout.framesPerBlock * layout.channels);
  const bytes = new Uint8Array(block.length + extra).fill(0x77);
  bytes.set(block);
  const frames = createBlockDecoder(layout).decodeBlock(bytes, out);
  return { frames, samples: Array.from(out.subarray(0, frames * layout.channels)) };
}

function catchAudioError(run: () => unknown): AudioError {
  try {
    run();
  } catch (error) {
    if (error instanceof AudioError) return error;
    throw error;
  }
  throw new Error('accepted');
}

decoders('GSM 6.10: when blocks hold random bits, whole or cut short, then we decode exactly as libgsm', async ({ dir }) => {
  // Random bits are a valid stream, one that reaches every table entry, both ends of every saturation and lags
  // outside 40..120.
  const data = randomBlocks(30, 65, 0x3c, () => {});
  await assertAsFfmpeg(dir, gsmWav(data), 'random blocks', 'libgsm_ms');
  for (const remainder of [1, 64]) await assertAsFfmpeg(dir, gsmWav(data.subarray(0, 5 * 65 + remainder)), `${remainder} bytes of the last block`, 'libgsm_ms');
});

decoders('IMA ADPCM: when blocks hold random nibbles, whole or cut short, then ffmpeg and we agree sample for sample', async ({ dir }) => {
  for (const [channels, blockAlign, remainders] of [
    [1, 516, [3, 4, 7, 8, 12, 13]],
    [2, 520, [7, 8, 15, 16, 40, 41]],
  ] as const) {
    const data = randomBlocks(4, blockAlign, 0x1a + channels, imaHeaders(channels));
    await assertAsFfmpeg(dir, imaWav(channels, blockAlign, data), `${channels} channel(s)`);
    for (const remainder of remainders) {
      await assertAsFfmpeg(dir, imaWav(channels, blockAlign, data.subarray(0, 3 * blockAlign + remainder)), `${channels} channel(s), ${remainder} bytes of the last block`);
    }
  }
});

decoders('IMA ADPCM: when a header step index is past 88, then it counts as 88, and bytes past the block align are ignored', () => {
  const channels = 2;
  const block = randomBlocks(1, 72, 0x5e, imaHeaders(channels));
  const fmt = imaWav(channels, 72, block).fmt;
  block[2] = 88;
  block[6] = 0;
  const expected = decodeOne(fmt, block);
  assert.is(expected.frames, imaFramesPerBlock(72, channels));
  const odd = block.slice();
  [odd[2], odd[3]] = [89, 0x55];
  assert.equal(decodeOne(fmt, odd), expected, 'step index 89 and a reserved byte');
  odd[2] = 255;
  assert.equal(decodeOne(fmt, odd), expected, 'step index 255');
  assert.equal(decodeOne(fmt, block, 40), expected, 'a buffer longer than the block');
  // Fewer bytes than the headers: nothing.
  assert.equal(decodeOne(fmt, block.subarray(0, 7)), { frames: 0, samples: [] });
});

decoders('Microsoft ADPCM: when blocks hold random nibbles, whole or cut short, then ffmpeg and we agree, clamps included', async ({ dir }) => {
  for (const [channels, blockAlign, remainders] of [
    [1, 509, [6, 7, 8, 50]],
    [2, 514, [14, 15, 16, 101]],
  ] as const) {
    const data = randomBlocks(4, blockAlign, 0x2b + channels, msHeaders(channels));
    await assertAsFfmpeg(dir, msWav(channels, blockAlign, data), `${channels} channel(s)`);
    for (const remainder of remainders) {
      await assertAsFfmpeg(dir, msWav(channels, blockAlign, data.subarray(0, 3 * blockAlign + remainder)), `${channels} channel(s), ${remainder} bytes of the last block`);
    }
  }
  // A block that drives the delta to its ceiling (six -8 codes from the largest header delta), lets it fall back
  // (sixty 0 codes) and then plays +1 codes, which show where it has fallen to, and so where it was capped.
  const block = Uint8Array.from([0, 0xff, 0x7f, 0, 0, 0, 0, 0x88, 0x88, 0x88, ...new Array<number>(30).fill(0), ...new Array<number>(20).fill(0x11)]);
  await assertAsFfmpeg(dir, msWav(1, block.length, block), 'the delta at its ceiling');
});

decoders('Microsoft ADPCM: when a buffer runs past the block align, then the bytes past it are ignored', () => {
  for (const channels of [1, 2]) {
    const blockAlign = 7 * channels + 20;
    const block = randomBlocks(1, blockAlign, 0x3d + channels, msHeaders(channels));
    const { fmt } = msWav(channels, blockAlign, block);
    const expected = decodeOne(fmt, block);
    assert.is(expected.frames, msFramesPerBlock(blockAlign, channels));
    assert.equal(decodeOne(fmt, block, 30), expected, `${channels} channel(s)`);
  }
});

decoders('Microsoft ADPCM: when a cut block holds less than its headers, then it plays nothing, whatever pair it selects', () => {
  const { fmt } = msWav(2, 64, new Uint8Array(0));
  // Pair 200 would be refused in a whole block; here the header it starts is incomplete, as in ffmpeg.
  assert.equal(decodeOne(fmt, Uint8Array.of(200, 3, 0x10, 0)), { frames: 0, samples: [] });
});

decoders('Microsoft ADPCM: when a decoder is asked for more than two channels, then it refuses', () => {
  // blockLayout refuses such a file first; the decoder does not rely on it.
  assert.throws(() => createMsAdpcmDecoder(3, 64, STANDARD_PAIRS), (error: unknown) => error instanceof RangeError && error.message === 'Microsoft ADPCM has 1 or 2 channels, not 3');
});

decoders('when fmt fields contradict each other, then the refusal says exactly what is wrong', () => {
  const ima = (fields: Partial<BlockFmt> = {}): BlockFmt => ({ formatTag: IMA, channels: 1, blockAlign: 256, bitsPerSample: 4, extension: uint16Bytes(505), ...fields });
  const ms = (fields: Partial<BlockFmt> = {}): BlockFmt => ({ formatTag: MS, channels: 1, blockAlign: 256, bitsPerSample: 4, extension: msExtension(500, STANDARD_PAIRS), ...fields });
  const gsm = (fields: Partial<BlockFmt> = {}): BlockFmt => ({ formatTag: GSM, channels: 1, blockAlign: 65, bitsPerSample: 0, extension: uint16Bytes(320), ...fields });
  const none = new Uint8Array(0);
  const cases: Array<[BlockFmt, string]> = [
    [ima({ extension: uint16Bytes(504) }), 'the fmt chunk declares 504 samples per block, but blocks of 256 bytes hold 505'],
    [ima({ blockAlign: 37, extension: none }), 'an IMA ADPCM block of 1 channels is 4 header bytes plus a multiple of 4; 37 is not'],
    [ima({ channels: 2, blockAlign: 4, extension: none }), 'a block align of 4 bytes cannot hold the 4-byte header of each of 2 channels'],
    [ima({ bitsPerSample: 3 }), '3-bit IMA ADPCM is not supported; supported: 4 bits'],
    [ima({ bitsPerSample: 0 }), 'the header declares 0 bits per sample'],
    [ima({ channels: 9, blockAlign: 36 * 9, extension: none }), 'IMA ADPCM with 9 channels is not supported; supported: 1 to 8 channels'],
    [ima({ channels: 0 }), 'the header declares 0 channels; a WAV needs at least 1'],
    [ms({ extension: msExtension(498, STANDARD_PAIRS) }), 'the fmt chunk declares 498 samples per block, but blocks of 256 bytes hold 500'],
    [ms({ extension: msExtension(500, STANDARD_PAIRS.slice(0, 6)) }), 'the fmt chunk declares 6 coefficient pairs; Microsoft ADPCM needs at least the standard 7'],
    [ms({ extension: msExtension(500, STANDARD_PAIRS, 8) }), 'the fmt chunk declares 8 coefficient pairs (32 bytes) but holds 28 bytes of them'],
    [ms({ extension: uint16Bytes(500) }), 'the fmt chunk lacks the Microsoft ADPCM extension (samples per block and coefficient table)'],
    // Both fields of the extension and no table: the count is read, and the table found missing.
    [ms({ extension: Uint8Array.of(500 & 0xff, 500 >> 8, 7, 0) }), 'the fmt chunk declares 7 coefficient pairs (28 bytes) but holds 0 bytes of them'],
    [ms({ channels: 2, blockAlign: 13 }), 'a block align of 13 bytes cannot hold the 7-byte header of each of 2 channels'],
    [ms({ channels: 3, blockAlign: 255 }), 'Microsoft ADPCM with 3 channels is not supported; supported: 1 to 2 channels'],
    [ms({ bitsPerSample: 8 }), '8-bit Microsoft ADPCM is not supported; supported: 4 bits'],
    [gsm({ channels: 2 }), 'GSM 6.10 in WAV is mono, but the header declares 2 channels'],
    [gsm({ blockAlign: 64 }), 'GSM 6.10 in WAV comes in blocks of 65 bytes, but the header declares 64'],
    [gsm({ extension: uint16Bytes(160) }), 'the fmt chunk declares 160 samples per block, but blocks of 65 bytes hold 320'],
    [gsm({ formatTag: 0x1a }), 'format tag 0x001a is not a block-coded format'],
  ];
  for (const [fmt, message] of cases) assert.is(catchAudioError(() => blockLayout(fmt)).message, message);
  // The one refusal no file reaches (the reader calls blockLayout for block-coded tags only) names its property too.
  const notBlockCoded = catchAudioError(() => blockLayout(gsm({ formatTag: 0x1a })));
  assert.equal([notBlockCoded.kind, notBlockCoded.property], ['unsupported', 'format tag']);
});

decoders('when fmt fields agree at their limits, then the layout follows from them', () => {
  const layout = (fmt: BlockFmt) => {
    const { codec, blockAlign, framesPerBlock, channels } = blockLayout(fmt);
    return { codec, blockAlign, framesPerBlock, channels };
  };
  // IMA: 8 channels, and a block of headers only (one sample per channel); the extension may be 1 byte (ignored).
  assert.equal(layout({ formatTag: IMA, channels: 8, blockAlign: 64, bitsPerSample: 4, extension: uint16Bytes(9) }), { codec: 'ima-adpcm', blockAlign: 64, framesPerBlock: 9, channels: 8 });
  assert.equal(layout({ formatTag: IMA, channels: 2, blockAlign: 8, bitsPerSample: 4, extension: uint16Bytes(1) }), { codec: 'ima-adpcm', blockAlign: 8, framesPerBlock: 1, channels: 2 });
  assert.equal(layout({ formatTag: IMA, channels: 1, blockAlign: 36, bitsPerSample: 4, extension: Uint8Array.of(7) }).framesPerBlock, 65);
  // Microsoft ADPCM: stereo blocks of headers only; exactly seven pairs, and pairs past the 256th dropped.
  const ms = blockLayout({ formatTag: MS, channels: 2, blockAlign: 14, bitsPerSample: 4, extension: msExtension(2, STANDARD_PAIRS) });
  assert.equal(ms.framesPerBlock, 2);
  if (ms.codec !== 'ms-adpcm') throw new Error(`${ms.codec} is not ms-adpcm`);
  assert.equal(ms.coefficients, STANDARD_PAIRS);
  const many = Array.from({ length: 300 }, (_, i): [number, number] => [i, -i]);
  const wide = blockLayout({ formatTag: MS, channels: 1, blockAlign: 256, bitsPerSample: 4, extension: msExtension(500, many) });
  if (wide.codec !== 'ms-adpcm') throw new Error(`${wide.codec} is not ms-adpcm`);
  assert.equal(wide.coefficients, many.slice(0, 256));
  // GSM: any bits per sample.
  assert.equal(layout({ formatTag: GSM, channels: 1, blockAlign: 65, bitsPerSample: 4, extension: new Uint8Array(0) }), { codec: 'gsm610', blockAlign: 65, framesPerBlock: 320, channels: 1 });
});

decoders.run();
