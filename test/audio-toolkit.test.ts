/**
 * Tests of the test-side audio toolkit itself: if the fixtures or the measurements were wrong,
 * every service test built on them would be wrong in the same way and still pass.
 */
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { createMp3Encoder } from 'wasm-media-encoders';
import { encodeWav, linearToAlaw, linearToMulaw, type WavEncoding, type WavSpec } from './fixtures/wav-writer.js';
import { musicLike, seededRandom, sine } from './fixtures/signals.js';
import { decodeMp3, UNTAGGED_MP3_LEADING_DELAY_SAMPLES } from './support/mp3-decode.js';
import { bestCorrelation, dominantFrequency, resampleLinearForComparison, rms } from './support/audio-analysis.js';

// ---- A deliberately independent, minimal WAV reader: enough to check what the writer wrote. ----

interface ParsedWav {
  container: string;
  littleEndian: boolean;
  riffSizeField: number;
  chunks: Array<{ id: string; sizeField: number; bodyOffset: number }>;
  fmt: { tag: number; channels: number; sampleRate: number; byteRate: number; blockAlign: number; bits: number; size: number };
  ds64?: { riffSize: bigint; dataSize: bigint; sampleCount: bigint };
  dataOffset: number;
  dataSizeField: number;
}

function ascii(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

function readWav(bytes: Uint8Array): ParsedWav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const container = ascii(bytes, 0);
  const le = container !== 'RIFX';
  assert.equal(ascii(bytes, 8), 'WAVE');
  const parsed: Partial<ParsedWav> & { chunks: ParsedWav['chunks'] } = {
    container,
    littleEndian: le,
    riffSizeField: view.getUint32(4, le),
    chunks: [],
  };
  for (let offset = 12; offset + 8 <= bytes.length; ) {
    const id = ascii(bytes, offset);
    const sizeField = view.getUint32(offset + 4, le);
    const body = offset + 8;
    parsed.chunks.push({ id, sizeField, bodyOffset: body });
    let size = sizeField;
    if (id === 'ds64') {
      const u64 = (at: number): bigint => view.getBigUint64(body + at, true); // ds64 is little-endian by definition
      parsed.ds64 = { riffSize: u64(0), dataSize: u64(8), sampleCount: u64(16) };
    } else if (id === 'fmt ') {
      const u16 = (at: number): number => view.getUint16(body + at, le);
      const u32 = (at: number): number => view.getUint32(body + at, le);
      parsed.fmt = {
        tag: u16(0), channels: u16(2), sampleRate: u32(4), byteRate: u32(8), blockAlign: u16(12), bits: u16(14), size: sizeField,
      };
    } else if (id === 'data') {
      parsed.dataOffset = body;
      parsed.dataSizeField = sizeField;
      size = container === 'RF64' ? Number(parsed.ds64?.dataSize) : sizeField;
      if (size === 0 || size > bytes.length - body) size = bytes.length - body; // streaming placeholder
    }
    offset = body + size + (size & 1);
  }
  if (!parsed.fmt || parsed.dataOffset === undefined) throw new Error('fmt or data chunk missing');
  return parsed as ParsedWav;
}

function alawToLinear(code: number): number {
  const a = code ^ 0x55;
  const segment = (a & 0x70) >> 4;
  let magnitude = ((a & 0x0f) << 4) + (segment === 0 ? 8 : 0x108);
  if (segment > 1) magnitude <<= segment - 1;
  return a & 0x80 ? magnitude : -magnitude;
}

function mulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const magnitude = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - magnitude : magnitude - 0x84;
}

