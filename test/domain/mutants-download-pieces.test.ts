// What the piece cache of downloads (src/domain/download-pieces.ts) promises beyond the bytes, where StrykerJS showed
// test/domain/download-pieces blind: which piece leaves a full cache, the cache's exact size, forgetting one record
// only (also while a piece of it is being read), the bytes handed out per turn, and a piece the database holds fewer
// bytes of. Against the real database, with seeded records.
import postgres from 'postgres';
import * as assert from 'uvu/assert';
import { migrate } from '../../src/db/migrate.js';
import { DownloadReads } from '../../src/domain/download-pieces.js';
import { createUser } from '../../src/domain/users.js';
import { seedLargeRecord } from '../support/seed-record.js';
import { test } from '../support/suite.js';
import { countTurns } from '../support/turn-counter.js';
import { testDatabaseUrl } from '../support/test-service.js';

const sql = postgres(testDatabaseUrl(), { max: 4, onnotice: () => {} });
const PIECE = 64 * 1024;
const created: string[] = [];

test.before(async () => {
  await migrate(sql);
});
// Records go with their users (on delete cascade).
test.after(async () => {
  await sql`delete from users where id = any(${created}::uuid[])`;
  await sql.end({ timeout: 5 });
});

async function seeded(bytes: number): Promise<string> {
  const user = await createUser(sql, 'pieces');
  created.push(user.id);
  return (await seedLargeRecord(sql, user.id, bytes)).id;
}

test('when a full cache takes a new piece, then the least recently used one leaves, not the first read', async () => {
  const record = await seeded(3 * PIECE);
  // Room for exactly two pieces.
  const reads = new DownloadReads(10, 2 * PIECE);
  const piece = (n: number) => reads.piece(sql, record, 0, n * PIECE, PIECE);
  await piece(0);
  await piece(1);
  await piece(0);
  await piece(1);
  assert.equal(reads.stats, { reads: 2, shared: 2 }, 'two pieces fill the cache without overflowing it');
  await piece(0); // piece 1 is now the least recently used
  await piece(2);
  await piece(0);
  assert.equal(reads.stats, { reads: 3, shared: 4 }, 'piece 0, used last, stayed');
  await piece(1);
  assert.equal(reads.stats, { reads: 4, shared: 4 }, 'piece 1 left');
});

test('when one record is forgotten, then the cached pieces of others stay', async () => {
  const [first, second] = [await seeded(PIECE), await seeded(PIECE)];
  const reads = new DownloadReads(10);
  for (const record of [first, second]) await reads.piece(sql, record, 0, 0, PIECE);
  reads.forget(first);
  await reads.piece(sql, second, 0, 0, PIECE);
  assert.equal(reads.stats, { reads: 2, shared: 1 });
  await reads.piece(sql, first, 0, 0, PIECE);
  assert.equal(reads.stats, { reads: 3, shared: 1 });
});

test('when a record is forgotten while a piece of it is being read, then that piece takes no room in the cache', async () => {
  const [gone, kept] = [await seeded(PIECE), await seeded(2 * PIECE)];
  const reads = new DownloadReads(10, 2 * PIECE);
  const inFlight = reads.piece(sql, gone, 0, 0, PIECE);
  reads.forget(gone);
  await inFlight;
  for (const n of [0, 1, 0, 1]) await reads.piece(sql, kept, 0, n * PIECE, PIECE);
  assert.equal(reads.stats, { reads: 3, shared: 2 }, 'both pieces of the other record fit the cache');
});

test('when pieces are handed out, then 64 KiB of them go per event-loop turn', async () => {
  const record = await seeded(3 * 32 * 1024);
  const reads = new DownloadReads(10);
  const pieces = [0, 1, 2].map((n) => () => reads.piece(sql, record, 0, n * 32 * 1024, 32 * 1024));
  await Promise.all(pieces.map((piece) => piece())); // cached now: no read stands between the calls and the turns
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  const counter = countTurns();
  const turns = await Promise.all(pieces.map((piece) => piece().then(() => counter.turn)));
  counter.stop();
  assert.equal(turns, [0, 0, 1]);
});

test('when the database holds fewer bytes of a chunk than asked, then the piece fails with the range', async () => {
  const record = await seeded(1000);
  const reads = new DownloadReads(10);
  try {
    await reads.piece(sql, record, 0, 500, 600);
    assert.unreachable('a piece of 500 bytes was served for 600');
  } catch (error) {
    assert.is((error as Error).message, `record ${record} has no bytes 500..1099 in chunk 0`);
  }
  assert.is((await reads.piece(sql, record, 0, 500, 500)).length, 500);
});

test.run();
