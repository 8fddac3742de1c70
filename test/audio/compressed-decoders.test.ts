// The block decoders of compressed WAV (IMA ADPCM, Microsoft ADPCM, GSM 6.10) against ffmpeg: files ffmpeg encodes,
// and files the tiny encoders below write where ffmpeg's encoders cannot (block sizes that are not powers of two,
// every predictor, other coefficient tables, more channels), are decoded by both and compared sample for sample.
// Then the contradictions in fmt chunks, each refused with the property at fault.
import { suite } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AudioError } from '../../src/audio/audio-error.js';
import { blockLayout, createBlockDecoder, framesInBlocks, type BlockFmt } from '../../src/audio/block-codecs.js';
import { seededRandom } from '../fixtures/signals.js';
import { encodeWav } from '../fixtures/wav-writer.js';
import { bestCorrelation } from '../support/audio-analysis.js';
import { decodeCodedWav, ffmpeg, ffmpegDecode, maxDifference, readCodedWav, writeCodedWav, type CodedWav } from '../support/coded-wav.js';

interface Context {
  dir: string;
}

const decoders = suite<Context>('block decoders', {} as Context);
decoders.before(async (context) => {
  context.dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-block-decoders-'));
});
decoders.after(async ({ dir }) => rm(dir, { recursive: true, force: true }));

const IMA = 0x0011;
const MS = 0x0002;
const GSM = 0x0031;

// ---- Source audio ----

/**
 * Two tones, a logarithmic sweep to near Nyquist and noise, different in each channel; a stretch of near-silence
 * (the smallest steps) and a clipped burst at the end (the clamps).
 */
function testSignal(seconds: number, rate: number, channels: number): Float32Array[] {
  return Array.from({ length: channels }, (_, channel) => {
    const random = seededRandom(0xada + channel);
    const length = Math.round(seconds * rate);
    const out = new Float32Array(length);
    const [fromHz, toHz] = [40, rate * 0.45];
    let phase = 0;
    for (let i = 0; i < length; i++) {
      phase += (2 * Math.PI * fromHz * (toHz / fromHz) ** (i / length)) / rate;
      const t = i / rate;
      let x = 0.25 * Math.sin(2 * Math.PI * (330 + 110 * channel) * t) + 0.15 * Math.sin(2 * Math.PI * 2750 * t);
      x += 0.25 * Math.sin(phase) + 0.08 * (2 * random() - 1);
      if (i > length * 0.4 && i < length * 0.45) x *= 0.001;
      if (i > length * 0.9) x = Math.max(-1, Math.min(1, 3 * x));
      out[i] = x;
    }
    return out;
  });
}

const toPcm16 = (samples: Float32Array) => Int16Array.from(samples, (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32767))));

let fileCount = 0;
async function writeTemp(dir: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, `${++fileCount}.wav`);
  await writeFile(file, bytes);
  return file;
}

/** A 16-bit PCM source encoded by ffmpeg with `codecArgs`; returns the path and the parsed result. */
async function ffmpegEncode(dir: string, source: Float32Array[], rate: number, codecArgs: string[]): Promise<{ file: string; wav: CodedWav }> {
  const input = await writeTemp(dir, encodeWav({ sampleRate: rate, channels: source.length }, source));
  const file = path.join(dir, `${++fileCount}.wav`);
  ffmpeg(['-i', input, ...codecArgs, '-y', file]);
  return { file, wav: readCodedWav(new Uint8Array(await readFile(file))) };
}

/**
 * Our decoding and ffmpeg's of the same file: same length, same samples. (We match ffmpeg exactly; a tolerance of even
 * 1 LSB let a wrong clamp through.)
 */
async function assertDecodesAsFfmpeg(dir: string, wav: CodedWav, label: string, file?: string): Promise<Int16Array> {
  const ours = decodeCodedWav(wav);
  const theirs = ffmpegDecode(file ?? (await writeTemp(dir, writeCodedWav(wav))));
  assert.is(ours.length, theirs.length, `${label}: ${ours.length} samples, ffmpeg ${theirs.length}`);
  assert.is(framesInBlocks(blockLayout(wav.fmt), wav.data.length) * wav.fmt.channels, theirs.length, `${label}: framesInBlocks`);
  const { max, at } = maxDifference(ours, theirs);
  assert.ok(max === 0, `${label}: sample ${at} differs from ffmpeg's by ${max}`);
  return ours;
}

