// The matrix that folds a WAV's channels into the one or two channels of the MP3.
// Coefficients follow ITU-R BS.775 (centre and surrounds at -3 dB, LFE dropped), scaled so that a full-scale
// signal on every input channel cannot clip.
import type { WavFormat } from './wav-header.js';

/** mix[out][in]: the weight of input channel `in` in output channel `out`. */
export type MixMatrix = number[][];

const FL = 0x1, FR = 0x2, FC = 0x4, LFE = 0x8, BL = 0x10, BR = 0x20, FLC = 0x40, FRC = 0x80, BC = 0x100, SL = 0x200, SR = 0x400;
const HALF_POWER = Math.SQRT1_2;

// Speaker positions of files that do not say (the defaults of WAVE_FORMAT_EXTENSIBLE and of ffmpeg).
const DEFAULT_MASKS: Record<number, number> = {
  3: FL | FR | FC,
  4: FL | FR | BL | BR,
  5: FL | FR | FC | BL | BR,
  6: FL | FR | FC | LFE | BL | BR,
  7: FL | FR | FC | LFE | BC | SL | SR,
  8: FL | FR | FC | LFE | BL | BR | SL | SR,
};

function stereoWeights(speaker: number): [number, number] {
  switch (speaker) {
    case FL: case FLC: return [1, 0];
    case FR: case FRC: return [0, 1];
    case FC: return [HALF_POWER, HALF_POWER];
    case LFE: return [0, 0];
    case BL: case SL: return [HALF_POWER, 0];
    case BR: case SR: return [0, HALF_POWER];
    case BC: return [0.5, 0.5];
    // Height and other rare positions: centred.
    default: return [0.5, 0.5];
  }
}

function speakersOf(channels: number, channelMask: number): number[] {
  const bits = (mask: number) => Array.from({ length: 32 }, (_, i) => 1 << i).filter((bit) => (mask & bit) !== 0);
  const declared = bits(channelMask >>> 0);
  // A mask that names fewer speakers than there are channels is unusable; fall back to the default layout.
  return declared.length >= channels ? declared.slice(0, channels) : bits(DEFAULT_MASKS[channels] ?? 0);
}

function surroundToStereo(channels: number, channelMask: number): MixMatrix {
  const weights = speakersOf(channels, channelMask).map(stereoWeights);
  const left = weights.map(([l]) => l);
  const right = weights.map(([, r]) => r);
  const sum = (row: number[]) => row.reduce((a, b) => a + b, 0);
  const scale = 1 / Math.max(sum(left), sum(right), 1);
  return [left.map((w) => w * scale), right.map((w) => w * scale)];
}

export function mixMatrix(format: Pick<WavFormat, 'channels' | 'channelMask'>, outputChannels: 1 | 2): MixMatrix {
  const { channels, channelMask } = format;
  const stereo: MixMatrix =
    channels === 1 ? [[1], [1]] : channels === 2 ? [[1, 0], [0, 1]] : surroundToStereo(channels, channelMask);
  if (outputChannels === 2) return stereo;
  if (channels === 1) return [[1]];
  return [stereo[0]!.map((w, i) => (w + stereo[1]![i]!) / 2)];
}
