// What an early refusal costs the service: an upload refused from its head (a wrong Bearer token) against the same
// refusal to a client that asked `Expect: 100-continue` and so never sends the body, and against a refusal that comes
// from the form fields. Clients that send the whole body before they read the answer (Python's urllib here) make the
// service read and discard it — the lingering close — and that is the cost measured: the service's CPU time, the
// time until the client has its answer, and how long the connection stays open.
import { randomUUID } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sendUpload, type ClientUpload, type UploadClient } from '../test/support/real-clients.js';
import type { Benchmark } from './bench-options.js';
import { watchMachineLoad } from './machine-load.js';
import { machineDescription } from './report.js';
import { createBenchUser, startService } from './service-under-test.js';
import { medianText, spread } from './statistics.js';

const BODY_BYTES = 200 * 1024 * 1024;
const TINY_BODY_BYTES = 4 * 1024 * 1024;
const ROUNDS = 5;

/** CPU seconds (user + system) the process has used, from /proc (Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Contender {
  label: string;
  client: UploadClient;
  upload: (base: string, user: { id: string; token: string }, file: string) => ClientUpload;
}

const CONTENDERS: Contender[] = [
  {
    label: 'wrong Bearer token, client sends the whole body first (urllib)',
    client: 'python-urllib',
    upload: (base, user, file) => ({ url: `${base}/record`, file, fields: { user: user.id }, headers: { Authorization: 'Bearer 00000000-0000-4000-8000-000000000000' } }),
  },
  {
    label: 'wrong token in the form, client sends the whole body first (urllib)',
    client: 'python-urllib',
    upload: (base, user, file) => ({ url: `${base}/record`, file, fields: { user: user.id, token: 'wrong' } }),
  },
  {
    label: 'wrong Bearer token, `Expect: 100-continue` (curl)',
    client: 'curl',
    upload: (base, user, file) => ({ url: `${base}/record`, file, fields: { user: user.id }, headers: { Authorization: 'Bearer 00000000-0000-4000-8000-000000000000' } }),
  },
  {
    label: 'wrong token in the form, no `Expect` (curl stops sending when answered)',
    client: 'curl-no-expect',
    upload: (base, user, file) => ({ url: `${base}/record`, file, fields: { user: user.id, token: 'wrong' } }),
  },
];

export const earlyRefusalsBenchmark: Benchmark = async (databaseUrl, { tiny }) => {
  const load = watchMachineLoad();
  const bodyBytes = tiny ? TINY_BODY_BYTES : BODY_BYTES;
  const rounds = tiny ? 1 : ROUNDS;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-bench-refusals-'));
  const file = path.join(dir, 'big.wav');
  const handle = await open(file, 'w');
  await handle.truncate(bodyBytes);
  await handle.close();
  // /metrics is served only with a token.
  const metricsToken = randomUUID();
  const service = await startService({ DATABASE_URL: databaseUrl, DATA_DIR: dir, METRICS_TOKEN: metricsToken });
  const runs = new Map<string, { answerMs: number[]; cpuMs: number[]; discardedMiB: number[] }>(CONTENDERS.map((c) => [c.label, { answerMs: [], cpuMs: [], discardedMiB: [] }]));
  const discardedBytes = async () => {
    const response = await fetch(`${service.url}/metrics`, { headers: { Authorization: `Bearer ${metricsToken}` } });
    if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
    const metrics = await response.text();
    return Number(/^http_lingering_discarded_bytes_total (\d+)/m.exec(metrics)?.[1] ?? 0);
  };
  try {
    const user = await createBenchUser(service.url);
    for (let round = 0; round < rounds; round++) {
      for (const contender of CONTENDERS) {
        const cpuBefore = await cpuSeconds(service.pid);
        const discardedBefore = await discardedBytes();
        const started = performance.now();
        const outcome = await sendUpload(contender.client, contender.upload(service.url, user, file));
        const answerMs = performance.now() - started;
        if (outcome.status !== 401) throw new Error(`${contender.label}: ${outcome.status ?? outcome.error}`);
        // The lingering close ends once the client closes; give it a moment before reading the counters.
        await new Promise((r) => setTimeout(r, 300));
        const run = runs.get(contender.label)!;
        run.answerMs.push(answerMs);
        run.cpuMs.push(((await cpuSeconds(service.pid)) - cpuBefore) * 1000);
        run.discardedMiB.push(((await discardedBytes()) - discardedBefore) / 2 ** 20);
      }
    }
  } finally {
    await service.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const rows = CONTENDERS.map((c) => {
    const r = runs.get(c.label)!;
    return `| ${c.label} | ${medianText(r.answerMs, 0)} (${spread(r.answerMs, 0)}) | ${medianText(r.cpuMs, 0)} (${spread(r.cpuMs, 0)}) | ${medianText(r.discardedMiB, 0)} |`;
  });
  return `## Early refusals: what the lingering close costs

Machine: ${machineDescription()}; ${load.stop()}.
One service process (\`npm start\` settings, external PostgreSQL), one client at a time on loopback, each sending a
${(bodyBytes / 2 ** 20).toFixed(0)} MiB WAV that is refused with 401; ${rounds} interleaved rounds, median (min–max).
"Service CPU" is the service process's user + system time across the request, from /proc; "discarded" is
\`http_lingering_discarded_bytes_total\`'s growth: body bytes read after the answer and thrown away.
Command: \`npm run bench -- early-refusals\`.

| Refusal, client | Client has its answer after (ms) | Service CPU (ms) | Discarded (MiB) |
|---|---|---|---|
${rows.join('\n')}

A client that sends its whole body before it reads (urllib, python-requests, nginx in front) costs the service one
read-and-discard pass over what it sends, on loopback at the speed in the table; across a network the connection
stays open as long as the client takes to send (bounded by \`LINGERING_IDLE_MS\` of silence, twice \`MAX_UPLOAD_BYTES\`
and \`REQUEST_TIMEOUT_MS\`), while the CPU cost stays per byte. With \`Expect: 100-continue\` the body never leaves the
client; curl without it stops sending as soon as it is answered.`;
};
