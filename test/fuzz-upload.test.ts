// Fuzzing POST /record with mutated WAVs through the real route, real worker threads and the real database. Whatever
// the bytes, the service must answer 201 or a 4xx problem that gives none of its internals away, keep nothing of a
// refused upload, and stay healthy. CI runs 300 mutations of a fixed seed; scripts/fuzz.sh runs 2,000 of a new one.
import type { ReservedSql } from 'postgres';
import { suite } from './support/suite.js';
import * as assert from 'uvu/assert';
import { sine } from './fixtures/signals.js';
import { mutatedWav, mutatedWavs, restrictSeeds, type MutatedWav } from './fixtures/wav-mutations.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, download, uploadForm, uploadOk, type CreatedUser } from './support/api-client.js';
import { startTestService, type TestService } from './support/test-service.js';

function wholeNumberSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return value;
}

// Small enough for every CI run; scripts/fuzz.sh asks for 2,000.
const FUZZ_COUNT = wholeNumberSetting('FUZZ_COUNT', 300);
// Fixed, so that CI fuzzes the same files every time and a red build reproduces on any machine.
const FUZZ_SEED = wholeNumberSetting('FUZZ_SEED', 0x5eed_f022);
// Replays one mutation of the run: the number that starts its name.
const FUZZ_ONLY = process.env.FUZZ_ONLY ? wholeNumberSetting('FUZZ_ONLY', 0) : undefined;
// Only the seed files whose names match this regular expression, e.g. "ima-adpcm" to fuzz one decoder.
const FUZZ_SEEDS = process.env.FUZZ_SEEDS || undefined;
if (FUZZ_SEEDS) restrictSeeds(new RegExp(FUZZ_SEEDS));
// A few at a time, as real clients send them, yet fewer than threads + queue of the test service (2 + 8), so that
// load shedding (a legitimate 503) cannot happen and any 5xx is a fault. Each lane uploads as a user of its own, so
// that the per-user cap on conversions in flight (429) does not turn the fuzzing into a test of that cap.
const CONCURRENT_UPLOADS = 4;
// These files are tiny; a request without an answer after this long is a hang.
const ANSWER_TIMEOUT_MS = 60_000;
// Failures listed in full in the assertion; the rest are counted.
const FAILURES_SHOWN = 25;

