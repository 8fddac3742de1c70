// Keeps MAX_CONNECTIONS inside the process's file-descriptor limit. A descriptor exhausted is worse than a refusal:
// accept() fails, the spool cannot open files, health checks cannot connect, and the log fills with EMFILE.
import { readFileSync } from 'node:fs';
import { ANSWERED_ABOVE_CAP } from './connection-limits.js';

// Descriptors the process needs besides connections: database sockets, worker threads' pipes, the log, libraries.
const RESERVED_DESCRIPTORS = 256;
// A connection that uploads holds its socket and its spool file.
const DESCRIPTORS_PER_CONNECTION = 2;

/** The soft limit on open files (Node raises it to the hard limit at start), or undefined where /proc is absent. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}

/** The most connections that fit the descriptor limit with every one uploading, or `wanted` when it fits. */
export function connectionsWithinLimit(wanted: number, limit = openFileLimit()): number {
  if (limit === undefined) return wanted;
  const fits = Math.floor((limit - RESERVED_DESCRIPTORS - ANSWERED_ABOVE_CAP(wanted)) / DESCRIPTORS_PER_CONNECTION);
  return Math.max(1, Math.min(wanted, fits));
}
