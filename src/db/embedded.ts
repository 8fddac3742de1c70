// Starts a real PostgreSQL from the binaries npm installed when no DATABASE_URL is given, so that
// `npm install && npm start` works on a machine with nothing but Node.js — as any user, root included.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../log.js';
import { locateCluster } from './cluster-location.js';
import { binariesRunnableBy, findPostgresBinaries } from './postgres-binaries.js';
import { initCluster, portWasTaken, startServer, type RunningPostgres } from './postgres-process.js';
import { postgresSystemUser, runningAsRoot } from './postgres-system-user.js';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Root only: where the postgres user gets what it cannot reach in a private folder — a copy of the binaries and the
 * clusters of such DATA_DIRs. Fixed, not a setting: every clone on the machine shares the one copy per version.
 */
export const SYSTEM_DIR = '/var/lib/wav2mp3';

// Another program may take a free port between our probe and PostgreSQL's bind; a new port is tried this often.
const PORT_ATTEMPTS = 3;

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

/**
 * The password of the cluster's `postgres` role, kept so that a restart on the same DATA_DIR can log in again.
 * Created exclusively: two processes making the same cluster at once end up with the same password.
 */
async function clusterPassword(file: string): Promise<string> {
  if (!existsSync(file)) {
    try {
      await writeFile(file, randomBytes(24).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return (await readFile(file, 'utf8')).trim();
}

/** `port`: a fixed port instead of a free one (a test that restarts the server under a running client). */
export async function startEmbeddedPostgres(dataDir: string, log: Logger, options: { port?: number } = {}): Promise<EmbeddedPostgres> {
  const installed = await findPostgresBinaries();
  // PostgreSQL refuses to run as root: then it runs as the postgres user, which must reach binaries and cluster.
  const runAs = runningAsRoot() ? await postgresSystemUser(log) : undefined;
  const binaries = runAs ? await binariesRunnableBy(runAs, installed, SYSTEM_DIR, log) : installed;
  const { clusterDir, passwordFile } = await locateCluster(path.resolve(dataDir), runAs, SYSTEM_DIR, log);
  const password = await clusterPassword(passwordFile);
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    log.info({ clusterDir }, 'initialising embedded PostgreSQL cluster');
    await initCluster(binaries, clusterDir, password, runAs, log);
  }

  let port = options.port ?? (await findFreePort());
  let server: RunningPostgres | undefined;
  for (let attempt = 1; !server; attempt++) {
    try {
      server = await startServer(binaries, { clusterDir, port, runAs, log });
    } catch (error) {
      if (options.port !== undefined || attempt >= PORT_ATTEMPTS || !portWasTaken(error)) throw error;
      port = await findFreePort();
    }
  }
  log.info({ port, clusterDir }, 'embedded PostgreSQL started');
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: server.stop,
  };
}
