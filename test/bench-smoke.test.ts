// Every benchmark runs end to end on tiny inputs (BENCH_TINY=1: seconds of audio, one run), through bench/run.ts as
// a person would start it, against the test database, and leaves docs/BENCHMARKS.md alone.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { testDatabaseUrl } from './support/test-service.js';

const RUN = fileURLToPath(new URL('../bench/run.js', import.meta.url));
const REPORT = fileURLToPath(new URL('../../docs/BENCHMARKS.md', import.meta.url));
// What issue 7 asks for; run.ts may register more, and every registered one is smoke-tested below.
const REQUIRED = ['encoders', 'end-to-end', 'throughput', 'responsiveness', 'profile', 'memory'];

// Generous: a tiny run takes seconds; this only keeps a hung benchmark from hanging the suite.
const RUN_TIMEOUT_MS = 5 * 60_000;
// After the process exits, time for the rest of its output to arrive.
const OUTPUT_DRAIN_MS = 1_000;

async function runBench(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [RUN, ...args], {
    env: { ...process.env, DATABASE_URL: testDatabaseUrl(), BENCH_TINY: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: RUN_TIMEOUT_MS,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise((resolve) => child.once('close', resolve));
  // Not 'close' alone: a service the benchmark left running would hold the pipes open for ever.
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  await Promise.race([closed, sleep(OUTPUT_DRAIN_MS)]);
  return { code, output };
}

const readReport = () => readFile(REPORT, 'utf8').catch(() => '');

/** The names run.ts registers, from the message it answers an unknown name with. */
async function registeredBenchmarks(): Promise<string[]> {
  const { code, output } = await runBench(['no-such-benchmark']);
  if (code !== 2) throw new Error(`run.ts answered an unknown benchmark with exit code ${code}:\n${output}`);
  return /^unknown benchmark no-such-benchmark; known: (.+)$/m.exec(output)?.[1]?.split(', ') ?? [];
}

const BENCHMARKS = await registeredBenchmarks();

test('when run.ts lists its benchmarks, then every one the performance issue asks for is there', () => {
  for (const name of REQUIRED) assert.ok(BENCHMARKS.includes(name), `${name} is not registered in bench/run.ts`);
});

for (const name of BENCHMARKS) {
  test(`when ${name} runs on tiny input, then it finishes, prints its table with finite figures, and writes no report`, async () => {
    const before = await readReport();
    const { code, output } = await runBench([name]);
    assert.is(code, 0, output);
    assert.ok(output.includes(`# ${name} (tiny)`), output);
    assert.match(output, /\n\|---\|/);
    assert.not.match(output, /NaN|Infinity/);
    assert.is(await readReport(), before, 'a tiny run must not touch docs/BENCHMARKS.md');
  });
}

test('when lame is not installed, then the encoder and end-to-end benchmarks run without the native column', async () => {
  const emptyPath = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-no-lame-'));
  try {
    const { code, output } = await runBench(['encoders', 'end-to-end'], { PATH: emptyPath });
    assert.is(code, 0, output);
    assert.match(output, /lame is not installed/);
    assert.not.match(output, /\(native\) \|/);
    assert.match(output, /WASM LAME, encoder alone/);
    assert.match(output, /Upload → 201/);
  } finally {
    await rm(emptyPath, { recursive: true, force: true });
  }
});

test.run();
