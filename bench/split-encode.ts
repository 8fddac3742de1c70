// Issue 15's split encode, measured before it is in the conversion path: a 20-minute WAV encoded by WASM LAME in one
// worker thread, and cut as src/audio/split-plan.ts plans into one piece per core, encoded by as many worker threads
// at once and joined (src/audio/mp3-join.ts), against native `lame -b 128` on the same file. Wall time, file to
// MP3 bytes in memory (native: file to file).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { planConversionOf } from '../src/audio/convert-wav.js';
import { mp3Piece, layer3Frames } from '../src/audio/mp3-join.js';
import { joinPieces, planPieces, POST_ROLL_SECONDS, PRE_ROLL_SECONDS, type PieceRange } from '../src/audio/split-plan.js';
import { compileLameWasm } from '../src/audio/wasm-lame-encoder.js';
import type { Benchmark } from './bench-options.js';
import { describeInput, writeBenchInputs } from './bench-inputs.js';
import { watchMachineLoad } from './machine-load.js';
import { encodeWithNativeLame, findNativeLame, nativeLameVersion } from './native-lame.js';
import { machineDescription, median } from './report.js';
import { medianText, spread } from './statistics.js';
import type { PieceJob } from './split-encode-worker.js';

const WORKER = new URL('./split-encode-worker.js', import.meta.url);

function encodePiece(job: PieceJob): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: job });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`piece worker exited with ${code}`)));
  });
}

async function splitEncode(wavPath: string, ranges: PieceRange[], lame: WebAssembly.Module) {
  const started = performance.now();
  const encoded = await Promise.all(ranges.map((r) => encodePiece({ wavPath, inputStart: r.inputStart, inputEnd: r.inputEnd, lame })));
  const { segments, seams } = joinPieces(
    encoded.map((bytes, k) => mp3Piece(bytes, ranges[k]!.firstFrame)),
    ranges,
  );
  const seconds = (performance.now() - started) / 1000;
  return { seconds, bytes: Buffer.concat(segments), seams };
}

export const splitEncodeBenchmark: Benchmark = async (_databaseUrl, { tiny }) => {
  const load = watchMachineLoad();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-bench-split-'));
  try {
    const [input] = await writeBenchInputs(dir, ['music-20min'], tiny);
    const wav = input!.path;
    const { format, settings } = await planConversionOf(wav, { encoder: 'wasm' });
    const cores = os.availableParallelism();
    const serialRange = planPieces(format.frames, format.sampleRate, settings.outputSampleRate, 1);
    const splitRanges = planPieces(format.frames, format.sampleRate, settings.outputSampleRate, cores);
    const lame = await compileLameWasm();
    const native = findNativeLame();
    const rounds = tiny ? 1 : 3;
    const times = { native: [] as number[], serial: [] as number[], split: [] as number[] };
    let check = '';
    await splitEncode(wav, serialRange, lame); // untimed: JIT and page cache
    for (let round = 0; round < rounds; round++) {
      if (native) times.native.push((await encodeWithNativeLame(native, wav, path.join(dir, 'native.mp3'))).wallSeconds);
      const serial = await splitEncode(wav, serialRange, lame);
      times.serial.push(serial.seconds);
      const split = await splitEncode(wav, splitRanges, lame);
      times.split.push(split.seconds);
      check = `${layer3Frames(split.bytes).length} frames joined against ${layer3Frames(serial.bytes).length} serial, seams at frames ${split.seams.join(', ')}`;
      console.log(`split round ${round + 1}: native ${times.native.at(-1)?.toFixed(1)} s, serial ${serial.seconds.toFixed(1)} s, split ${split.seconds.toFixed(1)} s`);
    }
    const ratio = (contender: number[]) => (native ? (median(times.native) / median(contender)).toFixed(2) : 'n/a');
    const row = (label: string, values: number[]) => `| ${label} | **${medianText(values, 1)} s** | ${spread(values, 1)} s | ${ratio(values)} |`;
    return `## Split encode: the encoder alone, on one thread and on every core (issue 15)

Machine: ${machineDescription()}; ${load.stop()}.
Input: ${describeInput(input!.spec)} (${(input!.bytes / 2 ** 20).toFixed(0)} MiB), CBR 128 kbps. ${rounds} interleaved rounds; median and
range (min–max) of wall time. "Serial": one worker thread decodes and encodes the whole file with WASM LAME. "Split":
${cores} worker threads at once, one piece each as \`src/audio/split-plan.ts\` cuts them (${PRE_ROLL_SECONDS} s of audio before each
boundary, ${POST_ROLL_SECONDS} s after), joined by \`src/audio/mp3-join.ts\`; the time includes starting the threads
and joining. No tags, no database, no HTTP: the encoding alone. Last round: ${check}.
Native: \`lame -b 128 --silent\` (${native ? nativeLameVersion(native) : 'not installed here'}), file to file.
Command: \`npm run bench -- split\`.

| Encoding | Wall time | Range | native ÷ this |
|---|---|---|---|
${native ? row('`lame -b 128` (native)', times.native) + '\n' : ''}${row('WASM LAME, one thread', times.serial)}
${row(`WASM LAME, ${cores} pieces on ${cores} threads, joined`, times.split)}
`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
