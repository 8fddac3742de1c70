// Encoder speed per core: WASM LAME, lamejs and native `lame -b 128` on the same inputs, and the service's whole
// conversion function, all single-threaded, in multiples of real time.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compileLameWasm } from '../src/audio/wasm-lame-encoder.js';
import type { Benchmark } from './bench-options.js';
import { describeInput, writeBenchInputs, type BenchInput } from './bench-inputs.js';
import { timeConvertWavFile, timeEncoderAlone, type TimedEncoding } from './encoder-runs.js';
import { watchMachineLoad } from './machine-load.js';
import { startInliningEncoder, type InliningEncoder } from './inlining-encoder.js';
import { encodeWithNativeLame, findNativeLame, nativeLameVersion } from './native-lame.js';
import { machineDescription, median } from './report.js';
import { medianText, spread } from './statistics.js';

type Contender = 'native' | 'wasm' | 'wasm-inlining' | 'lamejs' | 'convert-wasm';

const CONTENDER_LABELS: Record<Contender, string> = {
  native: '`lame -b 128` (native)',
  wasm: 'WASM LAME, encoder alone',
  'wasm-inlining': 'WASM LAME, encoder alone, wasm inlining on (as the service runs it)',
  lamejs: 'lamejs, encoder alone',
  'convert-wasm': '`convertWavFile` with WASM LAME',
};

// Long inputs take minutes per run; short ones get more runs for a steadier median.
const runsFor = (input: BenchInput, tiny: boolean) => (tiny ? 1 : input.spec.seconds >= 600 ? 3 : 5);

export const encodersBenchmark: Benchmark = async (_databaseUrl, { tiny }) => {
  const load = watchMachineLoad();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-bench-encoders-'));
  let inlining: InliningEncoder | undefined;
  try {
    const withInlining = (inlining = await startInliningEncoder());
    const inputs = await writeBenchInputs(dir, ['music-60s', 'music-20min', 'voice-60s'], tiny);
    const wasm = await compileLameWasm();
    const lame = findNativeLame();
    if (!lame) console.log('lame is not installed (bench/setup.sh installs it): the native column is left out');
    const ours: Contender[] = ['wasm', 'wasm-inlining', 'lamejs', 'convert-wasm'];
    const contenders: Contender[] = lame ? ['native', ...ours] : ours;
    const mp3Path = path.join(dir, 'native.mp3');
    const measure = (contender: Contender, wav: string): Promise<TimedEncoding> =>
      contender === 'native'
        ? encodeWithNativeLame(lame!, wav, mp3Path).then((r) => ({ ...r, mp3Bytes: 0 }))
        : contender === 'convert-wasm'
          ? timeConvertWavFile(wav, 'wasm', wasm)
          : contender === 'wasm-inlining'
            ? withInlining.timeEncoderAlone(wav)
            : timeEncoderAlone(wav, contender, wasm);

    // One untimed pass each on the shortest input: JIT compilation and page cache, not what is measured.
    for (const contender of contenders) await measure(contender, inputs[0]!.path);

    const results = new Map<string, TimedEncoding[]>();
    const key = (input: BenchInput, contender: Contender) => `${input.name}/${contender}`;
    const maxRuns = Math.max(...inputs.map((i) => runsFor(i, tiny)));
    // Rounds interleave the contenders, so that a burst of load from elsewhere hits them all alike.
    for (let run = 0; run < maxRuns; run++) {
      for (const input of inputs) {
        if (run >= runsFor(input, tiny)) continue;
        for (const contender of contenders) {
          const timing = await measure(contender, input.path);
          results.set(key(input, contender), [...(results.get(key(input, contender)) ?? []), timing]);
          console.log(`${input.name} ${contender} run ${run + 1}: ${(input.spec.seconds / timing.cpuSeconds).toFixed(1)}× realtime (CPU)`);
        }
      }
    }

    const rows: string[] = [];
    const overheads: string[] = [];
    const inliningGains: string[] = [];
    for (const input of inputs) {
      const realtime = (contender: Contender, clock: 'cpuSeconds' | 'wallSeconds') =>
        (results.get(key(input, contender)) ?? []).map((t) => input.spec.seconds / t[clock]);
      const native = lame ? median(realtime('native', 'cpuSeconds')) : undefined;
      for (const contender of contenders) {
        const cpu = realtime(contender, 'cpuSeconds');
        const ratio = native === undefined ? 'n/a' : (median(cpu) / native).toFixed(2);
        rows.push(
          `| ${describeInput(input.spec)} | ${CONTENDER_LABELS[contender]} | **${medianText(cpu, 1)}×** | ${spread(cpu, 1)}× | ${medianText(realtime(contender, 'wallSeconds'), 1)}× | ${ratio} |`,
        );
      }
      const alone = median(realtime('wasm', 'cpuSeconds'));
      const whole = median(realtime('convert-wasm', 'cpuSeconds'));
      overheads.push(`${describeInput(input.spec)}: ${((alone / whole - 1) * 100).toFixed(0)}%`);
      inliningGains.push(`${describeInput(input.spec)}: ${((median(realtime('wasm-inlining', 'cpuSeconds')) / alone - 1) * 100).toFixed(1)}%`);
    }
    return `## Encoders: speed per core

Machine: ${machineDescription()}; ${load.stop()}.
Inputs (bench/wav-input.ts): ${inputs.map((i) => `${describeInput(i.spec)} (${(i.bytes / 2 ** 20).toFixed(1)} MiB)`).join('; ')}. All CBR
128 kbps at the input's rate. Each contender runs single-threaded on the same file, interleaved in rounds, after one
untimed pass; ${tiny ? 'one run (a smoke run)' : 'runs: 5 per 60 s input, 3 for the 20-minute one'}; median and range (min–max).
"× realtime" is seconds of audio per second of CPU time of the process (the figure per core, steady when the machine
is shared); the wall-clock figure is beside it. "Encoder alone": the WAV is read and decoded by the service's code
(pcm-decoder.ts), but only the encoder's calls are timed. The benchmark's process runs with V8's defaults; the row with wasm
inlining runs in a second process that turns it on as the service does at start-up (src/audio/wasm-inlining.ts${withInlining.enabled ? '' : '; this V8 inlines anyway, so the two rows differ only by chance'}).
\`convertWavFile\` is the whole conversion a worker runs
(header, decoding, encoding, ID3 and Info tags, SHA-256, frame walk), with a sink that only counts bytes. Native:
\`lame -b 128 --silent in.wav out.mp3\` (${lame ? nativeLameVersion(lame) : 'not installed here'}), CPU time from the shell's \`times\`.
Command: \`npm run bench -- encoders\` (bench/setup.sh installs lame if it is missing).

| Input | Encoder | × realtime per core (CPU) | Range | × realtime (wall) | ÷ native |
|---|---|---|---|---|---|
${rows.join('\n')}

What decoding, tagging and hashing add to the WASM encoder's CPU time: ${overheads.join('; ')}.
What wasm inlining gains the WASM encoder per core: ${inliningGains.join('; ')}.
`;
  } finally {
    inlining?.close();
    await rm(dir, { recursive: true, force: true });
  }
};
