// Streaming a large MP3 out of PostgreSQL: the service's memory must not grow with the file, and its speed must
// stay close to reading the same bytes with one plain SELECT.
import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { RECORD_CHUNK_BYTES } from '../src/domain/record-chunk-writer.js';
import { machineDescription, median, writeSection } from './report.js';
import { createBenchUser, residentMemoryMiB, startService } from './service-under-test.js';

const FILE_BYTES = 50 * 1024 * 1024;
const RUNS = 5;

/** A 50 MB record inserted directly: the download path serves bytes and does not care that they are not audio. */
async function insertLargeRecord(sql: postgres.Sql, userId: string): Promise<string> {
  const id = randomUUID();
  await sql.begin(async (tx) => {
    for (let seq = 0, offset = 0; offset < FILE_BYTES; seq++, offset += RECORD_CHUNK_BYTES) {
      await tx`insert into record_chunks (record_id, seq, data) values (${id}, ${seq}, ${randomBytes(Math.min(RECORD_CHUNK_BYTES, FILE_BYTES - offset))})`;
    }
    await tx`
      insert into records (id, user_id, original_name, input_container, input_encoding, input_bits_per_sample,
        input_sample_rate, input_channels, duration_seconds, sample_rate, channels, bitrate_kbps, vbr_quality, encoder,
        byte_size, audio_sha256, chunk_bytes)
      values (${id}, ${userId}, 'bench.wav', 'RIFF', 'pcm', 16, 44100, 2, 1310.72, 44100, 2, 320, null, 'wasm',
        ${FILE_BYTES}, ${randomBytes(32)}, ${RECORD_CHUNK_BYTES})`;
  });
  return id;
}

async function timedDownload(url: string, pid: number): Promise<{ seconds: number; rssGrowthMiB: number }> {
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
  if (bytes !== FILE_BYTES) throw new Error(`downloaded ${bytes} bytes of ${FILE_BYTES}`);
  return { seconds, rssGrowthMiB: peak - before };
}

async function timedSelect(sql: postgres.Sql, id: string): Promise<number> {
  const started = performance.now();
  const rows = await sql<{ data: Buffer }[]>`select data from record_chunks where record_id = ${id} order by seq`;
  const bytes = rows.reduce((n, r) => n + r.data.length, 0);
  if (bytes !== FILE_BYTES) throw new Error('select returned the wrong size');
  return (performance.now() - started) / 1000;
}

export async function downloadBenchmark(databaseUrl: string): Promise<void> {
  const service = await startService({ DATABASE_URL: databaseUrl, DATA_DIR: `/tmp/wav2mp3-bench-download-${process.pid}` });
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const user = await createBenchUser(service.url);
    const id = await insertLargeRecord(sql, user.id);
    const url = `${service.url}/record?id=${id}&user=${user.id}`;
    await timedDownload(url, service.pid); // warm-up: caches, JIT
    await timedSelect(sql, id);
    const downloads: { seconds: number; rssGrowthMiB: number }[] = [];
    const selects: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      downloads.push(await timedDownload(url, service.pid));
      selects.push(await timedSelect(sql, id));
    }
    await sql`delete from records where id = ${id}`;
    const mbps = (s: number) => FILE_BYTES / 2 ** 20 / s;
    const serviceSpeed = downloads.map((d) => mbps(d.seconds));
    const selectSpeed = selects.map(mbps);
    const growth = downloads.map((d) => d.rssGrowthMiB);
    const range = (xs: number[], digits = 0) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
    const line = `service ${median(serviceSpeed).toFixed(0)} MiB/s, select ${median(selectSpeed).toFixed(0)} MiB/s, RSS growth ${median(growth).toFixed(1)} MiB`;
    console.log(line);
    await writeSection(
      'download',
      `## Download: a 50 MiB MP3 streamed out of PostgreSQL

Machine: ${machineDescription()}. ${RUNS} runs after one warm-up; median (min–max).
The record (50 MiB in 256 KiB chunks) is inserted directly; \`GET /record\` on a freshly started service
(\`node dist/src/main.js\`, external PostgreSQL) is read to the end with fetch. RSS growth: the service process's
peak VmRSS during the download, sampled every 5 ms, minus its VmRSS before. Baseline: the same bytes read with one
\`select data from record_chunks where record_id = $1 order by seq\` (postgres.js, all rows at once).
Command: \`npm run bench -- download\`.

| | Median | Range |
|---|---|---|
| \`GET /record\` throughput | **${median(serviceSpeed).toFixed(0)} MiB/s** | ${range(serviceSpeed)} MiB/s |
| Single \`SELECT\` throughput | ${median(selectSpeed).toFixed(0)} MiB/s | ${range(selectSpeed)} MiB/s |
| Service ÷ SELECT | **${(median(serviceSpeed) / median(selectSpeed)).toFixed(2)}** | |
| Service RSS growth during a download | **${median(growth).toFixed(1)} MiB** | ${range(growth, 1)} MiB |
`,
    );
  } finally {
    await sql.end();
    await service.stop();
  }
}
