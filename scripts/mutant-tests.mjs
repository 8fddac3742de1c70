#!/usr/bin/env node
// The test command Stryker runs for each mutant (stryker.config.mjs): `node scripts/mutant-tests.mjs <folder>`, in a
// Stryker sandbox whose dist/ was built from mutated sources. uvu gives Stryker no per-test coverage, so this script
// plays that part by hand: it finds which source file holds the active mutant (the instrumented build names every
// mutant id in its file) and runs only the test files listed for that source file, one uvu process each, most
// targeted first, stopping at the first failure. With no active mutant (Stryker's dry run) it runs the tests of every
// mutated file, so the time limit Stryker derives from the dry run covers the longest list.
// MUTANT_TESTS=a,b replaces the table's lists with those test files. Exit status 0 means the mutant survived. docs/MUTATION.md says why each file gets its tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Per folder of src/: source file (relative to the folder) → test files (relative to dist/test, without .test.js).
 * The MP3 tag code gets test/mp3-tags alone: it checks every tag byte against native lame's and parses every header
 * field, and adding the conversion tests (another 15 s per surviving mutant) did not fit the time we had.
 */
export const TESTS_BY_SOURCE = {
  audio: {
    // The file still arriving and the pool's waiting lines, with plain calls (milliseconds).
    'arriving-file.ts': ['audio/arriving-file'],
    'audio-error.ts': ['audio/wav-header', 'audio/mutants-wav-header', 'audio/convert-wav', 'audio/mutants-convert-wav'],
    // The block decoders: random blocks against ffmpeg (quick), ffmpeg's own encodings (16 s), then through the service.
    'block-codecs.ts': ['audio/mutants-block-decoders', 'audio/compressed-decoders', 'compressed-uploads'],
    'channel-mix.ts': ['audio/mutants-channel-mix', 'audio/conversion-content', 'audio/convert-wav'],
    // The pool with real threads and no service (about 20 s): whole and split conversions against this thread's
    // bytes, refusals, the caller's abort, a full queue, the time limits, the lines; then the use case, the split's
    // coordination and the upload options through the service.
    'conversion-pool.ts': ['audio/mutants-conversion-pool', 'domain/convert-upload', 'audio/split-conversion', 'upload-options'],
    'conversion-worker.ts': ['audio/mutants-conversion-pool', 'upload-options', 'fuzz-upload'],
    'convert-wav.ts': ['audio/mutants-convert-wav', 'audio/convert-wav', 'audio/mutants-conversion-pool', 'audio/conversion-content', 'upload-options', 'fuzz-upload'],
    'file-reader.ts': ['audio/mutants-file-reader', 'audio/convert-wav'],
    'gsm610.ts': ['audio/mutants-block-decoders', 'audio/compressed-decoders', 'compressed-uploads'],
    'id3-tag.ts': ['mp3-tags'],
    'ima-adpcm.ts': ['audio/mutants-block-decoders', 'audio/compressed-decoders', 'compressed-uploads'],
    'lame-tag.ts': ['mp3-tags', 'audio/mutants-lame-tag'],
    // The adapter called directly (about 3 s): calls of any size, clipping, channels, bitrates; then whole conversions.
    'lamejs-encoder.ts': ['audio/mutants-lamejs-encoder', 'audio/convert-wav', 'audio/conversion-content', 'upload-options'],
    'mp3-encoder.ts': ['audio/mp3-encoder', 'audio/convert-wav', 'audio/conversion-content', 'upload-options'],
    // The builder's refusals, the walker's errors and a seek table halved twice, with plain calls (under a second).
    'mp3-frames.ts': ['audio/mutants-mp3-frames', 'mp3-tags'],
    // The split encode: seams on frames written by hand (milliseconds), then joins checked against serial encodes
    // (about 30 s). Not split-conversion (70 s through the service): it made each hanging mutant cost 2.5 minutes.
    'mp3-join.ts': ['audio/mutants-mp3-join', 'audio/mp3-join'],
    // What it writes around frames written by hand, no encoder (milliseconds); then the conversions and the service.
    'mp3-output.ts': ['audio/mutants-mp3-output', 'audio/mutants-convert-wav', 'audio/convert-wav', 'mp3-tags', 'split-conversion'],
    'ms-adpcm.ts': ['audio/mutants-block-decoders', 'audio/compressed-decoders', 'compressed-uploads'],
    'pcm-decoder.ts': ['audio/mutants-pcm-decoder', 'audio/convert-wav', 'audio/conversion-content'],
    // Its reading loop on real files, PCM and IMA ADPCM against ffmpeg (about 2 s); then read by convertWavFile (PCM),
    // compressed files through the service, and every PCM kind.
    'spare-buffers.ts': ['audio/spare-buffers', 'audio/mutants-conversion-pool'],
    'sample-chunks.ts': ['audio/mutants-sample-chunks', 'audio/mutants-convert-wav', 'compressed-uploads', 'audio/convert-wav'],
    'split-conversion.ts': ['audio/split-conversion', 'audio/mutants-conversion-pool', 'split-conversion'],
    // The plan and the seams with plain calls (milliseconds), then real encodes joined (about 30 s), then the service.
    'split-plan.ts': ['audio/mutants-split-plan', 'audio/mp3-join', 'split-conversion'],
    'wasm-lame-encoder.ts': ['audio/wasm-lame-encoder', 'audio/convert-wav', 'audio/conversion-content', 'upload-options'],
    'waiting-line.ts': ['audio/arriving-file'],
    'wav-header.ts': ['audio/wav-header', 'audio/mutants-wav-header', 'audio/convert-wav'],
    'worker-messages.ts': ['upload-options', 'fuzz-upload'],
  },
  domain: {
    'access-tokens.ts': ['domain/mutants-users', 'token-storage', 'users'],
    'convert-upload.ts': ['domain/convert-upload', 'upload-options', 'records', 'fuzz-upload', 'streaming-upload'],
    'download-pieces.ts': ['domain/download-pieces', 'domain/mutants-download-pieces', 'downloads'],
    'errors.ts': ['errors', 'users', 'records'],
    // Plain calls against the real database first (about 2 s), then the HTTP tests.
    'record-chunk-writer.ts': ['domain/record-chunk-writer', 'records', 'downloads'],
    'event-loop-share.ts': ['domain/event-loop-share', 'domain/download-pieces', 'downloads'],
    'record-cursor.ts': ['domain/mutants-record-cursor', 'library', 'records'],
    'records.ts': ['domain/records', 'records', 'downloads', 'library'],
    'storage-quota.ts': ['domain/storage-quota', 'errors'],
    'upload-name.ts': ['domain/upload-name', 'domain/mutants-upload-name', 'upload-names'],
    'user-conversion-slots.ts': ['domain/user-conversion-slots', 'records', 'upload-options'],
    'users.ts': ['domain/mutants-users', 'users', 'token-storage'],
  },
  http: {
    // buildApp through app.callback() with the real database and pool: request ids, headers, request log, metrics.
    'app.ts': ['http/mutants-app', 'errors'],
    'bearer-token.ts': ['http/mutants-bearer-token', 'users', 'token-storage', 'downloads'],
    'byte-ranges.ts': ['http/mutants-byte-ranges', 'downloads'],
    'client-errors.ts': ['http/mutants-client-errors', 'parser-refusals'],
    'connection-limits.ts': ['http/mutants-connection-limits', 'connection-limits'],
    'descriptor-limit.ts': ['http/mutants-descriptor-limit'],
    'errors.ts': ['http/mutants-errors', 'errors'],
    'http-server.ts': ['http/mutants-http-server', 'expect-continue'],
    // The document held against real answers (examples sent, bodies against schemas), then every error case's answer.
    'openapi.ts': ['http/openapi-contract', 'openapi', 'errors'],
    'on-demand-stream.ts': ['http/mutants-on-demand-stream', 'downloads'],
    'problem.ts': ['http/mutants-problem', 'errors'],
    'record-view.ts': ['http/mutants-record-view', 'records', 'downloads'],
    'lingering-close.ts': ['http/mutants-lingering-close', 'lingering-close'],
    // Every request of the service passes the admission: users is a quick HTTP test ('abuse' is left out everywhere).
    'request-admission.ts': ['http/request-admission', 'users'],
    // The probes on a Koa app in this process, against the real database and a silent one (about 2 s).
    'routes/health.ts': ['http/mutants-health'],
    // The user routes on a Koa app in this process against the real database (about a second), then through the service.
    'routes/users.ts': ['http/mutants-users', 'users'],
    // GET and HEAD /record on a Koa app in this process against the real database (about a second), then the service.
    'routes/record-download.ts': ['http/mutants-record-download', 'downloads'],
    'request-body-flow.ts': ['http/mutants-request-body-flow', 'expect-continue'],
    // The schemas' limits and messages with plain calls, then the document they describe and the HTTP refusals.
    'schemas.ts': ['http/mutants-schemas', 'openapi', 'users', 'upload-options'],
    'request-origin.ts': ['http/mutants-request-origin', 'forwarded-links'],
    'spool-budget.ts': ['http/mutants-spool-budget', 'spool-limits'],
    'transfer-rate-guard.ts': ['http/mutants-transfer-rate-guard', 'slow-transfers'],
    'validate.ts': ['http/mutants-validate', 'users', 'upload-options'],
    // The upload path: the route and the multipart spool, through the service with real uploads (a few seconds each).
    'routes/record-upload.ts': ['http/mutants-record-upload', 'records', 'upload-options', 'upload-names', 'parser-refusals', 'aborted-uploads', 'streaming-upload', 'errors'],
    'wav-upload.ts': ['http/mutants-wav-upload', 'records', 'parser-refusals', 'aborted-uploads', 'upload-options', 'streaming-upload', 'spool-limits', 'errors'],
    'spool-file.ts': ['http/mutants-wav-upload', 'aborted-uploads', 'streaming-upload', 'spool-limits'],
    'routes/library.ts': ['library', 'openapi'],
    'routes/metrics.ts': ['http/mutants-metrics', 'observability'],
    // The page's policy, the document, the page and its assets on a Koa app in this process (under a second); then the
    // document through the service and the page in Chromium.
    'routes/docs.ts': ['http/mutants-docs', 'openapi', 'swagger-ui'],
    'routes/web-page.ts': ['http/mutants-web-page', 'web-page'],
    '*': ['errors', 'openapi', 'users', 'records', 'downloads', 'upload-options', 'upload-names', 'library', 'forwarded-links', 'expect-continue', 'web-page'],
  },
};

