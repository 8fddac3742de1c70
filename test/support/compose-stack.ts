// The project's real Docker Compose stack, driven the way a person drives it: a fresh copy of the repository's files
// (what `git clone` gives: tracked files only, no .env, no node_modules), then `make up`, `make down`, `make clean`
// and plain `docker compose` commands in it. Each stack gets its own compose project name, so a smoke run never
// touches the wav2mp3 stack (or database volume) of the person running it.
//
// COMPOSE_OVERRIDES: extra compose files (colon-separated, relative to the repository) layered on every stack, for
// machines that need them — CI uses ../shared/docker/build-on-host-network.yml; a normal machine needs none.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));

export interface CommandResult {
  code: number | null;
  /** stdout and stderr interleaved, as a terminal shows them. */
  output: string;
  stdout: string;
}

/** Runs a command to its end; never throws on exit codes. */
export function runCommand(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => resolve({ code: null, output: output + String(error), stdout }));
    child.on('close', (code) => resolve({ code, output, stdout }));
    child.stdin.end(options.input ?? '');
  });
}

/** A copy of the repository's tracked files as they are in the working tree, like a fresh clone of this state. */
async function freshCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-compose-'));
  const files = await new Promise<string>((resolve, reject) =>
    execFile('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPOSITORY, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    ),
  );
  const list = files.split('\0').filter(Boolean);
  const listFile = path.join(dir, '.files');
  await writeFile(listFile, list.join('\0'));
  const copy = await runCommand('sh', ['-c', 'mkdir "$3" && tar -C "$1" --null -T "$2" -cf - | tar -C "$3" -xf -', 'sh', REPOSITORY, listFile, path.join(dir, 'repo')]);
  if (copy.code !== 0) throw new Error(`copying the repository failed: ${copy.output}`);
  await rm(listFile);
  return path.join(dir, 'repo');
}

export interface ComposeStack {
  /** The fresh copy the stack runs from. */
  dir: string;
  project: string;
  /** `make <args>` in the copy (REPLICAS=3 adds the scale file itself). */
  make(...args: string[]): Promise<CommandResult>;
  /** `docker compose <args>` in the copy, with the stack's files. */
  compose(...args: string[]): Promise<CommandResult>;
  /** Stops the stack and deletes its containers, network and volume, whatever state it is in. */
  destroy(): Promise<void>;
}

/** `scaled`: direct compose commands include docker-compose.scale.yml (the proxy and the replicas). */
export async function composeStack(name: string, options: { scaled?: boolean; env?: Record<string, string> } = {}): Promise<ComposeStack> {
  const dir = await freshCopy();
  const project = `wav2mp3-smoke-${name}`;
  const overrides = (process.env.COMPOSE_OVERRIDES ?? '')
    .split(':')
    .filter(Boolean)
    .map((file) => path.resolve(REPOSITORY, file));
  const files = ['docker-compose.yml', ...(options.scaled ? ['docker-compose.scale.yml'] : []), ...overrides];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    COMPOSE_PROJECT_NAME: project,
    COMPOSE_FILE: files.join(':'),
    ...options.env,
  };
  const stack: ComposeStack = {
    dir: dir,
    project,
    make: (...args) => runCommand('make', args, { cwd: dir, env }),
    compose: (...args) => runCommand('docker', ['compose', ...args], { cwd: dir, env }),
    async destroy() {
      await stack.compose('down', '--volumes', '--remove-orphans', '--rmi', 'local', '--timeout', '5');
      await rm(path.dirname(dir), { recursive: true, force: true });
    },
  };
  return stack;
}

/** The URL `make up` printed ("wav2mp3 is up: http://localhost:8000"), for a client on this machine. */
export function printedUrl(output: string): string {
  const match = /wav2mp3 is up: (http:\/\/\S+)/.exec(output);
  if (!match) throw new Error(`make up printed no URL:\n${output}`);
  return match[1]!;
}
