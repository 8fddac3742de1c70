// PostgreSQL refuses to run as root. When the service is started as root, the embedded server runs as the `postgres`
// system user instead, created here if the machine has none; the checks below ask what that user can reach.
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';
import { EmbeddedPostgresError } from './embedded-postgres-error.js';

export interface RunAs {
  uid: number;
  gid: number;
}

const run = promisify(execFile);
// Fixed rather than inherited: root's PATH under `su` or `sudo` often lacks the sbin folders where useradd lives.
const SYSTEM_PATH = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
const USER = 'postgres';

// Tried in order until the user exists; each step of an attempt must succeed for the next to run.
const CREATE_ATTEMPTS: string[][][] = [
  // shadow-utils (Debian, Ubuntu, Fedora, RHEL, Arch).
  [['useradd', '--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]],
  // A `postgres` group exists already (useradd --user-group refuses then); -f makes groupadd succeed if it does.
  [
    ['groupadd', '--system', '-f', USER],
    ['useradd', '--system', '--gid', USER, '--no-create-home', '--shell', '/usr/sbin/nologin', USER],
  ],
  // BusyBox (Alpine).
  [
    ['addgroup', '-S', USER],
    ['adduser', '-S', '-D', '-H', '-G', USER, '-s', '/sbin/nologin', USER],
  ],
  [['adduser', '-S', '-D', '-H', '-G', USER, '-s', '/sbin/nologin', USER]],
];

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

async function lookUp(): Promise<RunAs | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', USER], { env: SYSTEM_PATH }), run('id', ['-g', USER], { env: SYSTEM_PATH })]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
}

function firstLine(error: unknown): string {
  const { stderr, message } = error as { stderr?: string; message?: string };
  return (stderr?.trim() || message || String(error)).split('\n')[0]!.trim();
}

/** The `postgres` user's ids, after creating the user when there is none. Root only. */
export async function postgresSystemUser(log: Logger): Promise<RunAs> {
  const existing = await lookUp();
  if (existing) return existing;
  // The first failure of a tool that exists says most (a missing useradd only means: try the next tool).
  let failure: string | undefined;
  for (const attempt of CREATE_ATTEMPTS) {
    try {
      for (const [command, ...args] of attempt) await run(command!, args, { env: SYSTEM_PATH });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') failure ??= firstLine(error);
    }
    // Checked after failures too: another process starting at the same moment may have created it.
    const created = await lookUp();
    if (created) {
      log.info({ user: USER, uid: created.uid }, `created the system user "${USER}" to run the embedded PostgreSQL (it refuses to run as root)`);
      return created;
    }
  }
  throw new EmbeddedPostgresError(
    'no-postgres-user',
    `PostgreSQL refuses to run as root, and creating a "${USER}" system user to run it as failed (${failure ?? 'neither useradd nor adduser was found'}); ` +
      `create that user, run the service as a normal user, or set DATABASE_URL`,
  );
}

/** Runs `test <args>` as the user: whether it can see, enter or own a path (every folder above included). */
export function userPasses(runAs: RunAs, ...testArgs: string[]): boolean {
  // cwd "/": the caller's working directory may be one the user cannot enter.
  const result = spawnSync('/bin/sh', ['-c', 'test "$@"', 'sh', ...testArgs], { ...runAs, cwd: '/', env: SYSTEM_PATH, stdio: 'ignore' });
  return result.status === 0;
}

/** Whether the user can run a program (its folders, the file and the libraries it loads): `<file> --version`. */
export function userCanRun(runAs: RunAs, file: string): boolean {
  const result = spawnSync(file, ['--version'], { ...runAs, cwd: '/', env: {}, stdio: 'ignore', timeout: 30_000 });
  return result.status === 0;
}

/** The outermost folder on the way to `dir` that the user cannot enter, for messages that name the culprit. */
export function firstFolderClosedTo(runAs: RunAs, dir: string): string | undefined {
  const folders: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    folders.unshift(current);
    if (path.dirname(current) === current) break;
  }
  return folders.find((folder) => !userPasses(runAs, '-x', folder));
}
