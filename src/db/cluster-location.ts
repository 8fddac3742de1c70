// Where the embedded cluster and its password live: DATA_DIR/postgres and DATA_DIR/postgres.password. Started by
// root, PostgreSQL runs as the postgres user; when that user cannot enter DATA_DIR (it lies under /root or a
// `mktemp -d` folder), the cluster moves to <systemDir>/clusters/<hash of DATA_DIR>/ and DATA_DIR/postgres becomes a
// link to it, so that a person looking in DATA_DIR still finds it.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readdir, readFile, readlink, realpath, rename, rm, rmdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import { EmbeddedPostgresError } from './embedded-postgres-error.js';
import { firstFolderClosedTo, userPasses, type RunAs } from './postgres-system-user.js';

export interface ClusterLocation {
  /** PostgreSQL's data directory (-D). */
  clusterDir: string;
  /** Holds the password of the `postgres` role; beside the cluster so that both survive together. */
  passwordFile: string;
}

const CLUSTER = 'postgres';
const PASSWORD = 'postgres.password';
// In each relocated cluster's folder: the DATA_DIR it belongs to, for a person (or a test) tidying up.
const ORIGIN = 'data-dir';

const clustersRoot = (systemDir: string) => path.join(systemDir, 'clusters');
const hasCluster = (clusterDir: string) => existsSync(path.join(clusterDir, 'PG_VERSION'));
const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);

/** The cluster folder DATA_DIR/postgres links to, when it is a link made by an earlier relocation. */
async function relocatedTarget(link: string, systemDir: string): Promise<string | undefined> {
  const target = await readlink(link).catch(() => undefined);
  if (target === undefined) return undefined;
  const absolute = path.resolve(path.dirname(link), target);
  return path.dirname(path.dirname(absolute)) === clustersRoot(systemDir) ? absolute : undefined;
}

/** `runAs`: the user PostgreSQL runs as when this process is root; undefined when it runs as this process's user. */
export async function locateCluster(dataDir: string, runAs: RunAs | undefined, systemDir: string, log: Logger): Promise<ClusterLocation> {
  await mkdir(dataDir, { recursive: true });
  const link = path.join(dataDir, CLUSTER);
  const relocated = await relocatedTarget(link, systemDir);
  if (relocated && existsSync(relocated)) {
    await checkOwner(relocated, runAs);
    if (runAs && !userPasses(runAs, '-O', relocated)) throw unreachable(runAs, relocated, `the cluster in ${relocated}`);
    return { clusterDir: relocated, passwordFile: path.join(path.dirname(relocated), PASSWORD) };
  }
  // Its relocated cluster is gone (someone tidied up): start afresh, wherever a new one belongs now.
  if (relocated) await rm(link, { force: true });
  const inPlace = { clusterDir: link, passwordFile: path.join(dataDir, PASSWORD) };
  await checkOwner(link, runAs);
  if (!runAs) return inPlace;
  if (userPasses(runAs, '-x', dataDir)) {
    if (!hasCluster(link)) await prepareClusterDir(link, runAs);
    return inPlace;
  }
  // An existing cluster stays where it is: moving someone's data is not ours to decide.
  if (hasCluster(link)) throw unreachable(runAs, dataDir, `the cluster in ${link}`);
  return relocate(dataDir, runAs, systemDir, log);
}

/** PostgreSQL only runs a cluster its own user owns; say so plainly instead of letting it fail on start. */
async function checkOwner(clusterDir: string, runAs: RunAs | undefined): Promise<void> {
  const expected = runAs?.uid ?? process.getuid?.();
  const stats = await stat(clusterDir).catch(() => undefined);
  if (expected === undefined || !stats || stats.uid === expected) return;
  if (runAs && !hasCluster(clusterDir)) {
    // An empty folder (made by hand, or left by a failed first start): root can hand it over.
    await prepareClusterDir(clusterDir, runAs);
    return;
  }
  const problem = runAs
    ? `not to the postgres user (uid ${expected}) that PostgreSQL runs as when the service is started by root; run the service as uid ${stats.uid}`
    : `not to uid ${expected} that this process runs as; run the service as the user that made it (root, if it belongs to the postgres user)`;
  throw new EmbeddedPostgresError(
    'cluster-of-another-user',
    `the PostgreSQL cluster in ${clusterDir} belongs to uid ${stats.uid}, ${problem}, point DATA_DIR elsewhere, or set DATABASE_URL`,
  );
}

