// Peak resident memory of the service process while it converts long recordings: it must not grow with length.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { machineDescription, writeSection } from './report.js';
import { createBenchUser, residentMemoryMiB, startService, uploadFile } from './service-under-test.js';
import { writeBenchWav } from './wav-input.js';

export async function memoryBenchmark(databaseUrl: string, minutesList = [1, 20, 60]): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-bench-memory-'));
  const rows: string[] = [];
  try {
    for (const minutes of minutesList) {
      const wav = path.join(dir, `${minutes}min.wav`);
      const bytes = await writeBenchWav(wav, { seconds: minutes * 60, sampleRate: 44100, channels: 2, content: 'music' });
      const service = await startService({ DATA_DIR: path.join(dir, `data-${minutes}`), DATABASE_URL: databaseUrl });
      try {
        const idle = await residentMemoryMiB(service.pid);
        const user = await createBenchUser(service.url);
        const started = performance.now();
        const { status, body } = await uploadFile(service.url, user, wav);
        const seconds = (performance.now() - started) / 1000;
        if (status !== 201) throw new Error(`upload answered ${status}: ${JSON.stringify(body)}`);
        const after = await residentMemoryMiB(service.pid);
        const mp3Bytes = (body as { output: { bytes: number } }).output.bytes;
        rows.push(
          `| ${minutes} min | ${(bytes / 2 ** 20).toFixed(0)} MiB | ${(mp3Bytes / 2 ** 20).toFixed(1)} MiB | ${idle.current.toFixed(0)} MiB | **${after.peak.toFixed(0)} MiB** | ${seconds.toFixed(1)} s |`,
        );
        console.log(rows.at(-1));
      } finally {
        await service.stop();
      }
      await rm(wav, { force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await writeSection(
    'memory',
    `## Memory: peak RSS of the service process per upload

Machine: ${machineDescription()}. Database: PostgreSQL in its own process (not counted).
Input: 44.1 kHz stereo 16-bit WAV of music-like content (bench/wav-input.ts), uploaded once, streamed from disk, to a
freshly started service (\`node dist/src/main.js\`, default settings, WASM encoder, CBR 128 kbps). Peak RSS is the
kernel's high-water mark (VmHWM) of the service process after the 201; it includes the worker threads.
Command: \`npm run bench -- memory\`.

| Recording | WAV | MP3 | RSS at rest | Peak RSS | Upload → 201 |
|---|---|---|---|---|---|
${rows.join('\n')}
`,
  );
}