const MUTANT_ID = /stryMutAct_9fa48\("(\d+)"\)/g;

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : entry.name.endsWith('.js') ? [path.join(dir, entry.name)] : [],
  );
}

/** Source file (relative to src/<folder>, with its .ts name) → the ids of the mutants its build holds. */
function mutantsBySource(folder) {
  const built = path.join('dist', 'src', folder);
  const bySource = new Map();
  for (const file of filesUnder(built)) {
    const ids = new Set([...readFileSync(file, 'utf8').matchAll(MUTANT_ID)].map((match) => match[1]));
    if (ids.size > 0) bySource.set(path.relative(built, file).replace(/\.js$/, '.ts'), ids);
  }
  return bySource;
}

function testsFor(folder, mutantId) {
  // MUTANT_TESTS (set by `npm run mutate -- --tests a,b`): these tests instead of the table's, for every mutant.
  if (process.env.MUTANT_TESTS) return process.env.MUTANT_TESTS.split(',');
  const table = TESTS_BY_SOURCE[folder];
  const listed = (source) => {
    const tests = table[source] ?? table['*'];
    if (!tests) throw new Error(`scripts/mutant-tests.mjs lists no tests for src/${folder}/${source}`);
    return tests;
  };
  const mutated = [...mutantsBySource(folder)];
  if (mutantId === undefined) return [...new Set(mutated.flatMap(([source]) => listed(source)))];
  const holder = mutated.find(([, ids]) => ids.has(mutantId));
  if (!holder) throw new Error(`mutant ${mutantId} is in no built file of src/${folder}`);
  return listed(holder[0]);
}

const folder = process.argv[2];
if (!folder || !(folder in TESTS_BY_SOURCE)) {
  console.error(`usage: node scripts/mutant-tests.mjs <${Object.keys(TESTS_BY_SOURCE).join('|')}>`);
  process.exit(2);
}
const uvu = path.join('node_modules', 'uvu', 'bin.js');
for (const name of testsFor(folder, process.env.__STRYKER_ACTIVE_MUTANT__)) {
  // A misspelt name would run no test and let every mutant of its file survive unnoticed.
  if (!existsSync(path.join('dist', 'test', `${name}.test.js`))) {
    console.error(`no test file dist/test/${name}.test.js`);
    process.exit(2);
  }
  const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const run = spawnSync(process.execPath, [uvu, path.join('dist', 'test'), `^${escaped}\\.test\\.js$`, '--bail'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(run.stdout ?? '');
  if (run.status !== 0) process.exit(run.status ?? 1);
  // uvu exits 0 when a test throws `undefined` (a mutant that makes a factory return nothing does that): count instead,
  // as test/run.ts does.
  const plain = (run.stdout ?? '').replace(/\u001b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  if (!(total > 0) || passed !== total) process.exit(1);
}
