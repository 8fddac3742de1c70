// Latency of GET /healthz while every conversion thread is busy: the event loop must stay free for cheap
// requests however much audio is being converted.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { Benchmark } from './bench-options.js';
import { describeInput, writeBenchInputs } from './bench-inputs.js';
import { deleteBenchUsers } from './bench-users.js';
import type { HealthzPollerResult, HealthzPollerTask } from './healthz-poller.js';
import { watchMachineLoad } from './machine-load.js';
import { machineDescription, median } from './report.js';
import { createBenchUser, startService, uploadFile } from './service-under-test.js';
import { percentile, spread } from './statistics.js';
import { uploadBackToBack } from './upload-clients.js';

const UPLOADING_CLIENTS = 4;
const POLL_INTERVAL_MS = 10;
const FULL_POLL_MS = 20_000;
const TINY_POLL_MS = 500;
// Time for the first uploads to arrive and fill every thread before the polling starts.
const SATURATION_DELAY_MS = 2_000;
const RUNS = 3;
// Issue 7's acceptance: p99 of /healthz under load stays under this.
const P99_LIMIT_MS = 50;

function pollHealthz(task: HealthzPollerTask): Promise<HealthzPollerResult> {
  const worker = new Worker(new URL('./healthz-poller.js', import.meta.url), { workerData: task });
  return new Promise((resolve, reject) => {
    worker.once('message', (result: HealthzPollerResult) => resolve(result));
    worker.once('error', reject);
  });
}

interface PollSummary {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  failures: number;
}

const summarize = (r: HealthzPollerResult): PollSummary => ({
  p50: percentile(r.latenciesMs, 50),
  p99: percentile(r.latenciesMs, 99),
  max: Math.max(...r.latenciesMs),
  samples: r.latenciesMs.length,
  failures: r.failures,
});

export const responsivenessBenchmark: Benchmark = async (databaseUrl, { tiny }) => {
  const load = watchMachineLoad();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-bench-responsiveness-'));
  const service = await startService({ DATABASE_URL: databaseUrl, DATA_DIR: path.join(dir, 'data') });
  const userIds: string[] = [];
  try {
    const [input] = await writeBenchInputs(dir, ['music-60s'], tiny);
    const users = await Promise.all(Array.from({ length: UPLOADING_CLIENTS }, () => createBenchUser(service.url)));
    userIds.push(...users.map((u) => u.id));
    const task: HealthzPollerTask = { url: service.url, intervalMs: POLL_INTERVAL_MS, durationMs: tiny ? TINY_POLL_MS : FULL_POLL_MS };
    await Promise.all(users.slice(0, 2).map((user) => uploadFile(service.url, user, input!.path))); // warm-up
    const idle: PollSummary[] = [];
    const busy: PollSummary[] = [];
    let conversions = 0;
    let refused = 0;
    for (let run = 0; run < (tiny ? 1 : RUNS); run++) {
      idle.push(summarize(await pollHealthz(task)));
      const stop = new AbortController();
      const uploads = uploadBackToBack(service.url, users, input!.path, stop.signal);
      // A failing client ends the load early; its error is thrown by the await below, not left unhandled.
      uploads.catch(() => stop.abort());
      await sleep(tiny ? 0 : SATURATION_DELAY_MS);
      busy.push(summarize(await pollHealthz(task)));
      stop.abort();
      const done = await uploads;
      conversions += done.completedAtMs.length;
      refused += done.refused;
      console.log(`run ${run + 1}: idle p99 ${idle.at(-1)!.p99.toFixed(1)} ms, saturated p99 ${busy.at(-1)!.p99.toFixed(1)} ms`);
    }
    const row = (label: string, s: PollSummary[]) => {
      const col = (pick: (x: PollSummary) => number, bold = false) => {
        const values = s.map(pick);
        const m = `${median(values).toFixed(1)} ms`;
        return `${bold ? `**${m}**` : m} | ${spread(values, 1)} ms`;
      };
      const failures = s.reduce((n, x) => n + x.failures, 0);
      return `| ${label} | ${col((x) => x.p50)} | ${col((x) => x.p99, true)} | ${col((x) => x.max)} | ${s.reduce((n, x) => n + x.samples, 0)} | ${failures} |`;
    };
    const p99 = median(busy.map((s) => s.p99));
    return `## Responsiveness: \`GET /healthz\` while the conversion pool is saturated

Machine: ${machineDescription()}; ${load.stop()}.
Service: \`npm start\`, default settings (WORKER_THREADS = ${os.availableParallelism()}), external PostgreSQL.
Load: ${UPLOADING_CLIENTS} clients (one user each) upload the ${describeInput(input!.spec)} file back to back (more uploads than threads, so
every thread converts and the queue holds the rest); after ${SATURATION_DELAY_MS / 1000} s, a poller in its own worker thread sends
\`GET /healthz\` every ${POLL_INTERVAL_MS} ms for ${task.durationMs / 1000} s (keep-alive, one request at a time) and times each answer. Idle: the same
polling with no uploads, just before. ${tiny ? 1 : RUNS} run${tiny ? '' : 's'}; each figure is the median of the runs' percentiles, with their range.
${conversions} conversions completed and ${refused} uploads were refused (503) while polling.
Command: \`npm run bench -- responsiveness\`.

| Service state | p50 | p50 range | p99 | p99 range | Max | Max range | Requests | Failed |
|---|---|---|---|---|---|---|---|---|
${row('idle', idle)}
${row(`${UPLOADING_CLIENTS} clients uploading`, busy)}

p99 under load: **${p99.toFixed(1)} ms**; required < ${P99_LIMIT_MS} ms: ${p99 < P99_LIMIT_MS ? 'met' : '**not met**'}.
`;
  } finally {
    await service.stop();
    await deleteBenchUsers(databaseUrl, userIds);
    await rm(dir, { recursive: true, force: true });
  }
};
