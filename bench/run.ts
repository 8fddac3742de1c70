// `npm run bench [-- name ...]`: runs the named benchmarks (all by default) and updates docs/BENCHMARKS.md.
// Benchmarks that need a database use DATABASE_URL, or an embedded PostgreSQL started here for the run.
// BENCH_TINY=1 runs them on a few seconds of audio, once, and prints their sections instead of writing them:
// a smoke run (test/bench-smoke.test.ts) whose figures mean nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { removeCluster } from '../src/db/cluster-location.js';
import { startEmbeddedPostgres, SYSTEM_DIR, type EmbeddedPostgres } from '../src/db/embedded.js';
import { createLogger } from '../src/log.js';
import type { Benchmark, BenchOptions } from './bench-options.js';
import { conversionProfileBenchmark } from './conversion-profile.js';
import { downloadBenchmark } from './download.js';
import { earlyRefusalsBenchmark } from './early-refusals.js';
import { encodersBenchmark } from './encoders.js';
import { endToEndBenchmark } from './end-to-end.js';
import { loadBenchmark } from './load.js';
import { memoryBenchmark } from './memory.js';
import { writeSection } from './report.js';
import { responsivenessBenchmark } from './responsiveness.js';
import { splitEncodeBenchmark } from './split-encode.js';
import { throughputBenchmark } from './throughput.js';

const BENCHMARKS: Record<string, Benchmark> = {
  encoders: encodersBenchmark,
  'end-to-end': endToEndBenchmark,
  throughput: throughputBenchmark,
  responsiveness: responsivenessBenchmark,
  profile: conversionProfileBenchmark,
  memory: memoryBenchmark,
  download: downloadBenchmark,
  load: loadBenchmark,
  'early-refusals': earlyRefusalsBenchmark,
  split: splitEncodeBenchmark,
};

const options: BenchOptions = { tiny: process.env.BENCH_TINY === '1' };
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !BENCHMARKS[name]);
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
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
    console.log(`# ${name}${options.tiny ? ' (tiny)' : ''}`);
    const section = await BENCHMARKS[name]!(databaseUrl, options);
    if (options.tiny) console.log(section);
    else await writeSection(name, section);
  }
} finally {
  await embedded?.stop();
  if (dataDir) {
    // Run as root, the cluster may live under SYSTEM_DIR rather than in dataDir (src/db/cluster-location.ts).
    await removeCluster(dataDir, SYSTEM_DIR);
    await rm(dataDir, { recursive: true, force: true });
  }
}