function decodeSamples(bytes: Uint8Array, wav: ParsedWav, encoding: WavEncoding): Float32Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { channels, blockAlign, bits } = wav.fmt;
  const le = wav.littleEndian;
  const declared = wav.ds64 ? Number(wav.ds64.dataSize) : wav.dataSizeField;
  const frames = Math.floor(Math.min(declared, bytes.length - wav.dataOffset) / blockAlign);
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  const scale = 2 ** (bits - 1) - 1;
  const read = (o: number): number => {
    if (encoding === 'float') return bits === 32 ? view.getFloat32(o, le) : view.getFloat64(o, le);
    if (encoding === 'alaw') return alawToLinear(bytes[o]!) / 32767;
    if (encoding === 'mulaw') return mulawToLinear(bytes[o]!) / 32767;
    if (bits === 8) return (bytes[o]! - 128) / scale;
    if (bits === 16) return view.getInt16(o, le) / scale;
    if (bits === 32) return view.getInt32(o, le) / scale;
    const [b0, b1, b2] = le ? [bytes[o]!, bytes[o + 1]!, bytes[o + 2]!] : [bytes[o + 2]!, bytes[o + 1]!, bytes[o]!];
    return (((b2 << 24) | (b1 << 16) | (b0 << 8)) >> 8) / scale;
  };
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) out[c]![i] = read(wav.dataOffset + i * blockAlign + (c * bits) / 8);
  }
  return out;
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

// ---- WAV writer ----

const FORMATS: Array<{ encoding: WavEncoding; bits: number; tag: number; tolerance: number }> = [
  { encoding: 'pcm', bits: 8, tag: 1, tolerance: 0.5 / 127 },
  { encoding: 'pcm', bits: 16, tag: 1, tolerance: 0.5 / 32767 },
  { encoding: 'pcm', bits: 24, tag: 1, tolerance: 0.5 / 8388607 },
  { encoding: 'pcm', bits: 32, tag: 1, tolerance: 0.5 / 2147483647 },
  { encoding: 'float', bits: 32, tag: 3, tolerance: 0 },
  { encoding: 'float', bits: 64, tag: 3, tolerance: 0 },
  // G.711's coarsest step near 0.8 of full scale is 1024/32768; half of it plus rounding slack.
  { encoding: 'alaw', bits: 8, tag: 6, tolerance: 0.02 },
  { encoding: 'mulaw', bits: 8, tag: 7, tolerance: 0.02 },
];
const CONTAINERS = ['RIFF', 'RIFX', 'RF64'] as const;

test('when each encoding is written in each container and read back, headers are right and samples match within a step', () => {
  const frames = 1001; // odd, so 8-bit mono-sized data would need a pad byte
  const source = musicLike(frames / 8000, 8000, 2);
  for (const { encoding, bits, tag, tolerance } of FORMATS) {
    for (const container of CONTAINERS) {
      for (const extensible of [false, true]) {
        const label = `${encoding}${bits} ${container}${extensible ? ' extensible' : ''}`;
        const bytes = encodeWav({ sampleRate: 8000, channels: 2, encoding, bitsPerSample: bits, container, extensible }, source);
        const wav = readWav(bytes);
        const blockAlign = (2 * bits) / 8;
        assert.is(wav.container, container, label);
        const fmtSize = extensible ? 40 : encoding === 'pcm' ? 16 : 18;
        const fmtTag = extensible ? 0xfffe : tag;
        const byteRate = 8000 * blockAlign;
        assert.equal(wav.fmt, { tag: fmtTag, channels: 2, sampleRate: 8000, byteRate, blockAlign, bits, size: fmtSize }, label);
        if (container === 'RF64') {
          assert.is(wav.riffSizeField, 0xffffffff, label);
          assert.is(wav.dataSizeField, 0xffffffff, label);
          assert.is(wav.chunks[0]?.id, 'ds64', label);
          const sizes = { riffSize: BigInt(bytes.length - 8), dataSize: BigInt(frames * blockAlign), sampleCount: BigInt(frames) };
          assert.equal(wav.ds64, sizes, label);
        } else {
          assert.is(wav.riffSizeField, bytes.length - 8, label);
          assert.is(wav.dataSizeField, frames * blockAlign, label);
        }
        const decoded = decodeSamples(bytes, wav, encoding);
        for (let c = 0; c < 2; c++) {
          const error = maxAbsDifference(decoded[c]!, source[c]!);
          assert.ok(error <= tolerance + 1e-12, `${label} channel ${c}: max error ${error} > ${tolerance}`);
        }
      }
    }
  }
});

