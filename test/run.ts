// `npm test`: runs every *.test.js under dist/test with uvu against a real PostgreSQL — the server named by
// DATABASE_URL, or else an embedded one started here in a temporary directory, exactly as a fresh machine would.
// `npm run test:compose` (`--compose`): runs the *.compose.js files of dist/test/compose instead, against the real
// Docker Compose stack, which brings its own database. Ends with the line "N passed, N failed" that CI reads.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { relocatedClusters, removeCluster } from '../src/db/cluster-location.js';
import { startEmbeddedPostgres, SYSTEM_DIR, type EmbeddedPostgres } from '../src/db/embedded.js';
import { createLogger } from '../src/log.js';

// TEST_ROOT: another folder of compiled tests, for the runner's own test (test/runner.test.ts).
const testDir = process.env.TEST_ROOT ?? path.dirname(fileURLToPath(import.meta.url));
// A test past its time limit fails, but what it started may keep the process alive: once uvu has printed its summary,
// the process gets this long to exit before it is ended, and that counts as a failure.
const EXIT_AFTER_SUMMARY_MS = Number(process.env.TEST_EXIT_AFTER_SUMMARY_MS) || 20_000;
const ERROR_TAIL_CHARS = 6_000;
// uvu does not export its CLI; it sits beside the package's dist/ folder.
const uvuBin = path.join(path.dirname(fileURLToPath(import.meta.resolve('uvu'))), '..', 'bin.js');
const composeMode = process.argv[2] === '--compose';
const filter = composeMode ? '' : (process.argv[2] ?? '');

async function main(): Promise<number> {
  let embedded: EmbeddedPostgres | undefined;
  let dataDir: string | undefined;
  // Plain output when piped (CI logs), colours on a terminal.
  const env: NodeJS.ProcessEnv = { ...process.env, ...(process.stdout.isTTY ? {} : { NO_COLOR: '1', FORCE_COLOR: '0' }) };
  // Run as root, tests that start the service on a DATA_DIR in a private temporary folder get their cluster relocated
  // under SYSTEM_DIR (see src/db/cluster-location.ts); those whose DATA_DIR is gone by the end are removed below.
  const relocatedBefore = new Set((await relocatedClusters(SYSTEM_DIR)).map((c) => c.home));
  if (!composeMode && !env.DATABASE_URL) {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-test-db-'));
    embedded = await startEmbeddedPostgres(dataDir, createLogger('warn'));
    env.DATABASE_URL = embedded.url;
    // Tests that start the service as a real process start it the same way: embedded, in its own DATA_DIR.
    env.TEST_EMBEDDED_DATABASE = '1';
  }
  console.log(composeMode ? '# the Docker Compose stack' : `# database: ${embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'}`);
  const [dir, pattern] = composeMode ? [path.join(testDir, 'compose'), '\\.compose\\.js$'] : [testDir, `${filter}.*\\.test\\.js$`];
  try {
    const child = spawn(process.execPath, [uvuBin, dir, pattern], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Its error output goes straight through, and its tail is kept: if the process dies of an uncaught error, the
    // stack is printed again beside the summary line, where a CI excerpt that shows only the end still has it.
    let errorTail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      errorTail = (errorTail + chunk.toString()).slice(-ERROR_TAIL_CHARS);
    });
    let output = '';
    let lingered = false;
    let lingerTimer: NodeJS.Timeout | undefined;
    // How long each file takes, from its name line to the next one: what to look at when the suite grows too slow
    // for CI's 30 minutes.
    const fileSeconds = new Map<string, number>();
    let current: { file: string; since: number } | undefined;
    let pendingLine = '';
    const fileEnded = () => {
      if (current) fileSeconds.set(current.file, (performance.now() - current.since) / 1000);
      current = undefined;
    };
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      output += chunk.toString();
      const lines = (pendingLine + chunk.toString()).split('\n');
      pendingLine = lines.pop() ?? '';
      for (const line of lines) {
        const name = /^(?:\u001b\[[0-9;]*m)*([\w./-]+\.test\.js)(?:\u001b\[[0-9;]*m)*$/.exec(line.trim())?.[1];
        if (name) {
          fileEnded();
          current = { file: name, since: performance.now() };
        } else if (/Total:/.test(line)) {
          fileEnded();
        }
      }
      if (!lingerTimer && /Duration:/.test(output)) {
        lingerTimer = setTimeout(() => {
          lingered = true;
          console.log(`the test process was still running ${EXIT_AFTER_SUMMARY_MS / 1000} s after its summary (a test left something running): ended`);
          child.kill('SIGKILL');
        }, EXIT_AFTER_SUMMARY_MS);
      }
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    clearTimeout(lingerTimer);
    const slowest = [...fileSeconds].sort((a, b) => b[1] - a[1]).slice(0, 12);
    if (slowest.length > 1) console.log(`# slowest files: ${slowest.map(([file, seconds]) => `${file} ${seconds.toFixed(0)} s`).join(', ')}`);
    const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
    const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
    const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
    const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
    if (Number.isNaN(total) || Number.isNaN(passed)) {
      console.log(`# the test process ended before its summary (${signal ? `signal ${signal}` : `exit code ${code}`}) during ${current?.file ?? 'no file'}; the end of its error output:`);
      console.log(errorTail.replace(/\u001b\[[0-9;]*m/g, '').replace(/^/gm, '#   '));
      console.log('0 passed, 1 failed');
      return 1;
    }
    // A skipped check is not a pass.
    const failed = total - passed + skipped + (lingered ? 1 : 0);
    console.log(`${passed} passed, ${failed} failed`);
    return code === 0 && failed === 0 ? 0 : 1;
  } finally {
    await embedded?.stop();
    if (dataDir) {
      await removeCluster(dataDir, SYSTEM_DIR);
      await rm(dataDir, { recursive: true, force: true });
    }
    for (const cluster of await relocatedClusters(SYSTEM_DIR)) {
      if (!relocatedBefore.has(cluster.home) && cluster.dataDir && !existsSync(cluster.dataDir)) await rm(cluster.home, { recursive: true, force: true });
    }
  }
}

process.exitCode = await main();
