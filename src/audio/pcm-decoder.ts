// Turns raw WAV data bytes into planar Float32 samples for the encoder, chunk by chunk, with buffers that are
// allocated once per conversion and reused: no per-sample allocation and no Float64 step.
import { mixMatrix, type MixMatrix } from './channel-mix.js';
import type { WavFormat } from './wav-header.js';

export interface PcmDecoder {
  readonly outputChannels: 1 | 2;
  /** Decodes `frames` whole frames from `bytes` into `out[channel][0..frames)`. */
  decode(bytes: Uint8Array, frames: number, out: Float32Array[]): void;
}

type SampleReader = (view: DataView, offset: number) => number;

// G.711 expansions to 16-bit linear, as a table: 256 entries beat the bit twiddling per sample.
function expandALaw(code: number): number {
  const a = code ^ 0x55;
  const exponent = (a & 0x70) >> 4;
  let magnitude = ((a & 0x0f) << 4) + 8;
  if (exponent !== 0) magnitude = (magnitude + 0x100) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}
function expandMuLaw(code: number): number {
  const u = ~code & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4)) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}
const ALAW = Float32Array.from({ length: 256 }, (_, i) => expandALaw(i) / 32768);
const MULAW = Float32Array.from({ length: 256 }, (_, i) => expandMuLaw(i) / 32768);

/**
 * Float WAVs may hold anything: overs from a DAW, NaN, or 1e15 from a corrupt file. LAME writes a broken stream for
 * huge values, so samples are clipped to full scale, as a DAC would, and NaN becomes silence.
 */
const clampFloat = (x: number) => (x >= -1 && x <= 1 ? x : x > 1 ? 1 : x < -1 ? -1 : 0);

function sampleReader(format: WavFormat): SampleReader {
  const le = format.littleEndian;
  switch (format.encoding) {
    case 'ima-adpcm':
    case 'ms-adpcm':
    case 'gsm610':
      throw new Error(`${format.encoding} is read as the 16-bit PCM its blocks decode to (sample-chunks.ts)`);
    case 'alaw': return (v, o) => ALAW[v.getUint8(o)]!;
    case 'mulaw': return (v, o) => MULAW[v.getUint8(o)]!;
    case 'float':
      return format.bytesPerSample === 8 ? (v, o) => clampFloat(v.getFloat64(o, le)) : (v, o) => clampFloat(v.getFloat32(o, le));
    case 'pcm':
      switch (format.bytesPerSample) {
        case 1: return (v, o) => (v.getUint8(o) - 128) / 128;
        case 2: return (v, o) => v.getInt16(o, le) / 32768;
        case 3:
          return le
            ? (v, o) => ((v.getUint8(o) | (v.getUint8(o + 1) << 8) | (v.getInt8(o + 2) << 16)) / 8388608)
            : (v, o) => ((v.getUint8(o + 2) | (v.getUint8(o + 1) << 8) | (v.getInt8(o) << 16)) / 8388608);
        default: return (v, o) => v.getInt32(o, le) / 2147483648;
      }
  }
}

function mixInto(mix: MixMatrix, read: SampleReader, format: WavFormat) {
  const { channels, bytesPerSample, frameBytes } = format;
  return (view: DataView, frames: number, out: Float32Array[]) => {
    if (mix.length === channels && mix.every((row, o) => row[o] === 1 && row.every((w, i) => i === o || w === 0))) {
      // Channels pass straight through: the common mono and stereo cases.
      for (let c = 0; c < channels; c++) {
        const plane = out[c]!;
        for (let f = 0, o = c * bytesPerSample; f < frames; f++, o += frameBytes) plane[f] = read(view, o);
      }
      return;
    }
    for (let c = 0; c < mix.length; c++) out[c]!.fill(0, 0, frames);
    for (let i = 0; i < channels; i++) {
      for (let c = 0; c < mix.length; c++) {
        const weight = mix[c]![i]!;
        if (weight === 0) continue;
        const plane = out[c]!;
        for (let f = 0, o = i * bytesPerSample; f < frames; f++, o += frameBytes) plane[f]! += weight * read(view, o);
      }
    }
  };
}

export function createPcmDecoder(format: WavFormat, outputChannels: 1 | 2): PcmDecoder {
  const decodeFrames = mixInto(mixMatrix(format, outputChannels), sampleReader(format), format);
  return {
    outputChannels,
    decode(bytes, frames, out) {
      decodeFrames(new DataView(bytes.buffer, bytes.byteOffset, frames * format.frameBytes), frames, out);
    },
  };
}
