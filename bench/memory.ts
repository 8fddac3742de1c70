// Peak resident memory of the service process while it converts long recordings: it must not grow with length.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Benchmark } from './bench-options.js';
import { describeInput } from './bench-inputs.js';
import { deleteBenchUsers } from './bench-users.js';
import { watchMachineLoad } from './machine-load.js';
import { machineDescription, median } from './report.js';
import { createBenchUser, residentMemoryMiB, startService, uploadFile } from './service-under-test.js';
import { medianText, spread } from './statistics.js';
import { writeBenchWav, type BenchWavSpec } from './wav-input.js';

const FULL_SECONDS = [60, 20 * 60, 60 * 60];
const TINY_SECONDS = [2, 4];
const RUNS = 3;

interface MemoryRun {
  idleMiB: number;
  peakMiB: number;
  seconds: number;
  mp3Bytes: number;
}

/** One upload to a freshly started service: VmHWM is a high-water mark for the life of the process. */
async function measureOnce(databaseUrl: string, dataDir: string, wav: string): Promise<MemoryRun> {
  const service = await startService({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl });
  try {
    const idle = await residentMemoryMiB(service.pid);
    const user = await createBenchUser(service.url);
    const started = performance.now();
    const { status, body } = await uploadFile(service.url, user, wav);
    const seconds = (performance.now() - started) / 1000;
    if (status !== 201) throw new Error(`upload answered ${status}: ${JSON.stringify(body)}`);
    const after = await residentMemoryMiB(service.pid);
    await deleteBenchUsers(databaseUrl, [user.id]);
    return { idleMiB: idle.current, peakMiB: after.peak, seconds, mp3Bytes: (body as { output: { bytes: number } }).output.bytes };
  } finally {
    await service.stop();
  }
}

/** The claim the table supports: how much the peak moves from the shortest recording to the longest. */
function lengthIndependence(peaks: { seconds: number; peakMiB: number }[]): string {
  const shortest = peaks[0]!;
  const longest = peaks.at(-1)!;
  const highest = Math.max(...peaks.map((p) => p.peakMiB));
  return (
    `From the shortest recording to one ${Math.round(longest.seconds / shortest.seconds)}× longer, the median peak moved ` +
    `${longest.peakMiB - shortest.peakMiB >= 0 ? '+' : ''}${(longest.peakMiB - shortest.peakMiB).toFixed(0)} MiB ` +
    `(highest median ${highest.toFixed(0)} MiB)` +
    // Within a quarter of the shortest's peak across a many-fold longer input: bounded, not proportional.
    (highest - shortest.peakMiB <= shortest.peakMiB / 4 ? ": memory does not grow with the recording's length." : ': memory GROWS with length; look for a buffer that holds the whole input.')
  );
}

export const memoryBenchmark: Benchmark = async (databaseUrl, { tiny }) => {
  const load = watchMachineLoad();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-bench-memory-'));
  const runs = tiny ? 1 : RUNS;
  const rows: string[] = [];
  const peaks: { seconds: number; peakMiB: number }[] = [];
  try {
    for (const seconds of tiny ? TINY_SECONDS : FULL_SECONDS) {
      const spec: BenchWavSpec = { seconds, sampleRate: 44100, channels: 2, content: 'music' };
      const wav = path.join(dir, `${seconds}s.wav`);
      const bytes = await writeBenchWav(wav, spec);
      const measured: MemoryRun[] = [];
      for (let run = 0; run < runs; run++) measured.push(await measureOnce(databaseUrl, path.join(dir, `data-${seconds}-${run}`), wav));
      const peak = measured.map((m) => m.peakMiB);
      peaks.push({ seconds: spec.seconds, peakMiB: median(peak) });
      const idle = measured.map((m) => m.idleMiB);
      const wall = measured.map((m) => m.seconds);
      rows.push(
        `| ${describeInput(spec)} | ${(bytes / 2 ** 20).toFixed(0)} MiB | ${(measured[0]!.mp3Bytes / 2 ** 20).toFixed(1)} MiB | ${medianText(idle, 0)} MiB | **${medianText(peak, 0)} MiB** | ${spread(peak, 0)} MiB | ${medianText(wall, 1)} s |`,
      );
      console.log(rows.at(-1));
      await rm(wav, { force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return `## Memory: peak RSS of the service process per upload

Machine: ${machineDescription()}; ${load.stop()}. Database: PostgreSQL in its own process (not counted).
Input: 44.1 kHz stereo 16-bit WAV of music-like content (bench/wav-input.ts), uploaded once, streamed from disk, to a
freshly started service (\`npm start\`, default settings, WASM encoder, CBR 128 kbps), ${runs} run${runs > 1 ? 's' : ''} per
length, each on a new service process; median and range (min–max). Peak RSS is the kernel's high-water mark (VmHWM)
of the service process after the 201; it includes the worker threads.
Command: \`npm run bench -- memory\`.

| Recording | WAV | MP3 | RSS at rest | Peak RSS | Peak range | Upload → 201 |
|---|---|---|---|---|---|---|
${rows.join('\n')}

${lengthIndependence(peaks)}
`;
};
