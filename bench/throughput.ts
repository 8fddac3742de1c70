// Completed conversions per second of the 60 s file with 1, 2, 4 and 8 clients uploading back to back, through
// the real HTTP route, worker pool and PostgreSQL.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Benchmark } from './bench-options.js';
import { describeInput, writeBenchInputs } from './bench-inputs.js';
import { deleteBenchUsers } from './bench-users.js';
import { watchMachineLoad } from './machine-load.js';
import { machineDescription, median } from './report.js';
import { createBenchUser, startService, uploadFile } from './service-under-test.js';
import { medianText, spread } from './statistics.js';
import { conversionsPerSecond, uploadBackToBack, type UploadLoadResult } from './upload-clients.js';

const CLIENT_COUNTS = [1, 2, 4, 8];
const FULL_WINDOW_MS = 30_000;
const TINY_WINDOW_MS = 500;
const RUNS = 3;
// Issue 7's acceptance: four clients get at least this many times the conversions of one.
const REQUIRED_FOUR_CLIENT_GAIN = 1.7;
// Issue 15's: streaming and splitting must not cost throughput, four clients at 0.95 × the 1.49/s measured before.
const REQUIRED_FOUR_CLIENT_RATE = 0.95 * 1.49;

export const throughputBenchmark: Benchmark = async (databaseUrl, { tiny }) => {
  const load = watchMachineLoad();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-bench-throughput-'));
  const service = await startService({ DATABASE_URL: databaseUrl, DATA_DIR: path.join(dir, 'data') });
  const userIds: string[] = [];
  try {
    const [input] = await writeBenchInputs(dir, ['music-60s'], tiny);
    const users = await Promise.all(Array.from({ length: Math.max(...CLIENT_COUNTS) }, () => createBenchUser(service.url)));
    userIds.push(...users.map((u) => u.id));
    const windowMs = tiny ? TINY_WINDOW_MS : FULL_WINDOW_MS;
    const runs = tiny ? 1 : RUNS;
    // Warm-up: every thread converts once (JIT, WebAssembly instances, database connections).
    await Promise.all(users.slice(0, 2).map((user) => uploadFile(service.url, user, input!.path)));

    const results = new Map<number, UploadLoadResult[]>(CLIENT_COUNTS.map((n) => [n, []]));
    // Rounds go through every client count, so that load from elsewhere spreads over all of them.
    for (let run = 0; run < runs; run++) {
      for (const clients of CLIENT_COUNTS) {
        const result = await uploadBackToBack(service.url, users.slice(0, clients), input!.path, AbortSignal.timeout(windowMs));
        results.get(clients)!.push(result);
        console.log(`${clients} clients run ${run + 1}: ${conversionsPerSecond(result).toFixed(2)} conversions/s, ${result.refused} refused`);
      }
    }

    const rates = (clients: number) => results.get(clients)!.map(conversionsPerSecond);
    const single = median(rates(1));
    const rows = CLIENT_COUNTS.map((clients) => {
      const all = results.get(clients)!;
      const latencies = all.flatMap((r) => r.latenciesMs.map((ms) => ms / 1000));
      const refused = all.reduce((n, r) => n + r.refused, 0);
      return `| ${clients} | **${medianText(rates(clients), 2)}** | ${spread(rates(clients), 2)} | ${(median(rates(clients)) / single).toFixed(2)}× | ${medianText(latencies, 2)} s | ${refused} |`;
    });
    // Per-round gains: the two figures of a ratio come from the same minute of machine load.
    const gains = rates(4).map((rate, run) => rate / rates(1)[run]!);
    const gain = median(rates(4)) / single;
    return `## Throughput: conversions per second against concurrent clients

Machine: ${machineDescription()}; ${load.stop()}.
Service: \`npm start\`, default settings (WORKER_THREADS = ${os.availableParallelism()} cores, CONVERSION_QUEUE_MAX 8, WASM
LAME, CBR 128 kbps), external PostgreSQL on the same machine. Input: ${describeInput(input!.spec)}
(${(input!.bytes / 2 ** 20).toFixed(1)} MiB). Each client (its own user) uploads it with \`POST /record\` back to back (the next upload
starts when the 201 arrives) for ${windowMs / 1000} s; uploads started inside the window are finished and counted.
Conversions per second = uploads completed ÷ time of the last 201. ${runs} run${runs > 1 ? 's' : ''} per client count,
interleaved, after a warm-up; median and range (min–max). The upload → 201 column is the median over every upload.
Command: \`npm run bench -- throughput\`.

| Clients | Conversions/s | Range | ÷ 1 client | Upload → 201 | Refused (503) |
|---|---|---|---|---|---|
${rows.join('\n')}

4 clients ÷ 1 client: **${gain.toFixed(2)}×** (per round ${spread(gains, 2)}×); required ≥ ${REQUIRED_FOUR_CLIENT_GAIN}×:
${gain >= REQUIRED_FOUR_CLIENT_GAIN ? 'met' : '**not met**'}. 4 clients ≥ ${REQUIRED_FOUR_CLIENT_RATE.toFixed(2)} conversions/s (issue 15, an absolute
figure from the day it was written, so it moves with this machine's speed as the 1-client row does):
${median(rates(4)) >= REQUIRED_FOUR_CLIENT_RATE ? 'met' : '**not met**'} (${medianText(rates(4), 3)}/s).
`;
  } finally {
    await service.stop();
    await deleteBenchUsers(databaseUrl, userIds);
    await rm(dir, { recursive: true, force: true });
  }
};