test('when samples are out of range, integer formats clip instead of wrapping, and 8-bit is unsigned', () => {
  const loud = [new Float32Array([0, 1, -1, 1.5, -1.5, 0.5])];
  const pcm8 = encodeWav({ sampleRate: 8000, channels: 1, bitsPerSample: 8 }, loud);
  const data8 = readWav(pcm8).dataOffset;
  assert.equal([...pcm8.subarray(data8, data8 + 6)], [128, 255, 1, 255, 1, 192]);
  const pcm16 = encodeWav({ sampleRate: 8000, channels: 1 }, loud);
  const view16 = new DataView(pcm16.buffer, readWav(pcm16).dataOffset);
  assert.equal([0, 1, 2, 3, 4].map((i) => view16.getInt16(i * 2, true)), [0, 32767, -32767, 32767, -32767]);
  const pcm24 = encodeWav({ sampleRate: 8000, channels: 1, bitsPerSample: 24 }, loud);
  const data24 = readWav(pcm24).dataOffset;
  assert.equal([...pcm24.subarray(data24 + 9, data24 + 15)], [0xff, 0xff, 0x7f, 0x01, 0x00, 0x80]); // +1.5 and -1.5
  const rifx = encodeWav({ sampleRate: 8000, channels: 1, container: 'RIFX' }, [new Float32Array([0.5])]);
  assert.equal([...rifx.subarray(readWav(rifx).dataOffset)], [0x40, 0x00]);
});

test('G.711 encoders give the reference code points and invert the reference decoders', () => {
  assert.equal([0, 32767, -32767, -32768].map(linearToMulaw), [0xff, 0x80, 0x00, 0x00]);
  assert.equal([0, 32767, -32767, -32768].map(linearToAlaw), [0xd5, 0xaa, 0x2a, 0x2a]);
  // A-law's smallest steps are symmetric about zero: [0, 15] and [-16, -1] share a magnitude code.
  assert.equal([15, 16, -16, -17].map(linearToAlaw), [0xd5, 0xd4, 0x55, 0x54]);
  for (let code = 0; code < 256; code++) {
    assert.is(linearToAlaw(alawToLinear(code)), code, `A-law ${code}`);
    if (code !== 0x7f) assert.is(linearToMulaw(mulawToLinear(code)), code, `µ-law ${code}`); // 0x7F is µ-law's "-0"
  }
});

test('when extra chunks and odd sizes are present, chunks land where asked and odd bodies get a zero pad byte', () => {
  const bytes = encodeWav(
    {
      sampleRate: 8000,
      channels: 1,
      bitsPerSample: 8,
      extraChunks: [
        { id: 'JUNK', data: new Uint8Array(3).fill(7), where: 'before-fmt' },
        { id: 'LIST', data: new Uint8Array(5).fill(7), where: 'before-data' },
        { id: 'id3 ', data: new Uint8Array(1).fill(7), where: 'after-data' },
      ],
    },
    [new Float32Array(3)],
  );
  const wav = readWav(bytes);
  assert.equal(wav.chunks.map((c) => [c.id, c.sizeField]), [['JUNK', 3], ['fmt ', 16], ['LIST', 5], ['data', 3], ['id3 ', 1]]);
  for (const chunk of wav.chunks.filter((c) => c.sizeField % 2 === 1)) {
    assert.is(bytes[chunk.bodyOffset + chunk.sizeField], 0, `${chunk.id} pad`);
  }
  assert.is(bytes.length, 12 + (8 + 4) + (8 + 16) + (8 + 6) + (8 + 4) + (8 + 2));
  assert.is(wav.riffSizeField, bytes.length - 8);
});

test('when extensible, the fmt chunk carries cbSize 22, valid bits, channel mask and the sub-format GUID', () => {
  for (const [container, le] of [['RIFF', true], ['RIFX', false]] as const) {
    const spec: WavSpec = { sampleRate: 48000, channels: 2, bitsPerSample: 24, extensible: true, container };
    const bytes = encodeWav(spec, [new Float32Array(1), new Float32Array(1)]);
    const fmt = readWav(bytes).chunks.find((c) => c.id === 'fmt ')!;
    const view = new DataView(bytes.buffer, fmt.bodyOffset);
    const cbSize = view.getUint16(16, le);
    const validBits = view.getUint16(18, le);
    const channelMask = view.getUint32(20, le);
    const guidData1 = view.getUint32(24, le);
    assert.equal([cbSize, validBits, channelMask, guidData1], [22, 24, 0x3, 1], container);
    const guidData2And3 = le ? [0, 0, 0x10, 0] : [0, 0, 0, 0x10];
    const guidRest = [...bytes.subarray(fmt.bodyOffset + 28, fmt.bodyOffset + 40)];
    assert.equal(guidRest, [...guidData2And3, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71], container);
  }
});

