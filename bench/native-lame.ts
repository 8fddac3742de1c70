// The reference the service is compared with: the native `lame` command, when the machine has it
// (bench/setup.sh installs it). Every benchmark still runs without it, minus the native column.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface NativeLameRun {
  wallSeconds: number;
  /** User + system CPU time of lame itself. */
  cpuSeconds: number;
}

/** The path of `lame` on the PATH, or undefined. */
export function findNativeLame(): string | undefined {
  const found = spawnSync('/bin/sh', ['-c', 'command -v lame'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : undefined;
}

/** "LAME 64bits version 3.100", the first line of `lame --version`. */
export function nativeLameVersion(lame: string): string {
  return spawnSync(lame, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.replace(/\s*\(http.*$/, '').trim() ?? 'unknown';
}

const SECONDS = /(\d+)m([\d.]+)s/g;
const toSeconds = (text: string) => [...text.matchAll(SECONDS)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);

// bash's `times` reports milliseconds (getrusage); a plain sh's may count 10 ms clock ticks.
const TIMING_SHELL = existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';

/**
 * `lame -b 128` from WAV file to MP3 file, as a person would run it (--silent only drops the progress display).
 * Node cannot see a child's CPU time, so a shell runs lame and reports it with `times`, whose second line is the
 * CPU time of the shell's finished children.
 */
export async function encodeWithNativeLame(lame: string, wavPath: string, mp3Path: string): Promise<NativeLameRun> {
  const started = performance.now();
  const child = spawn(TIMING_SHELL, ['-c', '"$1" -b 128 --silent "$2" "$3" && times', 'sh', lame, wavPath, mp3Path], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const wallSeconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`lame exited with ${code}: ${output}`);
  const childrenLine = output.trim().split('\n').at(-1) ?? '';
  return { wallSeconds, cpuSeconds: toSeconds(childrenLine) };
}
