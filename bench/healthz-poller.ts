// Worker-thread entry: polls GET /healthz at a fixed interval and reports every latency. It has its own event
// loop, so the upload clients in the benchmark's main thread cannot delay its clock.
import { parentPort, workerData } from 'node:worker_threads';

export interface HealthzPollerTask {
  url: string;
  intervalMs: number;
  durationMs: number;
}

export interface HealthzPollerResult {
  latenciesMs: number[];
  /** Answers other than 200, and requests that failed. */
  failures: number;
}

async function poll({ url, intervalMs, durationMs }: HealthzPollerTask): Promise<HealthzPollerResult> {
  const result: HealthzPollerResult = { latenciesMs: [], failures: 0 };
  const started = performance.now();
  // Requests start on a fixed schedule; one that overruns its slot delays the next rather than piling up.
  for (let next = started; performance.now() - started < durationMs; ) {
    const sent = performance.now();
    try {
      const response = await fetch(`${url}/healthz`);
      await response.arrayBuffer();
      if (response.status !== 200) result.failures++;
      else result.latenciesMs.push(performance.now() - sent);
    } catch {
      result.failures++;
    }
    next += intervalMs;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return result;
}

if (parentPort) parentPort.postMessage(await poll(workerData as HealthzPollerTask));
