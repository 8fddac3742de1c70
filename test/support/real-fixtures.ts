// The WAV files other tools wrote (sox, ffmpeg; see fixtures/README.md), with what fixtures/fixtures.json says each
// holds, and what its MP3 must therefore carry. The expectations are worked out here from the file's declared layout,
// not from src/, so that a fault in the service's decoding or downmix cannot also move what it is compared with.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REAL_FIXTURES_DIR = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

export interface RealFixture {
  file: string;
  /** Absolute path of the file. */
  path: string;
  tool: string;
  description: string;
  container: 'RIFF' | 'RIFX' | 'RF64';
  encoding: 'pcm' | 'float' | 'alaw' | 'mulaw';
  bitsPerSample: number;
  extensible: boolean;
  channelMask: number;
  sampleRate: number;
  channels: number;
  /** Whole sample frames present in the file (for a file cut short, fewer than its data chunk declares). */
  frames: number;
  truncated: boolean;
  /** Frames the header declares, when the file holds fewer (truncated); `frames` otherwise. */
  declaredFrames?: number;
  chunks: string[];
  /** The frequency of the one sine each channel carries, in channel order. */
  toneHz: number[];
  /** Peak amplitude of every channel's sine, full scale being 1. */
  toneAmplitude: number;
}

/** Read synchronously: tests are registered per fixture when the test file loads. */
export function loadRealFixtures(): RealFixture[] {
  const entries = JSON.parse(readFileSync(path.join(REAL_FIXTURES_DIR, 'fixtures.json'), 'utf8')) as Omit<RealFixture, 'path'>[];
  return entries.map((entry) => ({ ...entry, path: path.join(REAL_FIXTURES_DIR, entry.file) }));
}

/** The sample rates MPEG audio carries; the service encodes at the nearest one, ties going up. */
const MP3_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

const H = Math.SQRT1_2;
/**
 * ITU-R BS.775 stereo weights by WAVE_FORMAT_EXTENSIBLE speaker bit, as the README promises: front left/right whole,
 * centre and surrounds at -3 dB, LFE dropped.
 */
const STEREO_WEIGHTS: Record<number, [number, number]> = {
  0x1: [1, 0], // FL
  0x2: [0, 1], // FR
  0x4: [H, H], // FC
  0x8: [0, 0], // LFE
  0x10: [H, 0], // BL
  0x20: [0, H], // BR
  0x200: [H, 0], // SL
  0x400: [0, H], // SR
};

export interface ExpectedTone {
  hz: number;
  amplitude: number;
}

export interface ExpectedMp3 {
  sampleRate: number;
  channels: 1 | 2;
  /** Per channel, after the gapless trim the LAME tag asks for. */
  samples: number;
  /** Per output channel: every input tone with the amplitude it must arrive with (0 for one that must be absent). */
  tones: ExpectedTone[][];
  /** Per output channel: the tone that must be its strongest. */
  dominantHz: number[];
}

function stereoMix(fixture: RealFixture): number[][] {
  if (fixture.channels === 2) return [[1, 0], [0, 1]];
  const speakers = Array.from({ length: 32 }, (_, bit) => 1 << bit).filter((bit) => (fixture.channelMask & bit) !== 0);
  if (speakers.length !== fixture.channels) throw new Error(`${fixture.file}: the test knows no layout for mask 0x${fixture.channelMask.toString(16)}`);
  const weights = speakers.map((speaker) => {
    const pair = STEREO_WEIGHTS[speaker];
    if (!pair) throw new Error(`${fixture.file}: the test knows no BS.775 weight for speaker bit 0x${speaker.toString(16)}`);
    return pair;
  });
  // Scaled so a full-scale signal on every channel cannot clip.
  const sum = (side: 0 | 1) => weights.reduce((total, pair) => total + pair[side], 0);
  const scale = 1 / Math.max(sum(0), sum(1), 1);
  return [weights.map(([left]) => left * scale), weights.map(([, right]) => right * scale)];
}

export function expectedMp3(fixture: RealFixture): ExpectedMp3 {
  const sampleRate = MP3_RATES.reduce((best, rate) => (Math.abs(rate - fixture.sampleRate) <= Math.abs(best - fixture.sampleRate) ? rate : best));
  const samples = Math.round((fixture.frames * sampleRate) / fixture.sampleRate);
  const strongest = (row: number[]) => fixture.toneHz[row.indexOf(Math.max(...row))]!;
  if (fixture.channels === 1) {
    return { sampleRate, channels: 1, samples, tones: [[{ hz: fixture.toneHz[0]!, amplitude: fixture.toneAmplitude }]], dominantHz: [fixture.toneHz[0]!] };
  }
  const mix = stereoMix(fixture);
  return {
    sampleRate,
    channels: 2,
    samples,
    tones: mix.map((row) => row.map((weight, c) => ({ hz: fixture.toneHz[c]!, amplitude: weight * fixture.toneAmplitude }))),
    dominantHz: mix.map(strongest),
  };
}
