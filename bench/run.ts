// `npm run bench [-- name ...]`: runs the named benchmarks (all by default) and updates docs/BENCHMARKS.md.
// Benchmarks that need a database use DATABASE_URL, or an embedded PostgreSQL started here for the run.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded.js';
import { createLogger } from '../src/log.js';
import { downloadBenchmark } from './download.js';
import { memoryBenchmark } from './memory.js';

const BENCHMARKS: Record<string, (databaseUrl: string) => Promise<void>> = {
  memory: (databaseUrl) => memoryBenchmark(databaseUrl),
  download: (databaseUrl) => downloadBenchmark(databaseUrl),
};

const chosen = process.argv.slice(2);
for (const name of chosen) {
  if (!BENCHMARKS[name]) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
}

let embedded: EmbeddedPostgres | undefined;
let dataDir: string | undefined;
let databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-bench-db-'));
  embedded = await startEmbeddedPostgres(dataDir, createLogger('warn'));
  databaseUrl = embedded.url;
}
try {
  for (const name of chosen.length ? chosen : Object.keys(BENCHMARKS)) {
    console.log(`# ${name}`);
    await BENCHMARKS[name]!(databaseUrl);
  }
} finally {
  await embedded?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
