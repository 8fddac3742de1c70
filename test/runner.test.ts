// The runner itself (test/run.ts with test/support/suite.ts), on a folder of made-up tests: a hung test fails with its
// name once its time limit passes, a failing `before` hook prints its error, and a process that a hung test keeps
// alive is ended after the summary and counted as a failure; a process that dies of an uncaught error has its stack
// printed again beside the summary line.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as assert from 'uvu/assert';
import { test } from './support/suite.js';
import { testDatabaseUrl } from './support/test-service.js';

const run = promisify(execFile);
const RUNNER = fileURLToPath(new URL('./run.js', import.meta.url));
const SUITE = pathToFileURL(fileURLToPath(new URL('./support/suite.js', import.meta.url))).href;

/** Runs the runner on a folder holding one made-up test file; what it printed and its exit code. */
async function runOn(fileName: string, source: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; output: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-runner-'));
  try {
    await writeFile(path.join(dir, 'package.json'), '{"type":"module"}');
    await writeFile(path.join(dir, fileName), source);
    return await run(process.execPath, [RUNNER], {
      env: { ...process.env, TEST_ROOT: dir, DATABASE_URL: testDatabaseUrl(), ...env },
      timeout: 60_000,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, output: stdout + stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, output: error.stdout + error.stderr }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a hung test fails by name after its time limit, a failing before hook prints its error, and a process kept alive is ended', async () => {
  const started = Date.now();
  const result = await runOn(
    'made-up.test.js',
    `import { suite, test } from ${JSON.stringify(SUITE)};
test('finishes', () => {});
test('hangs', () => new Promise(() => setInterval(() => {}, 1000)), { timeLimitMs: 300 });
test.run();
const broken = suite('broken setup');
broken.before(() => { throw new Error('the database is not there'); });
broken('never runs', () => {});
broken.run();
`,
    { TEST_EXIT_AFTER_SUMMARY_MS: '1000' },
  );
  assert.is(result.code, 1, result.output);
  assert.match(result.output, '"hangs" did not finish within 300 ms');
  assert.match(result.output, /before hook of "broken setup" failed:.*the database is not there/s);
  assert.match(result.output, 'still running 1 s after its summary');
  assert.ok(Date.now() - started < 30_000, 'the run ended instead of hanging');
  assert.is(result.stdout.trim().split('\n').at(-1), '1 passed, 3 failed');
});

test('when a test file kills the process with an uncaught error, then its stack and file are printed just before the summary line', async () => {
  const result = await runOn(
    'crashing.test.js',
    `import { test } from ${JSON.stringify(SUITE)};
test('throws from a timer', () => new Promise(() => setTimeout(() => { throw new Error('thrown from a timer callback'); }, 50)));
test.run();
`,
  );
  assert.is(result.code, 1, result.output);
  const lines = result.stdout.trim().split('\n');
  assert.is(lines.at(-1), '0 passed, 1 failed', result.output);
  const header = lines.findIndex((line) => /ended before its summary \(exit code 1\) during crashing\.test\.js/.test(line));
  assert.ok(header >= 0 && lines.length - header < 30, result.output);
  assert.ok(lines.slice(header).includes('#   Error: thrown from a timer callback'), result.output);
});

test.run();
