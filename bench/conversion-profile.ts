// Where the conversion path spends its CPU: convertWavFile on the 60 s file under `node --cpu-prof`, for each
// encoder, several profiles each; the functions with the most self time, with their share of busy time.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EncoderName } from '../src/audio/mp3-encoder.js';
import type { Benchmark } from './bench-options.js';
import { describeInput, writeBenchInputs } from './bench-inputs.js';
import { selfTimes, type SelfTime } from './cpu-profile-summary.js';
import { watchMachineLoad } from './machine-load.js';
import { machineDescription, median } from './report.js';
import { spread } from './statistics.js';

const SCRIPT = fileURLToPath(new URL('./convert-for-profile.js', import.meta.url));
const PROFILES = 3;
const CONVERSIONS_PER_PROFILE = 3;
const TOP_FUNCTIONS = 10;

async function profileOnce(dir: string, wav: string, encoder: EncoderName, times: number): Promise<SelfTime[]> {
  const out = await mkdtemp(path.join(dir, `profile-${encoder}-`));
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${out}`, SCRIPT, wav, encoder, String(times)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`profiling ${encoder} exited with ${code}`);
  const [file] = (await readdir(out)).filter((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${out}`);
  return selfTimes(path.join(out, file));
}

/** Rows of the `limit` biggest keys by median share; `keyOf` groups a profile's entries (by function or by origin). */
function table(profiles: SelfTime[][], keyOf: (entry: SelfTime) => string, limit: number): string {
  const shares = new Map<string, number[]>();
  for (const profile of profiles) {
    const totals = new Map<string, number>();
    for (const entry of profile) totals.set(keyOf(entry), (totals.get(keyOf(entry)) ?? 0) + entry.share * 100);
    for (const [key, share] of totals) shares.set(key, [...(shares.get(key) ?? []), share]);
  }
  // A function missing from a profile had no sample there: 0%.
  const padded = (values: number[]): number[] => [...values, ...new Array<number>(profiles.length - values.length).fill(0)];
  return [...shares]
    .map(([location, values]) => ({ location, values: padded(values) }))
    .sort((a, b) => median(b.values) - median(a.values))
    .slice(0, limit)
    .map(({ location, values }) => `| \`${location}\` | **${median(values).toFixed(1)}%** | ${spread(values, 1)}% |`)
    .join('\n');
}

export const conversionProfileBenchmark: Benchmark = async (_databaseUrl, { tiny }) => {
  const load = watchMachineLoad();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-bench-profile-'));
  try {
    const [input] = await writeBenchInputs(dir, ['music-60s'], tiny);
    const profiles = tiny ? 1 : PROFILES;
    const times = tiny ? 1 : CONVERSIONS_PER_PROFILE;
    const sections: string[] = [];
    for (const encoder of ['wasm', 'lamejs'] as const) {
      const results: SelfTime[][] = [];
      for (let i = 0; i < profiles; i++) results.push(await profileOnce(dir, input!.path, encoder, times));
      sections.push(`### ${encoder === 'wasm' ? 'WASM LAME (the default)' : 'lamejs'}

| Code (self time) | Share of busy time | Range |
|---|---|---|
${table(results, (e) => e.origin, Number.POSITIVE_INFINITY)}

| Function (self time) | Share of busy time | Range |
|---|---|---|
${table(results, (e) => e.location, TOP_FUNCTIONS)}`);
    }
    return `## Profile: where \`convertWavFile\` spends its CPU

Machine: ${machineDescription()}; ${load.stop()}.
\`node --cpu-prof dist/bench/convert-for-profile.js <wav> <encoder> ${times}\`: convertWavFile on the
${describeInput(input!.spec)} file, ${times} time${times > 1 ? 's' : ''} in one process, single-threaded, CBR 128 kbps; ${profiles} profile${profiles > 1 ? 's' : ''} per encoder.
Self time per function (its own code, not its callees), as a share of the profile's busy time (idle excluded);
median and range over the profiles; first by whose code it is, then the top ${TOP_FUNCTIONS} functions. \`lame.wasm\` rows are functions inside the WebAssembly build of LAME;
\`(garbage collector)\` and \`(program)\` are V8's own.
Command: \`npm run bench -- profile\`.

${sections.join('\n\n')}
`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
