// Reading records back: one user's record, and its MP3 as a stream of chunks.
import type { Sql } from '../db/connect.js';
import { findRecordForUser, readRecordChunks, type RecordRow } from '../db/record-queries.js';
import { notFound } from './errors.js';

export interface RecordDownload {
  record: RecordRow;
  chunks: AsyncIterable<Buffer>;
}

/** A record of another user is "not found" too: ids must not reveal what exists. */
export async function openRecordDownload(sql: Sql, recordId: string, userId: string): Promise<RecordDownload> {
  const record = await findRecordForUser(sql, recordId, userId);
  if (!record) throw notFound('the record');
  return { record, chunks: readRecordChunks(sql, recordId) };
}
