// A large record written straight into the database with the service's own chunk writer: downloads of tens of
// megabytes without converting an hour of audio first. The bytes are random, not MP3; downloads do not look inside.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Sql } from '../../src/db/connect.js';
import { insertRecord } from '../../src/db/record-queries.js';
import { RECORD_CHUNK_BYTES, RecordChunkWriter } from '../../src/domain/record-chunk-writer.js';

/** The record, and `remove()` to delete it again: tens of megabytes left in the shared test database slow every later dump. */
export async function seedLargeRecord(sql: Sql, userId: string, bytes: number): Promise<{ id: string; bytes: number; remove(): Promise<void> }> {
  const id = randomUUID();
  const writer = new RecordChunkWriter(sql, id);
  for (let written = 0; written < bytes; written += 1024 * 1024) await writer.write(randomBytes(Math.min(1024 * 1024, bytes - written)));
  await writer.commit((tx) =>
    insertRecord(tx, {
      id,
      userId,
      originalName: 'seeded.wav',
      inputContainer: 'RIFF',
      inputEncoding: 'pcm',
      inputBitsPerSample: 16,
      inputSampleRate: 44100,
      inputChannels: 2,
      durationSeconds: bytes / 16_000,
      declaredDurationSeconds: bytes / 16_000,
      sampleRate: 44100,
      channels: 2,
      bitrateKbps: 128,
      vbrQuality: null,
      encoder: 'wasm',
      byteSize: writer.bytes,
      audioSha256: randomBytes(32),
      chunkBytes: RECORD_CHUNK_BYTES,
    }),
  );
  return {
    id,
    bytes: writer.bytes,
    async remove() {
      await sql`delete from records where id = ${id}`;
    },
  };
}
