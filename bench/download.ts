// Streaming a large MP3 out of PostgreSQL: the service's memory must not grow with the file, and its speed must
// stay close to reading the same bytes with one plain SELECT.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { RECORD_CHUNK_BYTES } from '../src/domain/record-chunk-writer.js';
import type { Benchmark } from './bench-options.js';
import { watchMachineLoad } from './machine-load.js';
import { machineDescription, median } from './report.js';
import { createBenchUser, residentMemoryMiB, startService } from './service-under-test.js';
import { spread } from './statistics.js';

const FULL_FILE_BYTES = 50 * 1024 * 1024;
const TINY_FILE_BYTES = 1024 * 1024;
const RUNS = 5;

/** A record of `fileBytes` inserted directly: the download path serves bytes and does not care that they are not audio. */
async function insertLargeRecord(sql: postgres.Sql, userId: string, fileBytes: number): Promise<string> {
  const id = randomUUID();
  await sql.begin(async (tx) => {
    for (let seq = 0, offset = 0; offset < fileBytes; seq++, offset += RECORD_CHUNK_BYTES) {
      await tx`insert into record_chunks (record_id, seq, data) values (${id}, ${seq}, ${randomBytes(Math.min(RECORD_CHUNK_BYTES, fileBytes - offset))})`;
    }
    await tx`
      insert into records (id, user_id, original_name, input_container, input_encoding, input_bits_per_sample,
        input_sample_rate, input_channels, duration_seconds, sample_rate, channels, bitrate_kbps, vbr_quality, encoder,
        byte_size, audio_sha256, chunk_bytes)
      values (${id}, ${userId}, 'bench.wav', 'RIFF', 'pcm', 16, 44100, 2, 1310.72, 44100, 2, 320, null, 'wasm',
        ${fileBytes}, ${randomBytes(32)}, ${RECORD_CHUNK_BYTES})`;
  });
  return id;
}

async function timedDownload(url: string, pid: number, fileBytes: number): Promise<{ seconds: number; rssGrowthMiB: number }> {
  const before = (await residentMemoryMiB(pid)).current;
  let peak = before;
  const sampler = setInterval(() => {
    residentMemoryMiB(pid).then((m) => (peak = Math.max(peak, m.current)), () => {});
  }, 5);
  const started = performance.now();
  const response = await fetch(url);
  let bytes = 0;
  for await (const chunk of response.body!) bytes += (chunk as Uint8Array).length;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (bytes !== fileBytes) throw new Error(`downloaded ${bytes} bytes of ${fileBytes}`);
  return { seconds, rssGrowthMiB: peak - before };
}

async function timedSelect(sql: postgres.Sql, id: string, fileBytes: number): Promise<number> {
  const started = performance.now();
  const rows = await sql<{ data: Buffer }[]>`select data from record_chunks where record_id = ${id} order by seq`;
  const bytes = rows.reduce((n, r) => n + r.data.length, 0);
  if (bytes !== fileBytes) throw new Error('select returned the wrong size');
  return (performance.now() - started) / 1000;
}

export const downloadBenchmark: Benchmark = async (databaseUrl, { tiny }) => {
  const load = watchMachineLoad();
  const fileBytes = tiny ? TINY_FILE_BYTES : FULL_FILE_BYTES;
  const runs = tiny ? 1 : RUNS;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-bench-download-'));
  const service = await startService({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir });
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const user = await createBenchUser(service.url);
    const id = await insertLargeRecord(sql, user.id, fileBytes);
    const url = `${service.url}/record?id=${id}&user=${user.id}`;
    await timedDownload(url, service.pid, fileBytes); // warm-up: caches, JIT
    await timedSelect(sql, id, fileBytes);
    const downloads: { seconds: number; rssGrowthMiB: number }[] = [];
    const selects: number[] = [];
    for (let i = 0; i < runs; i++) {
      downloads.push(await timedDownload(url, service.pid, fileBytes));
      selects.push(await timedSelect(sql, id, fileBytes));
    }
    await sql`delete from users where id = ${user.id}`;
    const mbps = (s: number) => fileBytes / 2 ** 20 / s;
    const serviceSpeed = downloads.map((d) => mbps(d.seconds));
    const selectSpeed = selects.map(mbps);
    const growth = downloads.map((d) => d.rssGrowthMiB);
    const line = `service ${median(serviceSpeed).toFixed(0)} MiB/s, select ${median(selectSpeed).toFixed(0)} MiB/s, RSS growth ${median(growth).toFixed(1)} MiB`;
    console.log(line);
    const size = `${(fileBytes / 2 ** 20).toFixed(0)} MiB`;
    return `## Download: a ${size} MP3 streamed out of PostgreSQL

Machine: ${machineDescription()}; ${load.stop()}. ${runs} run${runs > 1 ? 's' : ''} after one warm-up; median (min–max).
The record (${size} in 256 KiB chunks) is inserted directly; \`GET /record\` on a freshly started service
(\`npm start\`, external PostgreSQL) is read to the end with fetch. RSS growth: the service process's
peak VmRSS during the download, sampled every 5 ms, minus its VmRSS before. Baseline: the same bytes read with one
\`select data from record_chunks where record_id = $1 order by seq\` (postgres.js, all rows at once).
Command: \`npm run bench -- download\`.

| | Median | Range |
|---|---|---|
| \`GET /record\` throughput | **${median(serviceSpeed).toFixed(0)} MiB/s** | ${spread(serviceSpeed, 0)} MiB/s |
| Single \`SELECT\` throughput | ${median(selectSpeed).toFixed(0)} MiB/s | ${spread(selectSpeed, 0)} MiB/s |
| Service ÷ SELECT | **${(median(serviceSpeed) / median(selectSpeed)).toFixed(2)}** | |
| Service RSS growth during a download | **${median(growth).toFixed(1)} MiB** | ${spread(growth, 1)} MiB |
`;
  } finally {
    await sql.end();
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
};
