// How much the upload spool may hold at once. Each authenticated upload reserves its declared size before its first
// byte is written, and gives it back when its file is removed; an upload that would take the spool past its cap, or
// leave its file system with less free space than the floor, is refused with 503 before it writes anything. The spool
// shares DATA_DIR with the embedded database: a disk filled by uploads would stop PostgreSQL.
import { statfs } from 'node:fs/promises';
import { HttpProblem } from './errors.js';

export interface SpoolBudgetLimits {
  dir: string;
  /** Bytes all uploads in progress may reserve together. */
  maxBytes: number;
  /** Free bytes the spool's file system must keep. */
  minFreeBytes: number;
}

// Uploads in progress take a while to finish: a minute of a fast upload, or its conversion.
const RETRY_AFTER_SECONDS = '30';

export interface SpoolReservation {
  /** The reserved bytes this upload has written so far (they now show in the file system's free space). */
  written(bytes: number): void;
  /** Gives the reservation back (once). */
  release(): void;
}

export class SpoolBudget {
  #reserved = 0;
  // Reserved bytes not yet on disk: the free space statfs reports does not know about them yet.
  #unwritten = 0;

  constructor(readonly limits: SpoolBudgetLimits) {}

  get reservedBytes(): number {
    return this.#reserved;
  }

  /** Reserves `bytes` or throws a 503 problem naming the limit that would be passed. */
  async reserve(bytes: number): Promise<SpoolReservation> {
    if (this.#reserved + bytes > this.limits.maxBytes) {
      throw new HttpProblem(503, 'upload-spool-full', 'Too many uploads in progress', 'the uploads in progress fill the space set aside for them; retry shortly', {
        'Retry-After': RETRY_AFTER_SECONDS,
      });
    }
    // Claimed before the await, so uploads are served in the order they asked and one checking the disk meanwhile
    // counts this one's bytes as unwritten; given back if the disk says no.
    this.#reserved += bytes;
    this.#unwritten += bytes;
    try {
      const disk = await statfs(this.limits.dir);
      if (disk.bavail * disk.bsize - this.#unwritten < this.limits.minFreeBytes) {
        throw new HttpProblem(503, 'low-disk-space', 'Not enough disk space', 'the server is short of disk space for uploads; retry later', {
          'Retry-After': RETRY_AFTER_SECONDS,
        });
      }
    } catch (error) {
      this.#reserved -= bytes;
      this.#unwritten -= bytes;
      throw error;
    }
    let unwritten = bytes;
    let released = false;
    return {
      written: (n) => {
        const counted = Math.min(n, unwritten);
        unwritten -= counted;
        this.#unwritten -= counted;
      },
      release: () => {
        if (released) return;
        released = true;
        this.#reserved -= bytes;
        this.#unwritten -= unwritten;
      },
    };
  }
}