// What must never reach a client (STYLE rule 3): stack frames, dependency paths, absolute file paths, file URLs.
// "/problems/invalid-audio" is a type URI, not a path, so only well-known roots count as paths.
const STACK_FRAME = /\bat .*\(.*:\d+:\d+\)/;
const FILE_PATH = /(^|[\s"'(=:])\/(home|tmp|usr|var|work|opt|root|app|srv|etc|proc|dev|mnt|private|Users)\/|[A-Za-z]:\\\\|file:\/\//;

interface FuzzOutcome {
  statuses: Map<number, number>;
  problemTypes: Map<string, number>;
  created: number;
  failures: string[];
  slowest: { name: string; ms: number };
  seconds: number;
}

interface Context {
  service: TestService;
  /** One per lane. */
  users: CreatedUser[];
  recordsBefore: number;
  outcome: FuzzOutcome | undefined;
  /** Rejections nobody handled, and exceptions that escaped, while the suite ran. */
  escaped: unknown[];
  inFlight: Set<string>;
}

const runName = `FUZZ_SEED=${FUZZ_SEED}${FUZZ_SEEDS ? ` FUZZ_SEEDS=${FUZZ_SEEDS}` : ''} ${FUZZ_ONLY === undefined ? `FUZZ_COUNT=${FUZZ_COUNT}` : `FUZZ_ONLY=${FUZZ_ONLY}`}`;
const fuzz = suite<Context>(`fuzzed uploads (${runName})`, {} as Context);

let onRejection: ((reason: unknown) => void) | undefined;
let onCrash: ((error: unknown) => void) | undefined;

async function recordCount(service: TestService, users: CreatedUser[]): Promise<number> {
  const ids = users.map((user) => user.id);
  const [row] = await service.sql<{ n: number }[]>`select count(*)::int as n from records where user_id in ${service.sql(ids)}`;
  return row!.n;
}

fuzz.before(async (context) => {
  context.escaped = [];
  context.inFlight = new Set();
  // With a listener, an unhandled rejection no longer kills the process, so it is collected and failed on below.
  onRejection = (reason) => {
    context.escaped.push(reason);
  };
  // Does not stop the crash; it names the uploads in flight, so that the crash can be traced to a mutation.
  onCrash = (error) => {
    console.error(`# uncaught exception while uploading: ${[...context.inFlight].join(' | ')} (FUZZ_SEED=${FUZZ_SEED})`);
    context.escaped.push(error);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtExceptionMonitor', onCrash);
  context.service = await startTestService();
  context.users = [];
  for (let lane = 0; lane < CONCURRENT_UPLOADS; lane++) context.users.push(await createUser(context.service.url, `fuzzer ${lane}`));
  context.recordsBefore = await recordCount(context.service, context.users);
});

fuzz.after(async ({ service }) => {
  await service.close();
  if (onRejection) process.off('unhandledRejection', onRejection);
  if (onCrash) process.off('uncaughtExceptionMonitor', onCrash);
});

interface Verdict {
  status: number;
  /** The problem's type, for the tally of 4xx answers. */
  problemType?: string;
  breaches: string[];
}

function parsedJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Checks one answer against the upload's contract, from the outside. */
async function judge(response: Response, service: TestService): Promise<Verdict> {
  const text = await response.text();
  const { status } = response;
  if (status === 201) {
    const id = parsedJson(text)?.id;
    const complete = typeof id === 'string' && response.headers.get('location') !== null;
    return { status, breaches: complete ? [] : [`201 without a record id or Location: ${text.slice(0, 200)}`] };
  }
  if (status < 400 || status > 499) return { status, breaches: [`status ${status}: ${text.slice(0, 300)}`] };

  const breaches: string[] = [];
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.startsWith('application/problem+json')) breaches.push(`${status} with content type ${JSON.stringify(contentType)}`);
  const parsed = parsedJson(text);
  if (!parsed) breaches.push(`${status} whose body is not a JSON object: ${text.slice(0, 200)}`);
  const problem = parsed ?? {};
  const problemType = typeof problem.type === 'string' && problem.type !== '' ? problem.type : undefined;
  if (!problemType) breaches.push(`${status} problem without a type: ${text.slice(0, 200)}`);
  if (problem.status !== status) breaches.push(`${status} problem whose status says ${String(problem.status)}`);
  if (typeof problem.title !== 'string' || typeof problem.detail !== 'string') breaches.push(`${status} problem without title or detail`);
  const leaks = [
    STACK_FRAME.test(text) && 'a stack frame',
    text.includes('node_modules') && '"node_modules"',
    (FILE_PATH.test(text) || text.includes(service.spoolDir)) && 'a file path',
  ].filter((leak): leak is string => leak !== false);
  if (leaks.length) breaches.push(`${status} problem leaks ${leaks.join(' and ')}: ${text.slice(0, 300)}`);
  return { status, problemType, breaches };
}

function increment<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

const reproduction = (wav: MutatedWav) => `FUZZ_SEED=${FUZZ_SEED}${FUZZ_SEEDS ? ` FUZZ_SEEDS=${FUZZ_SEEDS}` : ''} FUZZ_ONLY=${wav.name.split(' ', 1)[0]} scripts/fuzz.sh`;

async function send(service: TestService, user: CreatedUser, wav: MutatedWav): Promise<Verdict> {
  let response: Response;
  try {
    response = await fetch(`${service.url}/record`, {
      method: 'POST',
      body: uploadForm(wav.bytes, { user: user.id, token: user.token, fileName: 'fuzz.wav' }),
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    });
  } catch (error) {
    // undici hides the socket's reason in `cause`.
    const cause = error instanceof Error ? `${error.message}${error.cause ? ` (${String(error.cause)})` : ''}` : String(error);
    return { status: 0, breaches: [`no answer: ${cause}`] };
  }
  return judge(response, service);
}

async function runFuzz({ service, users, inFlight }: Context): Promise<FuzzOutcome> {
  const outcome: FuzzOutcome = { statuses: new Map(), problemTypes: new Map(), created: 0, failures: [], slowest: { name: '', ms: 0 }, seconds: 0 };
  const started = performance.now();
  const mutations: Iterator<MutatedWav> =
    FUZZ_ONLY === undefined ? mutatedWavs(FUZZ_SEED, FUZZ_COUNT)[Symbol.iterator]() : [mutatedWav(FUZZ_SEED, FUZZ_ONLY)].values();
  // Each lane takes the next mutation once its previous upload is answered; sharing the iterator sends each once.
  const lane = async (user: CreatedUser) => {
    for (let next = mutations.next(); !next.done; next = mutations.next()) {
      const wav = next.value;
      inFlight.add(wav.name);
      const sent = performance.now();
      const verdict = await send(service, user, wav);
      const ms = performance.now() - sent;
      inFlight.delete(wav.name);
      increment(outcome.statuses, verdict.status);
      if (verdict.status === 201) outcome.created++;
      if (verdict.problemType) increment(outcome.problemTypes, `${verdict.status} ${verdict.problemType}`);
      if (ms > outcome.slowest.ms) outcome.slowest = { name: wav.name, ms };
      for (const breach of verdict.breaches) outcome.failures.push(`${wav.name}\n      ${breach}\n      reproduce: ${reproduction(wav)}`);
    }
  };
  await Promise.all(users.map(lane));
  outcome.seconds = (performance.now() - started) / 1000;
  return outcome;
}

function printSummary(outcome: FuzzOutcome, count: number): void {
  const sorted = <K>(counts: Map<K, number>) => [...counts].sort(([a], [b]) => String(a).localeCompare(String(b)));
  console.log(`# fuzz: ${count} uploads in ${outcome.seconds.toFixed(1)} s (FUZZ_SEED=${FUZZ_SEED})`);
  console.log(`# fuzz: statuses ${sorted(outcome.statuses).map(([status, n]) => `${status === 0 ? 'no answer' : status}: ${n}`).join(', ')}`);
  for (const [type, n] of sorted(outcome.problemTypes)) console.log(`# fuzz:   ${type}: ${n}`);
  console.log(`# fuzz: slowest ${Math.round(outcome.slowest.ms)} ms: ${outcome.slowest.name}`);
}

fuzz('when mutated WAVs are uploaded, then every answer is a 201 or a 4xx problem that reveals no internals', async (context) => {
  const outcome = await runFuzz(context);
  context.outcome = outcome;
  const count = [...outcome.statuses.values()].reduce((a, b) => a + b, 0);
  printSummary(outcome, count);
  assert.is(count, FUZZ_ONLY === undefined ? FUZZ_COUNT : 1, 'every mutation was sent');
  const shown = outcome.failures.slice(0, FAILURES_SHOWN).join('\n  ');
  const more = outcome.failures.length > FAILURES_SHOWN ? `\n  … and ${outcome.failures.length - FAILURES_SHOWN} more` : '';
  assert.ok(outcome.failures.length === 0, `${outcome.failures.length} uploads broke the contract:\n  ${shown}${more}`);
});

// The pool size test-service.ts gives the service's postgres.js client.
const SERVICE_POOL_CONNECTIONS = 10;
const RESERVE_TIMEOUT_MS = 5_000;
// PostgreSQL's answer to SAVEPOINT outside a transaction block: no_active_sql_transaction.
const NOT_IN_A_TRANSACTION = '25P01';

/** Whether the connection sits inside a transaction block, found with a savepoint, which only a block accepts. */
async function insideTransaction(connection: ReservedSql): Promise<boolean> {
  try {
    await connection`savepoint fuzz_probe`;
  } catch (error) {
    return (error as { code?: unknown }).code !== NOT_IN_A_TRANSACTION; // 25P02: inside a failed one
  }
  await connection`rollback`; // a leaked transaction: the test fails anyway; end it so the pool can close
  return true;
}

/**
 * A conversion that failed must roll back and release its connection. Reserving every connection of the service's
 * own pool finds both leaks without looking at other clients of a shared database: a connection never released
 * cannot be reserved, and one released mid-transaction is still inside it.
 */
async function connectionsStillInTransaction(service: TestService): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`a pool connection could not be reserved within ${RESERVE_TIMEOUT_MS} ms: one was never released`)),
      RESERVE_TIMEOUT_MS,
    );
  });
  const reserving = Promise.all(Array.from({ length: SERVICE_POOL_CONNECTIONS }, () => service.sql.reserve()));
  const reserved = await Promise.race([reserving, timedOut]).finally(() => clearTimeout(timer));
  try {
    let inside = 0;
    for (const connection of reserved) if (await insideTransaction(connection)) inside++;
    return inside;
  } finally {
    for (const connection of reserved) connection.release();
  }
}

