// Load: 50 clients, each its own user, uploading short WAVs back to back for 60 s against one service with default
// settings. Only 201, 503 (queue full) and 429 (per-user cap) are acceptable answers; afterwards every 201's URL must
// download an MP3 of the right length, and the service's memory must have stayed bounded.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeMp3 } from '../test/support/mp3-decode.js';
import type { Benchmark } from './bench-options.js';
import { deleteBenchUsers } from './bench-users.js';
import { machineDescription } from './report.js';
import { createBenchUser, residentMemoryMiB, startService, uploadFile } from './service-under-test.js';
import { percentile } from './statistics.js';
import { writeBenchWav } from './wav-input.js';

const WAV_SECONDS = 3;

export const loadBenchmark: Benchmark = async (databaseUrl, { tiny }) => {
  const clients = tiny ? 4 : 50;
  const durationMs = tiny ? 3_000 : 60_000;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-bench-load-'));
  const service = await startService({ DATABASE_URL: databaseUrl, DATA_DIR: path.join(dir, 'data') });
  const users: { id: string; token: string }[] = [];
  try {
    const wav = path.join(dir, 'short.wav');
    await writeBenchWav(wav, { seconds: WAV_SECONDS, sampleRate: 44100, channels: 2, content: 'music' });
    for (let i = 0; i < clients; i++) users.push(await createBenchUser(service.url));

    const statuses = new Map<number, number>();
    const created: string[] = [];
    const latencies: number[] = [];
    let peakRss = 0;
    const sampler = setInterval(() => {
      residentMemoryMiB(service.pid).then((m) => (peakRss = Math.max(peakRss, m.current)), () => {});
    }, 100);
    const rssBefore = (await residentMemoryMiB(service.pid)).current;
    const stop = AbortSignal.timeout(durationMs);
    const started = performance.now();
    await Promise.all(
      users.map(async (user) => {
        while (!stop.aborted) {
          const sent = performance.now();
          const { status, body } = await uploadFile(service.url, user, wav);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status === 201) {
            created.push((body as { url: string }).url);
            latencies.push(performance.now() - sent);
          } else {
            // A refused client backs off a little, as Retry-After asks (shortened so the load stays heavy).
            await sleep(200);
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);

    let wrong = 0;
    for (const url of created) {
      const response = await fetch(url);
      const decoded = await decodeMp3(new Uint8Array(await response.arrayBuffer()));
      if (response.status !== 200 || Math.abs(decoded.samples / decoded.sampleRate - WAV_SECONDS) > 0.001) wrong++;
    }
    const unexpected = [...statuses.keys()].filter((s) => ![201, 429, 503].includes(s));
    const table = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
    const verdict = unexpected.length === 0 && wrong === 0 ? 'all answers 201, 429 or 503; every MP3 downloads right' : `FAILED: ${unexpected.join(', ')} statuses, ${wrong} wrong downloads`;
    console.log(`${table}; ${verdict}; peak RSS ${peakRss.toFixed(0)} MiB`);
    return `## Load: ${clients} clients uploading for ${durationMs / 1000} s

Machine: ${machineDescription()}. A freshly started service (\`npm start\`, default settings: one
conversion thread per core, queue of 8, 2 conversions in flight per user) and PostgreSQL on the same machine.
${clients} clients, each its own user, upload a ${WAV_SECONDS} s 44.1 kHz stereo WAV (${(WAV_SECONDS * 44100 * 4 / 1024).toFixed(0)} KiB)
back to back; a refused client waits 200 ms. Afterwards every 201's URL is downloaded and decoded. RSS: the service
process, sampled every 100 ms. Command: \`npm run bench -- load\`.

| | |
|---|---|
| Answers | ${table} |
| Verdict | **${verdict}** |
| Conversions stored | ${created.length} (${(created.length / seconds).toFixed(1)}/s, ${((created.length * WAV_SECONDS) / seconds).toFixed(0)} s of audio per second) |
| Upload → 201 latency of the stored ones | p50 ${(percentile(latencies, 50) / 1000).toFixed(2)} s, p99 ${(percentile(latencies, 99) / 1000).toFixed(2)} s |
| Service RSS | ${rssBefore.toFixed(0)} MiB before, **${peakRss.toFixed(0)} MiB peak** |
`;
  } finally {
    await service.stop();
    await deleteBenchUsers(databaseUrl, users.map((u) => u.id));
    await rm(dir, { recursive: true, force: true });
  }
};