/** Root only: an empty cluster folder initdb can fill, owned by the postgres user and closed to everyone else. */
async function prepareClusterDir(clusterDir: string, runAs: RunAs): Promise<void> {
  await mkdir(clusterDir, { recursive: true });
  await chown(clusterDir, runAs.uid, runAs.gid);
  await chmod(clusterDir, 0o700);
}

async function openFolder(dir: string, mode: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Explicit: root's umask may be 077, which would leave it closed to the postgres user.
  await chmod(dir, mode);
}

function unreachable(runAs: RunAs, dataDir: string, what: string): EmbeddedPostgresError {
  const closed = firstFolderClosedTo(runAs, dataDir) ?? dataDir;
  return new EmbeddedPostgresError(
    'data-dir-unreachable',
    `PostgreSQL runs as the postgres user when started by root, and that user cannot enter ${closed} to reach ${what}; ` +
      `make ${closed} enterable (chmod o+x), run the service as a normal user, or set DATABASE_URL`,
  );
}

async function relocate(dataDir: string, runAs: RunAs, systemDir: string, log: Logger): Promise<ClusterLocation> {
  const realDataDir = await realpath(dataDir);
  const home = path.join(clustersRoot(systemDir), createHash('sha256').update(realDataDir).digest('hex').slice(0, 16));
  const closed = firstFolderClosedTo(runAs, dataDir) ?? dataDir;
  const clusterDir = path.join(home, CLUSTER);
  try {
    await openFolder(systemDir, 0o755);
    // 0711: the postgres user passes through to its cluster; nobody lists whose clusters are here.
    await openFolder(clustersRoot(systemDir), 0o711);
    await openFolder(home, 0o711);
    await writeFile(path.join(home, ORIGIN), realDataDir + '\n');
    await prepareClusterDir(clusterDir, runAs);
  } catch (error) {
    throw new EmbeddedPostgresError(
      'data-dir-unreachable',
      `PostgreSQL runs as the postgres user when started by root, which cannot enter ${closed}, and ${home} could not be made ` +
        `to hold the cluster instead (${errorCode(error)}); set DATA_DIR to a folder that user can enter, run the service as a normal user, or set DATABASE_URL`,
      { cause: error },
    );
  }
  if (!userPasses(runAs, '-O', clusterDir)) throw unreachable(runAs, clusterDir, clusterDir);
  await linkFromDataDir(path.join(dataDir, CLUSTER), clusterDir);
  log.info(
    { dataDir, clusterDir },
    `the postgres user cannot enter ${closed}, so the embedded PostgreSQL cluster lives in ${clusterDir}; ${path.join(dataDir, CLUSTER)} links to it`,
  );
  return { clusterDir, passwordFile: path.join(home, PASSWORD) };
}

/** DATA_DIR/postgres → the relocated cluster, replacing an old link or an empty folder but never anything else. */
async function linkFromDataDir(link: string, clusterDir: string): Promise<void> {
  const existing = await lstat(link).catch(() => undefined);
  if (existing && !existing.isSymbolicLink()) {
    try {
      if (!existing.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
      await rmdir(link);
    } catch (error) {
      throw new EmbeddedPostgresError(
        'data-dir-unreachable',
        `${link} is in the way of a link to the relocated cluster in ${clusterDir} (${errorCode(error)}); remove it, or set DATABASE_URL`,
      );
    }
  }
  // Made aside and renamed over: two processes starting at once both end with a whole link.
  const temporary = `${link}.link-${process.pid}-${randomBytes(4).toString('hex')}`;
  await symlink(clusterDir, temporary);
  await rename(temporary, link);
}

/** Deletes DATA_DIR's cluster and password, relocated or not. Stop the server first. For tests and tidying up. */
export async function removeCluster(dataDir: string, systemDir: string): Promise<void> {
  const link = path.join(dataDir, CLUSTER);
  const relocated = await relocatedTarget(link, systemDir);
  if (relocated) await rm(path.dirname(relocated), { recursive: true, force: true });
  await rm(link, { recursive: true, force: true });
  await rm(path.join(dataDir, PASSWORD), { force: true });
}

/** The relocated clusters under systemDir, each with the DATA_DIR it was made for. */
export async function relocatedClusters(systemDir: string): Promise<{ home: string; dataDir: string | undefined }[]> {
  const root = clustersRoot(systemDir);
  const names = await readdir(root).catch(() => [] as string[]);
  return Promise.all(
    names.map(async (name) => {
      const home = path.join(root, name);
      const origin = await readFile(path.join(home, ORIGIN), 'utf8').catch(() => undefined);
      return { home, dataDir: origin?.trim() };
    }),
  );
}