fuzz('when the fuzzing is over, then no spooled file, half-written transaction or record of a refused upload is left', async ({ service, users, recordsBefore, outcome }) => {
  assert.ok(outcome, 'the fuzz run finished');
  assert.equal(await service.spooledFiles(), [], 'spool directory');
  const recordsAfter = await recordCount(service, users);
  assert.is(recordsAfter - recordsBefore, outcome.created, 'one record per 201, none for a refused upload');
  assert.is(await connectionsStillInTransaction(service), 0, 'connections of the pool left inside a transaction');
});

fuzz('when the fuzzing is over, then the service is healthy and still converts a valid WAV', async ({ service, users }) => {
  for (const probe of ['/healthz', '/readyz']) {
    const response = await fetch(`${service.url}${probe}`);
    assert.is(response.status, 200, probe);
    await response.arrayBuffer();
  }
  const wav = encodeWav({ sampleRate: 44100, channels: 2 }, [sine(440, 0.5, 44100), sine(660, 0.5, 44100)]);
  const user = users[0]!;
  const record = await uploadOk(service.url, wav, { user: user.id, token: user.token, fileName: 'after-fuzz.wav' });
  const { response, bytes } = await download(record.url);
  assert.is(response.status, 200);
  assert.is(bytes.length, record.output.bytes);
});

fuzz('when the fuzzing is over, then no promise was rejected unhandled and no exception escaped', ({ escaped }) => {
  const described = escaped.map((e) => (e instanceof Error ? (e.stack ?? e.message) : String(e)));
  assert.equal(described, [], 'escaped errors');
});

fuzz.run();
