// Downloads share the pieces they read: against the real database, with records written by the service's chunk writer.
import postgres from 'postgres';
import { test } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { migrate } from '../../src/db/migrate.js';
import { createUser } from '../../src/domain/users.js';
import { DownloadReads, recordBytes } from '../../src/domain/download-pieces.js';
import { deleteRecord } from '../../src/domain/records.js';
import { RECORD_CHUNK_BYTES } from '../../src/domain/record-chunk-writer.js';
import { seedLargeRecord } from '../support/seed-record.js';
import { testDatabaseUrl } from '../support/test-service.js';

const sql = postgres(testDatabaseUrl(), { max: 4, onnotice: () => {} });
const PIECE = 64 * 1024;
const BYTES = 2 * RECORD_CHUNK_BYTES + 12_345; // two whole chunks and a short last one

async function collect(pieces: AsyncIterable<Buffer>): Promise<Buffer> {
  const all: Buffer[] = [];
  for await (const piece of pieces) all.push(piece);
  return Buffer.concat(all);
}

async function storedBytes(recordId: string): Promise<Buffer> {
  const rows = await sql<{ data: Buffer }[]>`select data from record_chunks where record_id = ${recordId} order by seq`;
  return Buffer.concat(rows.map((r) => r.data));
}

test.before(async () => {
  await migrate(sql);
});
test.after(() => sql.end({ timeout: 5 }));

test('when two downloads of one record run at once, then each gets every byte and the database is read once per piece', async () => {
  const user = await createUser(sql, 'pieces');
  const record = await seedLargeRecord(sql, user.id, BYTES);
  try {
    const row = { id: record.id, chunkBytes: RECORD_CHUNK_BYTES, byteSize: record.bytes };
    const reads = new DownloadReads(10);
    const [a, b] = await Promise.all([collect(recordBytes(sql, reads, row)), collect(recordBytes(sql, reads, row))]);
    const stored = await storedBytes(record.id);
    assert.ok(a.equals(stored) && b.equals(stored), 'both downloads are the stored bytes');
    const pieces = 2 * (RECORD_CHUNK_BYTES / PIECE) + 1;
    assert.equal(reads.stats, { reads: pieces, shared: pieces });

    // A later download, from a position off the piece grid, reads nothing again: its first piece ends on the grid.
    const from = RECORD_CHUNK_BYTES + 1000;
    const tail = await collect(recordBytes(sql, reads, row, from, row.byteSize - 1));
    assert.ok(tail.equals(stored.subarray(from)), 'a range is the stored bytes');
    assert.is(reads.stats.reads, pieces + 1, 'only the first, shorter piece of the range is read');
  } finally {
    await record.remove();
  }
});

test('when the pieces read exceed the cache, then the oldest are read again and the bytes stay right', async () => {
  const user = await createUser(sql, 'small cache');
  const record = await seedLargeRecord(sql, user.id, BYTES);
  try {
    const row = { id: record.id, chunkBytes: RECORD_CHUNK_BYTES, byteSize: record.bytes };
    const reads = new DownloadReads(10, 2 * PIECE);
    const first = await collect(recordBytes(sql, reads, row));
    const second = await collect(recordBytes(sql, reads, row));
    const stored = await storedBytes(record.id);
    assert.ok(first.equals(stored) && second.equals(stored));
    const pieces = 2 * (RECORD_CHUNK_BYTES / PIECE) + 1;
    assert.is(reads.stats.reads, 2 * pieces, 'a two-piece cache keeps none of a nine-piece file from one pass to the next');
  } finally {
    await record.remove();
  }
});

test('when a record is deleted, then its cached pieces are gone with it and a download of it fails', async () => {
  const user = await createUser(sql, 'deleted');
  const record = await seedLargeRecord(sql, user.id, PIECE);
  const row = { id: record.id, chunkBytes: RECORD_CHUNK_BYTES, byteSize: record.bytes };
  const reads = new DownloadReads(10);
  await collect(recordBytes(sql, reads, row));
  await deleteRecord(sql, reads, record.id, user.id);
  try {
    await collect(recordBytes(sql, reads, row));
    assert.unreachable('a deleted record was served from memory');
  } catch (error) {
    assert.match((error as Error).message, `record ${record.id} has no bytes`);
  }
  assert.is(reads.stats.reads, 2, 'the piece was read again after the deletion');
  // A failed read is not remembered either: the next download asks the database again.
  await collect(recordBytes(sql, reads, row)).catch(() => {});
  assert.is(reads.stats.reads, 3);
});

test.run();