test('when unknownSizes is set, the placeholder goes into the RIFF and data sizes (ds64 for RF64)', () => {
  const samples = [new Float32Array(10)];
  for (const placeholder of [0, 0xffffffff] as const) {
    const riff = readWav(encodeWav({ sampleRate: 8000, channels: 1, unknownSizes: placeholder }, samples));
    assert.equal([riff.riffSizeField, riff.dataSizeField], [placeholder, placeholder]);
    const rf64 = readWav(encodeWav({ sampleRate: 8000, channels: 1, container: 'RF64', unknownSizes: placeholder }, samples));
    assert.equal([rf64.riffSizeField, rf64.dataSizeField], [0xffffffff, 0xffffffff]);
    assert.equal([rf64.ds64?.riffSize, rf64.ds64?.dataSize, rf64.ds64?.sampleCount], [BigInt(placeholder), BigInt(placeholder), 10n]);
  }
});

test('when truncateDataBytes is set, the file ends that far short of the declared data, even mid-sample', () => {
  const lostChunk = { id: 'LIST', data: new Uint8Array(4), where: 'after-data' } as const;
  const spec: WavSpec = { sampleRate: 8000, channels: 2, truncateDataBytes: 3, extraChunks: [lostChunk] };
  const bytes = encodeWav(spec, [new Float32Array(100), new Float32Array(100)]);
  const wav = readWav(bytes);
  assert.is(wav.dataSizeField, 400);
  assert.is(bytes.length, wav.dataOffset + 397);
  assert.not.ok(wav.chunks.some((c) => c.id === 'LIST'));
});

test('when a spec is impossible, encodeWav says exactly what is wrong', () => {
  const mono = [new Float32Array(4)];
  const twelveBit = { sampleRate: 8000, channels: 1, bitsPerSample: 12 };
  assert.throws(() => encodeWav(twelveBit, mono), /pcm supports bitsPerSample 8, 16, 24, 32, got 12/);
  assert.throws(() => encodeWav({ sampleRate: 8000, channels: 2 }, mono), /channels is 2 but 1 sample arrays/);
  assert.throws(() => encodeWav({ sampleRate: 8000, channels: 1, truncateDataBytes: 9 }, mono), /truncateDataBytes must be/);
  const badId = { id: 'LONGID', data: new Uint8Array(0), where: 'after-data' } as const;
  assert.throws(() => encodeWav({ sampleRate: 8000, channels: 1, extraChunks: [badId] }, mono), /chunk id must be 4 printable/);
});

// ---- Signals ----

test('signals are deterministic, in range, and musicLike differs per channel', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const draws = Array.from({ length: 1000 }, () => a());
  assert.equal(draws, Array.from({ length: 1000 }, () => b()));
  assert.ok(draws.every((x) => x >= 0 && x < 1));
  assert.not.equal(draws[0], seededRandom(43)());

  const tone = sine(440, 0.5, 8000, 0.25);
  assert.is(tone.length, 4000);
  assert.ok(Math.abs(rms(tone) - 0.25 / Math.SQRT2) < 1e-4);

  const [left, right] = musicLike(2, 22050, 2) as [Float32Array, Float32Array];
  assert.equal(left, musicLike(2, 22050, 2)[0]);
  assert.ok(Math.max(...left.map(Math.abs)) <= 0.8 + 1e-6);
  assert.ok(bestCorrelation(left, right, 100).correlation < 0.5, 'channels should carry different content');
});

// ---- Analysis ----

test('dominantFrequency finds 440 Hz and 1234 Hz within 0.5 Hz', () => {
  assert.ok(Math.abs(dominantFrequency(sine(440, 3, 44100), 44100) - 440) < 0.5);
  assert.ok(Math.abs(dominantFrequency(sine(1234, 3, 44100), 44100) - 1234) < 0.5);
});

