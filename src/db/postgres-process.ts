// Runs the PostgreSQL programs as child processes: initdb once per cluster, then the server, which is ready when it
// says so on stderr and is stopped with SIGINT (a fast shutdown: the cluster is left consistent).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import { EmbeddedPostgresError } from './embedded-postgres-error.js';
import type { PostgresBinaries } from './postgres-binaries.js';
import type { RunAs } from './postgres-system-user.js';

export interface RunningPostgres {
  /** Fast shutdown; resolves once the server has exited. */
  stop(): Promise<void>;
}

// Messages in English whatever the machine's locale, so that "ready to accept connections" can be recognised.
// Nothing else is passed on: PG* variables in the caller's environment must not change the embedded server.
const ENVIRONMENT = { LC_ALL: 'C', LC_MESSAGES: 'C' };
const READY = 'database system is ready to accept connections';
const TAIL_LINES = 8;

/** The last lines a program printed, for the message when it fails. */
class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';

  /** Adds a chunk; returns the complete lines it finished. */
  add(chunk: Buffer): string[] {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop() ?? '';
    const complete = parts.map((line) => line.trimEnd()).filter(Boolean);
    this.lines.push(...complete);
    this.lines.splice(0, Math.max(0, this.lines.length - TAIL_LINES));
    return complete;
  }

  /** One line, since it ends up in a one-line error message. */
  toString(): string {
    return [...this.lines, this.partial.trim()].filter(Boolean).join(' | ') || '(it printed nothing)';
  }
}

/**
 * Not detached: it stays in our process group, so whatever stops the group (Ctrl-C in a terminal, a kill of the
 * group) stops it too, rather than leaving it running with the cluster locked. The price: on Ctrl-C it shuts down
 * at once, while the service is still finishing in-flight requests.
 */
function spawnAs(file: string, args: string[], runAs: RunAs | undefined): ChildProcess {
  return spawn(file, args, {
    ...runAs,
    env: ENVIRONMENT,
    // The caller's working directory may be one the postgres user cannot enter.
    cwd: path.parse(file).root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Creates a cluster in clusterDir (an empty or missing folder) whose `postgres` role logs in with `password`. */
export async function initCluster(binaries: PostgresBinaries, clusterDir: string, password: string, runAs: RunAs | undefined, log: Logger): Promise<void> {
  // initdb reads the password from a file. This one sits beside the cluster, which the user running initdb can
  // reach, readable by that user alone, and goes as soon as initdb is done.
  const passwordFile = path.join(path.dirname(clusterDir), `.initdb-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, password + '\n', { mode: 0o600, flag: 'wx' });
  try {
    if (runAs) await chown(passwordFile, runAs.uid, runAs.gid);
    const child = spawnAs(
      binaries.initdb,
      [
        `--pgdata=${clusterDir}`,
        '--encoding=UTF8',
        '--no-locale',
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--no-instructions',
      ],
      runAs,
    );
    const tail = new OutputTail();
    const collect = (chunk: Buffer) => tail.add(chunk);
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const { code, error } = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, error }));
      child.once('close', (code) => resolve({ code }));
    });
    if (code !== 0) {
      throw new EmbeddedPostgresError(
        'initdb-failed',
        `initdb could not create the embedded PostgreSQL cluster in ${clusterDir} (${error ? errorText(error) : `exit code ${code}`}): ${tail}`,
        { cause: error },
      );
    }
  } finally {
    await rm(passwordFile, { force: true });
  }
  log.debug({ clusterDir }, 'initdb done');
}

function errorText(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.message;
}

export interface ServerOptions {
  clusterDir: string;
  port: number;
  runAs: RunAs | undefined;
  log: Logger;
}

/** Starts the server and resolves once it accepts connections; rejects with its last words if it exits first. */
export async function startServer(binaries: PostgresBinaries, { clusterDir, port, runAs, log }: ServerOptions): Promise<RunningPostgres> {
  const child = spawnAs(
    binaries.postgres,
    [
      '-D', clusterDir,
      '-p', String(port),
      // Only this process talks to it: no TCP beyond loopback, no Unix socket in a shared directory.
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      // Over a cluster's own setting (older clusters were made with the machine's locale), for READY below.
      '-c', 'lc_messages=C',
    ],
    runAs,
  );
  const tail = new OutputTail();
  let ready = false;
  let stopping = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const fail = (reason: string, error?: Error) =>
      reject(new EmbeddedPostgresError('start-failed', `the embedded PostgreSQL in ${clusterDir} did not start (${reason}): ${tail}`, { cause: error }));
    child.stdout!.on('data', (chunk: Buffer) => tail.add(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      for (const line of tail.add(chunk)) {
        log.debug({ postgres: line }, 'embedded postgres');
        if (!ready && line.includes(READY)) {
          ready = true;
          resolve();
        }
      }
    });
    // Every child gets an 'error' handler: without one, a failed spawn (EACCES, ENOENT) crashes the process.
    child.on('error', (error) => {
      if (!ready) fail(errorText(error), error);
      else log.error({ err: error }, 'embedded PostgreSQL: error from its process');
    });
    // 'close' rather than 'exit' before it is ready: its last words are read by then.
    child.once('close', (code, signal) => {
      if (!ready) fail(signal ? `killed by ${signal}` : `exit code ${code}`);
    });
    child.once('exit', (code, signal) => {
      if (ready && !stopping) log.error({ code, signal, lastOutput: String(tail) }, 'embedded PostgreSQL exited unexpectedly');
    });
  });

  // If the process ends without the shutdown routine (a crash, process.exit), still ask the server to stop: a fast
  // shutdown leaves the cluster consistent for the next start. PostgreSQL would outlive us otherwise.
  const killOnExit = () => child.kill('SIGINT');
  process.once('exit', killOnExit);
  return {
    async stop() {
      process.removeListener('exit', killOnExit);
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
  };
}

/** Whether a start failed because another program took the port between our probe and PostgreSQL's bind. */
export function portWasTaken(error: unknown): boolean {
  return error instanceof EmbeddedPostgresError && error.code === 'start-failed' && /Address already in use/.test(error.message);
}