/** The same file with its data cut to `bytes`, as a recording stopped mid-block. */
const cutTo = (wav: CodedWav, bytes: number): CodedWav => ({ fmt: wav.fmt, data: wav.data.subarray(0, bytes) });

/** 3 s of the test signal encoded by ffmpeg's `codec` (its default block size where none is given), then decoded. */
async function assertFfmpegEncodingsDecodeAsFfmpeg(dir: string, codec: string, cases: Array<{ rate: number; channels: number; blockSize: number | undefined }>) {
  for (const { rate, channels, blockSize } of cases) {
    const args = ['-c:a', codec, ...(blockSize ? ['-block_size', String(blockSize)] : [])];
    const { file, wav } = await ffmpegEncode(dir, testSignal(3, rate, channels), rate, args);
    const label = `${rate} Hz, ${channels} channel(s), ${wav.fmt.blockAlign}-byte blocks`;
    const ours = await assertDecodesAsFfmpeg(dir, wav, label, file);
    assert.ok(ours.length >= 3 * rate * channels, `${label}: only ${ours.length} samples`);
  }
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

/** Files ffmpeg encodes with `codec` in 256-byte blocks, cut `remainders` bytes into their fourth block. */
async function assertCutBlocksDecodeAsFfmpeg(dir: string, codec: string, cases: Array<{ channels: number; remainders: number[] }>) {
  for (const { channels, remainders } of cases) {
    const { wav } = await ffmpegEncode(dir, testSignal(0.5, 8000, channels), 8000, ['-c:a', codec, '-block_size', '256']);
    for (const remainder of remainders) {
      await assertDecodesAsFfmpeg(dir, cutTo(wav, 3 * 256 + remainder), `${channels} channel(s), ${remainder} bytes of the last block`);
    }
  }
}

// ---- IMA ADPCM ----

// Our own copy of the tables (not the decoder's), so that a wrong entry in the decoder's shows up.
const IMA_STEPS = [
  7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97, 107, 118,
  130, 143, 157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724, 796, 876, 963, 1060,
  1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327, 3660, 4026, 4428, 4871, 5358, 5894, 6484,
  7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767,
];
const IMA_INDEX_STEPS = [-1, -1, -1, -1, 2, 4, 6, 8];

const imaFramesPerBlock = (blockAlign: number, channels: number) => ((blockAlign - 4 * channels) / (4 * channels)) * 8 + 1;
const uint16Bytes = (...values: number[]) => new Uint8Array(new Uint16Array(values).buffer);

/** A plain IMA ADPCM encoder, for block sizes ffmpeg's encoder refuses (it takes powers of two only). */
function encodeIma(channels: Int16Array[], blockAlign: number, rate: number): CodedWav {
  const count = channels.length;
  const framesPerBlock = imaFramesPerBlock(blockAlign, count);
  const blocks = Math.ceil(channels[0]!.length / framesPerBlock);
  const data = new Uint8Array(blocks * blockAlign);
  const view = new DataView(data.buffer);
  const indexes = new Array<number>(count).fill(0);
  for (let block = 0; block < blocks; block++) {
    const base = block * blockAlign;
    const first = block * framesPerBlock;
    channels.forEach((pcm, c) => {
      let predictor = pcm[first] ?? 0;
      let index = indexes[c]!;
      view.setInt16(base + 4 * c, predictor, true);
      data[base + 4 * c + 2] = index;
      for (let k = 0; k < framesPerBlock - 1; k++) {
        const step = IMA_STEPS[index]!;
        const difference = (pcm[first + 1 + k] ?? 0) - predictor;
        const magnitude = Math.min(7, Math.floor((Math.abs(difference) * 4) / step));
        const change = ((2 * magnitude + 1) * step) >> 3;
        predictor = Math.max(-32768, Math.min(32767, difference < 0 ? predictor - change : predictor + change));
        index = Math.max(0, Math.min(88, index + IMA_INDEX_STEPS[magnitude]!));
        const nibble = magnitude | (difference < 0 ? 8 : 0);
        const at = base + 4 * count + Math.floor(k / 8) * 4 * count + 4 * c + ((k % 8) >> 1);
        data[at] = data[at]! | (k % 2 === 0 ? nibble : nibble << 4);
      }
      indexes[c] = index;
    });
  }
  const fmt = { formatTag: IMA, channels: count, sampleRate: rate, blockAlign, bitsPerSample: 4, extension: uint16Bytes(framesPerBlock) };
  return { fmt, data };
}

decoders('IMA ADPCM: when ffmpeg encodes mono and stereo at 8 to 48 kHz, then every sample decodes as in ffmpeg', async ({ dir }) => {
  await assertFfmpegEncodingsDecodeAsFfmpeg(dir, 'adpcm_ima_wav', [
    { rate: 8000, channels: 1, blockSize: 256 },
    { rate: 11025, channels: 2, blockSize: 32 },
    { rate: 22050, channels: 1, blockSize: undefined },
    { rate: 32000, channels: 2, blockSize: 512 },
    { rate: 44100, channels: 2, blockSize: 2048 },
    { rate: 48000, channels: 1, blockSize: 8192 },
  ]);
});

decoders('IMA ADPCM: when blocks are not powers of two, then ffmpeg and we still agree sample for sample', async ({ dir }) => {
  for (const { rate, channels, blockAlign } of [
    { rate: 8000, channels: 1, blockAlign: 36 },
    { rate: 16000, channels: 1, blockAlign: 100 },
    { rate: 44100, channels: 1, blockAlign: 1000 },
    { rate: 22050, channels: 2, blockAlign: 296 },
    { rate: 48000, channels: 2, blockAlign: 1032 },
  ]) {
    const wav = encodeIma(testSignal(1.5, rate, channels).map(toPcm16), blockAlign, rate);
    await assertDecodesAsFfmpeg(dir, wav, `${channels} channel(s), ${blockAlign}-byte blocks`);
  }
});

decoders('IMA ADPCM: when a file has 3 to 8 channels, then each decodes as ffmpeg decodes it alone', async ({ dir }) => {
  // ffmpeg neither writes nor reads IMA ADPCM beyond stereo; but channels are coded independently, so N mono files
  // of one block size, with their 4-byte groups interleaved, are an N-channel file with N times the block size.
  for (const { channels, monoBlock } of [
    { channels: 3, monoBlock: 256 },
    { channels: 5, monoBlock: 64 },
    { channels: 8, monoBlock: 32 },
  ]) {
    const rate = 16000;
    const monos = await Promise.all(
      testSignal(1, rate, channels).map((signal) => ffmpegEncode(dir, [signal], rate, ['-c:a', 'adpcm_ima_wav', '-block_size', String(monoBlock)])),
    );
    const blocks = monos[0]!.wav.data.length / monoBlock;
    const data = new Uint8Array(blocks * monoBlock * channels);
    for (let block = 0; block < blocks; block++) {
      monos.forEach(({ wav }, c) => {
        const mono = wav.data.subarray(block * monoBlock, (block + 1) * monoBlock);
        const base = block * monoBlock * channels;
        for (let group = 0; group < monoBlock / 4; group++) data.set(mono.subarray(4 * group, 4 * group + 4), base + 4 * (group * channels + c));
      });
    }
    const fmt = { ...monos[0]!.wav.fmt, channels, blockAlign: monoBlock * channels };
    const ours = decodeCodedWav({ fmt, data });
    const theirs = monos.map(({ file }) => ffmpegDecode(file));
    assert.is(ours.length, theirs[0]!.length * channels);
    for (let c = 0; c < channels; c++) {
      const channel = ours.filter((_, i) => i % channels === c);
      const { max, at } = maxDifference(channel, theirs[c]!);
      assert.ok(max === 0, `${channels} channels: channel ${c + 1} differs from ffmpeg's by ${max} at ${at}`);
    }
  }
});

/** Blocks of random bytes under valid headers: every nibble in every state, and the clamps reached again and again. */
function randomBlocks(blocks: number, blockAlign: number, seed: number, header: (block: Uint8Array, random: () => number) => void): Uint8Array {
  const random = seededRandom(seed);
  const data = Uint8Array.from({ length: blocks * blockAlign }, () => Math.floor(random() * 256));
  for (let at = 0; at < data.length; at += blockAlign) header(data.subarray(at, at + blockAlign), random);
  return data;
}

decoders('IMA ADPCM: when blocks hold random nibbles, then ffmpeg and we agree, clamps included', async ({ dir }) => {
  for (const [channels, blockAlign] of [[1, 516], [2, 520]] as const) {
    const data = randomBlocks(40, blockAlign, 0x1a + channels, (block, random) => {
      // ffmpeg reads the step index and the reserved byte as one 16-bit number: the reserved byte must be 0.
      for (let c = 0; c < channels; c++) [block[4 * c + 2], block[4 * c + 3]] = [Math.floor(random() * 89), 0];
    });
    const fmt = { formatTag: IMA, channels, sampleRate: 8000, blockAlign, bitsPerSample: 4, extension: uint16Bytes(imaFramesPerBlock(blockAlign, channels)) };
    await assertDecodesAsFfmpeg(dir, { fmt, data }, `${channels} channel(s) of random nibbles`);
  }
});

decoders('IMA ADPCM: when the last block is cut short, then its whole 8-sample groups decode, as in ffmpeg', async ({ dir }) => {
  await assertCutBlocksDecodeAsFfmpeg(dir, 'adpcm_ima_wav', [
    { channels: 1, remainders: [2, 4, 7, 8, 12, 255] },
    { channels: 2, remainders: [3, 8, 9, 16, 100, 255] },
  ]);
});

decoders('IMA ADPCM: when a header step index is past 88, then it is clamped, and the reserved byte is ignored', () => {
  const wav = encodeIma(testSignal(0.1, 8000, 1).map(toPcm16), 256, 8000);
  const block = wav.data.slice(0, 256);
  block[2] = 88;
  const odd = block.slice();
  odd[2] = 200;
  odd[3] = 0x55;
  const decode = (bytes: Uint8Array) => {
    const out = new Int16Array(imaFramesPerBlock(256, 1));
    createBlockDecoder(blockLayout(wav.fmt)).decodeBlock(bytes, out);
    return out;
  };
  assert.equal(Array.from(decode(odd)), Array.from(decode(block)));
});

// ---- Microsoft ADPCM ----

const MS_ADAPTATION = [230, 230, 230, 230, 307, 409, 512, 614, 768, 614, 512, 409, 307, 230, 230, 230];
const STANDARD_PAIRS: Array<[number, number]> = [[256, 0], [512, -256], [0, 0], [192, 64], [240, 0], [460, -208], [392, -232]];

const msFramesPerBlock = (blockAlign: number, channels: number) => ((blockAlign - 7 * channels) * 2) / channels + 2;

function msExtension(framesPerBlock: number, pairs: Array<[number, number]>, declaredPairs = pairs.length): Uint8Array {
  return new Uint8Array(new Int16Array([framesPerBlock, declaredPairs, ...pairs.flat()]).buffer);
}

/**
 * A plain Microsoft ADPCM encoder that takes the coefficient pairs in turn, block by block (ffmpeg's encoder only ever
 * uses the first pair), and any table. Returns the file and what a decoder must reconstruct from it: the encoder
 * tracks the decoder's state, with the truncating division of Microsoft's format document and of ffmpeg.
 */
function encodeMs(channels: Int16Array[], blockAlign: number, rate: number, pairs = STANDARD_PAIRS): { wav: CodedWav; decoded: Int16Array } {
  const count = channels.length;
  const framesPerBlock = msFramesPerBlock(blockAlign, count);
  const blocks = Math.ceil(channels[0]!.length / framesPerBlock);
  const data = new Uint8Array(blocks * blockAlign);
  const view = new DataView(data.buffer);
  const decoded = new Int16Array(blocks * framesPerBlock * count);
  for (let block = 0; block < blocks; block++) {
    const base = block * blockAlign;
    const first = block * framesPerBlock;
    const states = channels.map((pcm, c) => {
      const pair = (block + 3 * c) % pairs.length;
      const [sample2, sample1] = [pcm[first] ?? 0, pcm[first + 1] ?? 0];
      const delta = Math.max(16, Math.min(32767, Math.abs(sample1 - sample2)));
      data[base + c] = pair;
      view.setInt16(base + count + 2 * c, delta, true);
      view.setInt16(base + 3 * count + 2 * c, sample1, true);
      view.setInt16(base + 5 * count + 2 * c, sample2, true);
      decoded[first * count + c] = sample2;
      decoded[(first + 1) * count + c] = sample1;
      return { pcm, coefficients: pairs[pair]!, sample1, sample2, delta };
    });
    for (let frame = 2, nibbles = 0; frame < framesPerBlock; frame++) {
      states.forEach((state, c) => {
        const [c1, c2] = state.coefficients;
        const prediction = Math.trunc((state.sample1 * c1 + state.sample2 * c2) / 256);
        const code = Math.max(-8, Math.min(7, Math.round(((state.pcm[first + frame] ?? 0) - prediction) / state.delta)));
        const sample = Math.max(-32768, Math.min(32767, prediction + code * state.delta));
        [state.sample2, state.sample1] = [state.sample1, sample];
        decoded[(first + frame) * count + c] = sample;
        state.delta = Math.max(16, (MS_ADAPTATION[code & 15]! * state.delta) >> 8);
        const at = base + 7 * count + (nibbles >> 1);
        data[at] = data[at]! | (nibbles % 2 === 0 ? (code & 15) << 4 : code & 15);
        nibbles++;
      });
    }
  }
  const fmt = { formatTag: MS, channels: count, sampleRate: rate, blockAlign, bitsPerSample: 4, extension: msExtension(framesPerBlock, pairs) };
  return { wav: { fmt, data }, decoded };
}

decoders('Microsoft ADPCM: when ffmpeg encodes mono and stereo at 8 to 48 kHz, then every sample decodes as in ffmpeg', async ({ dir }) => {
  await assertFfmpegEncodingsDecodeAsFfmpeg(dir, 'adpcm_ms', [
    { rate: 8000, channels: 2, blockSize: 256 },
    { rate: 11025, channels: 1, blockSize: 32 },
    { rate: 22050, channels: 2, blockSize: undefined },
    { rate: 44100, channels: 1, blockSize: 2048 },
    { rate: 48000, channels: 2, blockSize: 8192 },
  ]);
});

decoders('Microsoft ADPCM: when blocks use all seven predictors and odd sizes, then ffmpeg and we agree sample for sample', async ({ dir }) => {
  for (const { rate, channels, blockAlign } of [
    { rate: 8000, channels: 1, blockAlign: 8 },
    { rate: 16000, channels: 1, blockAlign: 100 },
    { rate: 44100, channels: 1, blockAlign: 1000 },
    { rate: 11025, channels: 2, blockAlign: 15 },
    { rate: 22050, channels: 2, blockAlign: 301 },
    { rate: 48000, channels: 2, blockAlign: 2000 },
  ]) {
    const { wav, decoded } = encodeMs(testSignal(1.5, rate, channels).map(toPcm16), blockAlign, rate);
    const label = `${channels} channel(s), ${blockAlign}-byte blocks`;
    const ours = await assertDecodesAsFfmpeg(dir, wav, label);
    // The encoder's reconstruction is ffmpeg's too: the next test may trust it where ffmpeg cannot follow.
    assert.equal(maxDifference(ours, decoded).max, 0, `${label}: the test encoder tracks another decoder`);
  }
});

decoders("Microsoft ADPCM: when the file's coefficient table differs from the standard one, then the file's is used", () => {
  // ffmpeg ignores the table (it keeps the standard seven and drops blocks that pick pair 7 or later), so the
  // reference here is the encoder, which the previous test checked against ffmpeg.
  const pairs: Array<[number, number]> = [[300, -60], [490, -230], [128, 0], [200, 40], [230, 10], [420, -180], [380, -210], [256, -32], [470, -215]];
  for (const channels of [1, 2]) {
    const { wav, decoded } = encodeMs(testSignal(1, 22050, channels).map(toPcm16), 512, 22050, pairs);
    const ours = decodeCodedWav(wav);
    assert.is(ours.length, decoded.length);
    assert.equal(maxDifference(ours, decoded), { max: 0, at: -1 });
    const framesPerBlock = msFramesPerBlock(512, channels);
    const standard = decodeCodedWav({ fmt: { ...wav.fmt, extension: msExtension(framesPerBlock, [...STANDARD_PAIRS, [0, 0], [0, 0]]) }, data: wav.data });
    assert.ok(maxDifference(standard, decoded).max > 1000, 'the coefficient table made no difference');
  }
});

decoders('Microsoft ADPCM: when blocks hold random nibbles and deltas, then ffmpeg and we agree, clamps included', async ({ dir }) => {
  // Random nibbles drive the delta to its ceiling within a few dozen samples; random header deltas may be negative.
  for (const [channels, blockAlign] of [[1, 509], [2, 514]] as const) {
    const data = randomBlocks(40, blockAlign, 0x2b + channels, (block, random) => {
      for (let c = 0; c < channels; c++) block[c] = Math.floor(random() * 7);
    });
    const fmt = { formatTag: MS, channels, sampleRate: 8000, blockAlign, bitsPerSample: 4, extension: msExtension(msFramesPerBlock(blockAlign, channels), STANDARD_PAIRS) };
    await assertDecodesAsFfmpeg(dir, { fmt, data }, `${channels} channel(s) of random nibbles`);
  }
  // And a block that drives the delta to its ceiling (six -8 codes from the largest header delta), lets it fall back
  // (sixty 0 codes) and then plays +1 codes, which show where it has fallen to, and so where it was capped.
  const block = Uint8Array.from([0, 0xff, 0x7f, 0, 0, 0, 0, 0x88, 0x88, 0x88, ...new Array<number>(30).fill(0), ...new Array<number>(20).fill(0x11)]);
  const fmt = { formatTag: MS, channels: 1, sampleRate: 8000, blockAlign: block.length, bitsPerSample: 4, extension: msExtension(msFramesPerBlock(block.length, 1), STANDARD_PAIRS) };
  await assertDecodesAsFfmpeg(dir, { fmt, data: block }, 'the delta at its ceiling');
});

decoders('Microsoft ADPCM: when the last block is cut short, then it decodes as far as its bytes go, as in ffmpeg', async ({ dir }) => {
  // Not tested: 13 bytes of a stereo block, one short of the headers, from which ffmpeg plays one frame partly read
  // from beyond the data; we play nothing.
  await assertCutBlocksDecodeAsFfmpeg(dir, 'adpcm_ms', [
    { channels: 1, remainders: [3, 6, 7, 8, 50, 255] },
    { channels: 2, remainders: [5, 12, 14, 15, 101, 255] },
  ]);
});

decoders('Microsoft ADPCM: when a block selects a coefficient pair the file does not list, then it is refused', () => {
  const { wav } = encodeMs(testSignal(0.1, 8000, 2).map(toPcm16), 64, 8000);
  const decoder = createBlockDecoder(blockLayout(wav.fmt));
  const out = new Int16Array(decoder.framesPerBlock * 2);
  assert.is(decoder.decodeBlock(wav.data.subarray(0, 64), out), decoder.framesPerBlock);
  const bad = wav.data.slice(64, 128);
  bad[1] = 7;
  const error = catchAudioError(() => decoder.decodeBlock(bad, out));
  assert.equal([error.kind, error.property], ['invalid', 'coefficients']);
  assert.match(error.message, /block 2 selects coefficient pair 7 for channel 2/);
});

// ---- GSM 6.10 ----

decoders('GSM 6.10: when ffmpeg encodes with libgsm, then we decode exactly as libgsm, and as ffmpeg within 0.99 correlation', async ({ dir }) => {
  for (const { rate, channels } of [
    { rate: 8000, channels: 1 },
    { rate: 16000, channels: 1 },
    { rate: 44100, channels: 2 },
  ]) {
    const { file, wav } = await ffmpegEncode(dir, testSignal(3, rate, channels), rate, ['-c:a', 'libgsm_ms', '-ar', '8000', '-ac', '1']);
    const label = `from ${rate} Hz, ${channels} channel(s)`;
    const ours = decodeCodedWav(wav);
    assert.is(ours.length, (wav.data.length / 65) * 320);
    const libgsm = ffmpegDecode(file, 'libgsm_ms');
    assert.is(ours.length, libgsm.length);
    assert.equal(maxDifference(ours, libgsm), { max: 0, at: -1 }, `${label}: not libgsm's output`);
    // ffmpeg's own decoder (its default) gives the same samples here, but wraps around where the specification
    // saturates, which loud input reaches (see the next test).
    const native = ffmpegDecode(file);
    assert.is(ours.length, native.length);
    const { correlation, lag } = bestCorrelation(Float32Array.from(native), Float32Array.from(ours), 4);
    assert.ok(correlation >= 0.99 && lag === 0, `${label}: correlation ${correlation} at lag ${lag}`);
  }
});

decoders('GSM 6.10: when the input is loud enough to saturate the filters, or random, then we still decode exactly as libgsm', async ({ dir }) => {
  // Where the specification saturates, ffmpeg's own decoder wraps around (full-scale jumps in its output), so only
  // libgsm is the reference here.
  const random = seededRandom(0x65);
  const square = Float32Array.from({ length: 80000 }, (_, i) => 0.97 * Math.sign(Math.sin((2 * Math.PI * 180 * i) / 8000)) + 0.03 * (2 * random() - 1));
  const { file, wav } = await ffmpegEncode(dir, [square], 8000, ['-c:a', 'libgsm_ms']);
  assert.equal(maxDifference(decodeCodedWav(wav), ffmpegDecode(file, 'libgsm_ms')), { max: 0, at: -1 });
  // Random bits are a valid stream too, and one that reaches every table entry and both ends of every saturation.
  const noise = { fmt: wav.fmt, data: randomBlocks(400, 65, 0x3c, () => {}) };
  const noiseFile = await writeTemp(dir, writeCodedWav(noise));
  assert.equal(maxDifference(decodeCodedWav(noise), ffmpegDecode(noiseFile, 'libgsm_ms')), { max: 0, at: -1 });
});

decoders('GSM 6.10: when a frame carries a lag outside 40..120, then the previous lag is kept, as the specification says', async ({ dir }) => {
  // No encoder writes such lags; we write them over the 7-bit Nc field of some sub-frames (bit 36 + 56·s of a frame).
  const { wav } = await ffmpegEncode(dir, testSignal(1, 8000, 1), 8000, ['-c:a', 'libgsm_ms']);
  const data = wav.data.slice();
  const writeBits = (block: number, bit: number, width: number, value: number) => {
    for (let b = 0; b < width; b++, bit++) {
      const at = block * 65 + (bit >> 3);
      data[at] = (data[at]! & ~(1 << (bit & 7))) | (((value >> b) & 1) << (bit & 7));
    }
  };
  for (let block = 0; block < data.length / 65; block++) {
    writeBits(block, 36 + 56 * 2, 7, block % 40);
    writeBits(block, 260 + 36, 7, 121 + (block % 7));
  }
  const file = await writeTemp(dir, writeCodedWav({ fmt: wav.fmt, data }));
  assert.equal(maxDifference(decodeCodedWav({ fmt: wav.fmt, data }), ffmpegDecode(file, 'libgsm_ms')), { max: 0, at: -1 });
});

decoders('GSM 6.10: when the last block is cut short, then it decodes to nothing, as in ffmpeg', async ({ dir }) => {
  const { wav } = await ffmpegEncode(dir, testSignal(0.5, 8000, 1), 8000, ['-c:a', 'libgsm_ms']);
  for (const remainder of [1, 33, 64]) {
    await assertDecodesAsFfmpeg(dir, cutTo(wav, 5 * 65 + remainder), `${remainder} bytes of the last block`);
  }
});

// ---- Other writers ----

decoders('when sox and libsndfile wrote the file, then every sample decodes as in ffmpeg (libgsm for GSM)', async () => {
  // Their own block sizes and fmt extensions (fixtures/README.md); the fact chunk plays no part in decoding blocks.
  for (const file of [
    'sox-ima-adpcm-mono-8k.wav',
    'sox-ima-adpcm-stereo-44k.wav',
    'sox-ms-adpcm-mono-11k.wav',
    'sox-ms-adpcm-stereo-22k.wav',
    'sox-gsm610-mono-8k.wav',
    'sndfile-ima-adpcm-stereo-16k.wav',
    'sndfile-ms-adpcm-mono-48k.wav',
    'sndfile-ms-adpcm-stereo-44k.wav',
    'sndfile-gsm610-mono-8k.wav',
  ]) {
    const source = fileURLToPath(new URL(`../../../fixtures/${file}`, import.meta.url));
    const wav = readCodedWav(new Uint8Array(await readFile(source)));
    const ours = decodeCodedWav(wav);
    const theirs = ffmpegDecode(source, wav.fmt.formatTag === GSM ? 'libgsm_ms' : undefined);
    assert.is(ours.length, theirs.length, `${file}: ${ours.length} samples, ffmpeg ${theirs.length}`);
    assert.equal(maxDifference(ours, theirs), { max: 0, at: -1 }, file);
  }
});

// ---- fmt chunks ----

decoders('when the fmt chunk is what ffmpeg writes, then the layout follows from it', async ({ dir }) => {
  const source = testSignal(0.2, 8000, 2);
  const layouts = await Promise.all(
    [['adpcm_ima_wav'], ['adpcm_ms', '-block_size', '512'], ['libgsm_ms', '-ac', '1']].map(async ([codec, ...rest]) => {
      const { wav } = await ffmpegEncode(dir, source, 8000, ['-c:a', codec!, ...rest]);
      return blockLayout(wav.fmt);
    }),
  );
  assert.equal(
    layouts.map(({ codec, blockAlign, framesPerBlock, channels }) => ({ codec, blockAlign, framesPerBlock, channels })),
    [
      { codec: 'ima-adpcm', blockAlign: 1024, framesPerBlock: 1017, channels: 2 },
      { codec: 'ms-adpcm', blockAlign: 512, framesPerBlock: 500, channels: 2 },
      { codec: 'gsm610', blockAlign: 65, framesPerBlock: 320, channels: 1 },
    ],
  );
  const msLayout = layouts[1]!;
  if (msLayout.codec !== 'ms-adpcm') throw new Error(`${msLayout.codec} is not ms-adpcm`);
  assert.equal(msLayout.coefficients, STANDARD_PAIRS);
});

const ima = (fields: Partial<BlockFmt> = {}): BlockFmt => ({ formatTag: IMA, channels: 1, blockAlign: 256, bitsPerSample: 4, extension: uint16Bytes(505), ...fields });
const ms = (fields: Partial<BlockFmt> = {}): BlockFmt => ({ formatTag: MS, channels: 1, blockAlign: 256, bitsPerSample: 4, extension: msExtension(500, STANDARD_PAIRS), ...fields });
const gsm = (fields: Partial<BlockFmt> = {}): BlockFmt => ({ formatTag: GSM, channels: 1, blockAlign: 65, bitsPerSample: 0, extension: uint16Bytes(320), ...fields });

decoders('when fmt fields contradict each other, then the refusal names the property at fault', () => {
  const cases: Array<[string, BlockFmt, AudioError['kind'], string]> = [
    ['IMA samples per block that do not fit the block align', ima({ extension: uint16Bytes(504) }), 'invalid', 'samples per block'],
    ['IMA mono blocks of 4 + 33 bytes', ima({ blockAlign: 37, extension: new Uint8Array(0) }), 'invalid', 'block align'],
    ['IMA stereo blocks of 8 + 28 bytes', ima({ channels: 2, blockAlign: 36, extension: new Uint8Array(0) }), 'invalid', 'block align'],
    ['IMA blocks smaller than the headers', ima({ channels: 2, blockAlign: 4, extension: new Uint8Array(0) }), 'invalid', 'block align'],
    ['3-bit IMA ADPCM', ima({ bitsPerSample: 3 }), 'unsupported', 'bits per sample'],
    ['0-bit IMA ADPCM', ima({ bitsPerSample: 0 }), 'invalid', 'bits per sample'],
    ['IMA with 9 channels', ima({ channels: 9, blockAlign: 36 * 9, extension: uint16Bytes(57) }), 'unsupported', 'channels'],
    ['IMA with 0 channels', ima({ channels: 0 }), 'invalid', 'channels'],
    ['MS samples per block that do not fit the block align', ms({ extension: msExtension(498, STANDARD_PAIRS) }), 'invalid', 'samples per block'],
    ['MS with 6 coefficient pairs', ms({ extension: msExtension(500, STANDARD_PAIRS.slice(0, 6)) }), 'invalid', 'coefficients'],
    ['MS declaring 8 pairs and holding 7', ms({ extension: msExtension(500, STANDARD_PAIRS, 8) }), 'invalid', 'coefficients'],
    ['MS without its fmt extension', ms({ extension: new Uint8Array(0) }), 'invalid', 'coefficients'],
    ['MS stereo blocks smaller than the headers', ms({ channels: 2, blockAlign: 13, extension: msExtension(0, STANDARD_PAIRS) }), 'invalid', 'block align'],
    ['MS with 3 channels', ms({ channels: 3, blockAlign: 255, extension: msExtension(158, STANDARD_PAIRS) }), 'unsupported', 'channels'],
    ['8-bit MS ADPCM', ms({ bitsPerSample: 8 }), 'unsupported', 'bits per sample'],
    ['stereo GSM', gsm({ channels: 2 }), 'invalid', 'channels'],
    ['GSM blocks of 64 bytes', gsm({ blockAlign: 64 }), 'invalid', 'block align'],
    ['GSM with 160 samples per block', gsm({ extension: uint16Bytes(160) }), 'invalid', 'samples per block'],
  ];
  for (const [label, fmt, kind, property] of cases) {
    const error = catchAudioError(() => blockLayout(fmt));
    assert.equal({ kind: error.kind, property: error.property }, { kind, property }, `${label}: ${error.message}`);
  }
  // The same fields, consistent, are accepted; a missing IMA or GSM extension is no contradiction.
  for (const fmt of [ima(), ima({ extension: new Uint8Array(0) }), ms(), gsm(), gsm({ extension: new Uint8Array(0) })]) blockLayout(fmt);
});

decoders.run();
