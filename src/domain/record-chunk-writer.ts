// Collects MP3 bytes into fixed-size rows of record_chunks inside one transaction.
// The transaction starts with the first full chunk, not before, so that a queued upload holds no connection.
import type { ReservedSql } from 'postgres';
import type { Sql } from '../db/connect.js';
import { insertRecordChunk, overwriteRecordChunkBytes } from '../db/record-queries.js';

export const RECORD_CHUNK_BYTES = 256 * 1024;

export class RecordChunkWriter {
  readonly #sql: Sql;
  readonly #recordId: string;
  #reserved: ReservedSql | undefined;
  #pending = new Uint8Array(RECORD_CHUNK_BYTES);
  #pendingBytes = 0;
  #seq = 0;
  #bytes = 0;

  constructor(sql: Sql, recordId: string) {
    this.#sql = sql;
    this.#recordId = recordId;
  }

  get bytes() {
    return this.#bytes;
  }

  async write(data: Uint8Array): Promise<void> {
    this.#bytes += data.length;
    for (let offset = 0; offset < data.length; ) {
      const take = Math.min(data.length - offset, RECORD_CHUNK_BYTES - this.#pendingBytes);
      this.#pending.set(data.subarray(offset, offset + take), this.#pendingBytes);
      this.#pendingBytes += take;
      offset += take;
      if (this.#pendingBytes === RECORD_CHUNK_BYTES) await this.#flush();
    }
  }

  async #transaction(): Promise<ReservedSql> {
    if (!this.#reserved) {
      this.#reserved = await this.#sql.reserve();
      await this.#reserved`begin`;
    }
    return this.#reserved;
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const tx = await this.#transaction();
    await insertRecordChunk(tx, this.#recordId, this.#seq++, this.#pending.subarray(0, this.#pendingBytes));
    this.#pendingBytes = 0;
  }

  /** Overwrites bytes already written, at `offset` from the start of the file (the tag frame known at the end). */
  async patch(offset: number, bytes: Uint8Array): Promise<void> {
    if (offset < 0 || offset + bytes.length > this.#bytes) throw new RangeError('patch outside the bytes written');
    for (let done = 0; done < bytes.length; ) {
      const position = offset + done;
      const seq = Math.floor(position / RECORD_CHUNK_BYTES);
      const within = position % RECORD_CHUNK_BYTES;
      const part = bytes.subarray(done, done + Math.min(bytes.length - done, RECORD_CHUNK_BYTES - within));
      if (seq === this.#seq) {
        this.#pending.set(part, within);
      } else {
        await overwriteRecordChunkBytes(await this.#transaction(), this.#recordId, seq, within, part);
      }
      done += part.length;
    }
  }

  /** Writes what is left, runs `finish` (which inserts the record row) in the same transaction and commits. */
  async commit<T>(finish: (tx: Sql) => Promise<T>): Promise<T> {
    await this.#flush();
    const tx = await this.#transaction();
    try {
      const result = await finish(tx);
      await tx`commit`;
      this.#release();
      return result;
    } catch (error) {
      await this.abort();
      throw error;
    }
  }

  /** Undoes everything written so far. Safe to call in any state. */
  async abort(): Promise<void> {
    const tx = this.#reserved;
    if (!tx) return;
    try {
      await tx`rollback`;
    } catch {
      // The connection is gone; so is the transaction.
    } finally {
      this.#release();
    }
  }

  #release() {
    this.#reserved?.release();
    this.#reserved = undefined;
  }
}
