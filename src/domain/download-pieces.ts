// The MP3 bytes every download reads, a piece at a time, shared between downloads of the same record.
import { ConcurrencyLimit } from '../db/concurrency-limit.js';
import type { Sql } from '../db/connect.js';
import { readRecordPiece, type RecordRow } from '../db/record-queries.js';
import { EventLoopShare } from './event-loop-share.js';

// Bytes read per query. A download the client stopped reading holds the piece it was sent last until the minimum
// transfer rate drops it; small pieces keep that small. No piece is read ahead: one query takes well under a
// millisecond on a local database (64 KiB per ms is 500 Mbit/s for one download), and a piece read ahead for a client
// that stopped reading is memory held for nothing.
const PIECE_BYTES = 64 * 1024;

// Pieces kept after they were read, least recently used first out. Records never change once stored, so a piece
// read for one download serves every other download of that record. Without it, 500 clients fetching one URL and
// then not reading (issue 13's attack) made PostgreSQL read, hex-encode and this process decode the first ~4 MB of
// the record 500 times over while the kernel buffers filled: 2 GB of work that starved /healthz. 16 MiB covers those
// first megabytes of a few popular records and is a fixed cost next to the ~100 MB a loaded process uses.
const CACHE_BYTES = 16 * 1024 * 1024;

// Bytes handed to downloads in one event-loop turn. Each is written to its socket at once, so this bounds the turn:
// a megabyte is about a millisecond of copying, and a thousand turns a second is still a gigabyte a second.
const BYTES_PER_TURN = 64 * 1024;

/**
 * Reads of every download together: at most a third of the database connections at once (so that hundreds of
 * downloads cannot queue in front of a sign-up or a token check), a piece that several downloads want at the same
 * time read once, and recently read pieces kept.
 */
export class DownloadReads {
  readonly #limit: ConcurrencyLimit;
  readonly #turns = new EventLoopShare(BYTES_PER_TURN);
  readonly #pieces = new Map<string, Promise<Buffer>>();
  readonly #sizes = new Map<string, number>();
  #cachedBytes = 0;
  readonly stats = { reads: 0, shared: 0 };

  constructor(databaseConnections: number, readonly cacheBytes = CACHE_BYTES) {
    this.#limit = new ConcurrencyLimit(Math.max(2, Math.ceil(databaseConnections / 3)));
  }

  /** Bytes `offset`..`offset + length - 1` of chunk `seq` of the record. */
  async piece(sql: Sql, recordId: string, seq: number, offset: number, length: number): Promise<Buffer> {
    const data = await this.#read(sql, recordId, seq, offset, length);
    await this.#turns.take(length);
    return data;
  }

  #read(sql: Sql, recordId: string, seq: number, offset: number, length: number): Promise<Buffer> {
    const key = `${recordId}/${seq}/${offset}/${length}`;
    const known = this.#pieces.get(key);
    if (known) {
      this.stats.shared++;
      // Most recently used goes last, so eviction takes from the front.
      this.#pieces.delete(key);
      this.#pieces.set(key, known);
      return known;
    }
    this.stats.reads++;
    const read = this.#limit.run(() => readRecordPiece(sql, recordId, seq, offset, length)).then((data) => {
      if (!data || data.length !== length) throw new Error(`record ${recordId} has no bytes ${offset}..${offset + length - 1} in chunk ${seq}`);
      return data;
    });
    this.#pieces.set(key, read);
    read.then(
      () => this.#account(key, length),
      () => this.#pieces.delete(key), // a failed read is not remembered: the next download tries again
    );
    return read;
  }

  /** Drops the pieces of a record that no longer exists. */
  forget(recordId: string): void {
    for (const key of this.#pieces.keys()) {
      if (key.startsWith(`${recordId}/`)) this.#drop(key);
    }
  }

  #account(key: string, bytes: number): void {
    if (!this.#pieces.has(key) || this.#sizes.has(key)) return;
    this.#sizes.set(key, bytes);
    this.#cachedBytes += bytes;
    for (const oldest of this.#pieces.keys()) {
      if (this.#cachedBytes <= this.cacheBytes) break;
      // Reads still in flight have no size yet and stay: their waiters hold them anyway.
      if (this.#sizes.has(oldest)) this.#drop(oldest);
    }
  }

  #drop(key: string): void {
    this.#pieces.delete(key);
    this.#cachedBytes -= this.#sizes.get(key) ?? 0;
    this.#sizes.delete(key);
  }
}

/**
 * Bytes `start` to `end` (inclusive) of a record's MP3, as a sequence of buffers. Only the chunks that overlap the
 * range are read, a piece at a time when the consumer asks for it, so neither a whole file nor a whole chunk waits in
 * memory for a slow client.
 */
export async function* recordBytes(
  sql: Sql,
  reads: DownloadReads,
  record: Pick<RecordRow, 'id' | 'chunkBytes' | 'byteSize'>,
  start = 0,
  end = record.byteSize - 1,
): AsyncGenerator<Buffer> {
  for (let from = start; from <= end; ) {
    const seq = Math.floor(from / record.chunkBytes);
    const offset = from - seq * record.chunkBytes;
    // Pieces start on the PIECE_BYTES grid of their chunk, so that downloads from any position share them.
    const length = Math.min(PIECE_BYTES - (offset % PIECE_BYTES), record.chunkBytes - offset, end - from + 1);
    yield await reads.piece(sql, record.id, seq, offset, length);
    from += length;
  }
}
