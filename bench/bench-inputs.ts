// The recordings the benchmarks convert, generated on the spot: full size for the report, a few seconds each for
// a smoke run.
import path from 'node:path';
import { writeBenchWav, type BenchWavSpec } from './wav-input.js';

export type BenchInputName = 'music-60s' | 'music-20min' | 'voice-60s';

const FULL_SIZE: Record<BenchInputName, BenchWavSpec> = {
  'music-60s': { seconds: 60, sampleRate: 44100, channels: 2, content: 'music' },
  'music-20min': { seconds: 20 * 60, sampleRate: 44100, channels: 2, content: 'music' },
  'voice-60s': { seconds: 60, sampleRate: 16000, channels: 1, content: 'voice' },
};
// The long input stays longer than the short ones, so that a smoke run exercises the same comparisons.
const TINY_SECONDS: Record<BenchInputName, number> = { 'music-60s': 2, 'music-20min': 4, 'voice-60s': 2 };

export interface BenchInput {
  name: BenchInputName;
  path: string;
  spec: BenchWavSpec;
  bytes: number;
}

export function benchInputSpec(name: BenchInputName, tiny: boolean): BenchWavSpec {
  return tiny ? { ...FULL_SIZE[name], seconds: TINY_SECONDS[name] } : FULL_SIZE[name];
}

/** "60 s music, 44.1 kHz stereo" */
export function describeInput(spec: BenchWavSpec): string {
  const length = spec.seconds >= 120 ? `${spec.seconds / 60} min` : `${spec.seconds} s`;
  return `${length} ${spec.content}, ${spec.sampleRate / 1000} kHz ${spec.channels === 2 ? 'stereo' : 'mono'}`;
}

export async function writeBenchInputs(dir: string, names: BenchInputName[], tiny: boolean): Promise<BenchInput[]> {
  const inputs: BenchInput[] = [];
  for (const name of names) {
    const spec = benchInputSpec(name, tiny);
    const file = path.join(dir, `${name}.wav`);
    inputs.push({ name, path: file, spec, bytes: await writeBenchWav(file, spec) });
  }
  return inputs;
}
