// Reading and removing records: one user's record and its MP3 bytes, a user's library, deletion.
import type { Sql } from '../db/connect.js';
import { deleteRecordOfUser, findRecordForUser, listRecordsOfUser, type RecordRow } from '../db/record-queries.js';
import type { DownloadReads } from './download-pieces.js';
import { notFound } from './errors.js';
import { decodeCursor, encodeCursor } from './record-cursor.js';

/** A record of another user is "not found" too: ids must not reveal what exists. */
export async function findRecord(sql: Sql, recordId: string, userId: string): Promise<RecordRow> {
  const record = await findRecordForUser(sql, recordId, userId);
  if (!record) throw notFound('the record');
  return record;
}

export interface RecordPage {
  records: RecordRow[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export async function listRecords(sql: Sql, userId: string, limit: number, cursor: string | undefined): Promise<RecordPage> {
  // One row more than asked tells whether another page exists without a count.
  const rows = await listRecordsOfUser(sql, userId, limit + 1, cursor === undefined ? undefined : decodeCursor(cursor));
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { records: page, nextCursor: rows.length > limit && last ? encodeCursor(last.pageKey) : null };
}

export async function deleteRecord(sql: Sql, reads: DownloadReads, recordId: string, userId: string): Promise<void> {
  if (!(await deleteRecordOfUser(sql, recordId, userId))) throw notFound('the record');
  reads.forget(recordId);
}
