// Encoding is batch work: a request to the event loop (a health check, a download, the next upload's bytes) should
// never wait behind it for a core. On Linux every thread has its own nice value, so a conversion thread lowers its
// own; it still takes every cycle nothing else wants, so conversions are no slower on an otherwise idle machine.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The nice value of conversion threads: the event loop and the database run at the process's own (0). */
export const CONVERSION_THREAD_NICENESS = 10;

/** This thread's id on Linux (/proc/thread-self names it), or undefined elsewhere. */
function linuxThreadId(): number | undefined {
  try {
    const id = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lowers the calling thread's scheduling priority to CONVERSION_THREAD_NICENESS (never raises it: a process started
 * with a higher nice keeps it). Where threads have no priority of their own (not Linux), nothing changes.
 */
export function lowerThisThreadPriority(): void {
  const thread = linuxThreadId();
  if (thread === undefined) return;
  try {
    if (getPriority(thread) < CONVERSION_THREAD_NICENESS) setPriority(thread, CONVERSION_THREAD_NICENESS);
  } catch {
    // A sandbox that forbids it leaves the thread at the process's priority: slower answers under load, nothing worse.
  }
}
