import type { Sql } from './connect.js';

export interface RecordRow {
  id: string;
  userId: string;
  originalName: string;
  inputContainer: string;
  inputEncoding: string;
  inputBitsPerSample: number;
  inputSampleRate: number;
  inputChannels: number;
  durationSeconds: number;
  /** What the WAV header declared; more than durationSeconds when the file was cut short. */
  declaredDurationSeconds: number;
  sampleRate: number;
  channels: number;
  bitrateKbps: number | null;
  vbrQuality: number | null;
  encoder: string;
  byteSize: number;
  audioSha256: Buffer;
  chunkBytes: number;
  createdAt: Date;
}

export type NewRecord = Omit<RecordRow, 'createdAt'>;

const RECORD_COLUMNS = (sql: Sql) => sql`
  id, user_id as "userId", original_name as "originalName", input_container as "inputContainer",
  input_encoding as "inputEncoding", input_bits_per_sample as "inputBitsPerSample",
  input_sample_rate as "inputSampleRate", input_channels as "inputChannels", duration_seconds as "durationSeconds",
  coalesce(declared_duration_seconds, duration_seconds) as "declaredDurationSeconds",
  sample_rate as "sampleRate", channels, bitrate_kbps as "bitrateKbps", vbr_quality as "vbrQuality", encoder,
  byte_size::float8 as "byteSize", audio_sha256 as "audioSha256", chunk_bytes as "chunkBytes", created_at as "createdAt"`;

/**
 * postgres.js sends every parameter as text, a bytea as hex: twice its size, and a string that costs the event loop
 * about 6 ms per 256 KiB chunk to build and measure. Base64 is a third the work (and 1.33 times the size), and
 * PostgreSQL decodes it as cheaply.
 */
const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export async function insertRecordChunk(sql: Sql, recordId: string, seq: number, data: Uint8Array): Promise<void> {
  await sql`insert into record_chunks (record_id, seq, data) values (${recordId}, ${seq}, decode(${base64(data)}, 'base64'))`;
}

/** Replaces bytes inside a stored chunk, from byte `offset` (0-based) on. */
export async function overwriteRecordChunkBytes(sql: Sql, recordId: string, seq: number, offset: number, bytes: Uint8Array): Promise<void> {
  await sql`
    update record_chunks
    set data = overlay(data placing ${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)} from ${offset + 1})
    where record_id = ${recordId} and seq = ${seq}`;
}

export async function insertRecord(sql: Sql, record: NewRecord): Promise<RecordRow> {
  const [row] = await sql<RecordRow[]>`
    insert into records (
      id, user_id, original_name, input_container, input_encoding, input_bits_per_sample, input_sample_rate,
      input_channels, duration_seconds, declared_duration_seconds, sample_rate, channels, bitrate_kbps, vbr_quality, encoder, byte_size,
      audio_sha256, chunk_bytes
    ) values (
      ${record.id}, ${record.userId}, ${record.originalName}, ${record.inputContainer}, ${record.inputEncoding},
      ${record.inputBitsPerSample}, ${record.inputSampleRate}, ${record.inputChannels}, ${record.durationSeconds},
      ${record.declaredDurationSeconds}, ${record.sampleRate}, ${record.channels}, ${record.bitrateKbps}, ${record.vbrQuality}, ${record.encoder},
      ${record.byteSize}, ${record.audioSha256}, ${record.chunkBytes}
    )
    returning ${RECORD_COLUMNS(sql)}`;
  return row!;
}

export async function findRecordForUser(sql: Sql, recordId: string, userId: string): Promise<RecordRow | undefined> {
  const [row] = await sql<RecordRow[]>`
    select ${RECORD_COLUMNS(sql)} from records where id = ${recordId} and user_id = ${userId}`;
  return row;
}

/**
 * Bytes `offset`..`offset + length - 1` (0-based) of one stored chunk; undefined when the chunk does not exist.
 * PostgreSQL fetches just the slice of an uncompressed value a substring needs (the column's storage is external).
 */
export async function readRecordPiece(sql: Sql, recordId: string, seq: number, offset: number, length: number): Promise<Buffer | undefined> {
  const [row] = await sql<{ data: Buffer }[]>`
    select substring(data from ${offset + 1} for ${length}) as data from record_chunks where record_id = ${recordId} and seq = ${seq}`;
  return row?.data;
}

export interface RecordPageKey {
  /** created_at as PostgreSQL prints it: keeps the microseconds a JavaScript Date would lose. */
  createdAt: string;
  id: string;
}

/**
 * A user's records, newest first, after `after` when given (keyset pagination: stable under inserts). The key's time
 * goes in as text and is cast by PostgreSQL: a parameter typed timestamptz would be turned into a JavaScript Date by
 * postgres.js, which keeps milliseconds, and the records of the same millisecond after the key would be skipped.
 */
export async function listRecordsOfUser(
  sql: Sql,
  userId: string,
  limit: number,
  after: RecordPageKey | undefined,
): Promise<(RecordRow & { pageKey: RecordPageKey })[]> {
  const rows = await sql<(RecordRow & { createdAtKey: string })[]>`
    select ${RECORD_COLUMNS(sql)}, created_at::text as "createdAtKey"
    from records
    where user_id = ${userId}
      ${after ? sql`and (created_at, id) < (${after.createdAt}::text::timestamptz, ${after.id}::uuid)` : sql``}
    order by created_at desc, id desc
    limit ${limit}`;
  return rows.map(({ createdAtKey, ...row }) => ({ ...row, pageKey: { createdAt: createdAtKey, id: row.id } }));
}

/** Deletes the record and, by cascade, its MP3 bytes. Returns false when the user has no such record. */
export async function deleteRecordOfUser(sql: Sql, recordId: string, userId: string): Promise<boolean> {
  const result = await sql`delete from records where id = ${recordId} and user_id = ${userId}`;
  return result.count > 0;
}