// Speed is the benchmarks' business, not a wall-clock bound that a busy machine breaks; what matters here is the
// algorithm: done by FFT it takes milliseconds, done sample by sample (O(n²)) far longer than the time limit.
const QUADRATIC_WOULD_EXCEED = { timeLimitMs: 30_000 };

test('dominantFrequency handles 10 s at 48 kHz (an FFT, not a sample-by-sample transform)', () => {
  const found = dominantFrequency(sine(997, 10, 48000), 48000);
  assert.ok(Math.abs(found - 997) < 0.2, `found ${found}`);
}, QUADRATIC_WOULD_EXCEED);

test('bestCorrelation finds a known positive and negative lag in 10 s at 48 kHz with maxLag 3000 (by FFT)', () => {
  const [reference] = musicLike(10, 48000, 1) as [Float32Array];
  const noise = seededRandom(7);
  for (const lag of [1105, -777]) {
    const shifted = new Float32Array(reference.length);
    for (let i = 0; i < shifted.length; i++) shifted[i] = 0.5 * (reference[i - lag] ?? 0) + 0.01 * (noise() - 0.5);
    const found = bestCorrelation(reference, shifted, 3000);
    assert.is(found.lag, lag);
    assert.ok(found.correlation > 0.99, `correlation ${found.correlation}`);
  }
  assert.throws(() => bestCorrelation(reference.subarray(0, 100), reference, 50), /maxLagSamples/);
}, QUADRATIC_WOULD_EXCEED);

test('resampleLinearForComparison keeps duration and pitch', () => {
  const resampled = resampleLinearForComparison(sine(1000, 2, 44100), 44100, 48000);
  assert.ok(Math.abs(resampled.length - 96000) <= 1, `length ${resampled.length}`);
  assert.ok(Math.abs(dominantFrequency(resampled, 48000) - 1000) < 0.5);
});

// ---- MP3 decoding ----

async function encodeMp3(channels: Float32Array[], sampleRate: number): Promise<Uint8Array> {
  const encoder = await createMp3Encoder();
  encoder.configure({ sampleRate, channels: channels.length as 1 | 2, bitrate: 128 });
  const body = encoder.encode(channels).slice(); // the view points into WASM memory that the next call reuses
  const tail = encoder.finalize().slice();
  const bytes = new Uint8Array(body.length + tail.length);
  bytes.set(body);
  bytes.set(tail, body.length);
  return bytes;
}

test('decodeMp3 returns mono as one channel, aligned at the known untagged LAME delay', async () => {
  const source = musicLike(1, 44100, 1);
  const decoded = await decodeMp3(await encodeMp3(source, 44100));
  assert.is(decoded.sampleRate, 44100);
  assert.is(decoded.channels.length, 1);
  assert.is(decoded.samples, decoded.channels[0]?.length);
  assert.ok(decoded.samples >= 44100 + UNTAGGED_MP3_LEADING_DELAY_SAMPLES);
  const match = bestCorrelation(source[0]!, decoded.channels[0]!, 3000);
  assert.is(match.lag, UNTAGGED_MP3_LEADING_DELAY_SAMPLES);
  assert.ok(match.correlation > 0.95, `correlation ${match.correlation}`);
});

test('decodeMp3 keeps stereo channels apart', async () => {
  const source = musicLike(1, 48000, 2);
  const decoded = await decodeMp3(await encodeMp3(source, 48000));
  assert.is(decoded.sampleRate, 48000);
  assert.is(decoded.channels.length, 2);
  for (const c of [0, 1]) {
    const own = bestCorrelation(source[c]!, decoded.channels[c]!, 3000);
    const other = bestCorrelation(source[1 - c]!, decoded.channels[c]!, 3000);
    assert.ok(own.correlation > 0.95 && other.correlation < 0.5, `channel ${c}: own ${own.correlation}, other ${other.correlation}`);
  }
});

test('decodeMp3 rejects bytes that hold no MPEG audio', async () => {
  const wav = encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 0.1, 8000)]);
  const outcome = await decodeMp3(wav).then(() => 'decoded', (error: unknown) => error);
  assert.instance(outcome, Error);
});

test.run();
