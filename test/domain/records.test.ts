// Reading and removing records (src/domain/records.ts) with plain calls against the real database: a record of
// another user is not found, a library page by page with the cursor of its last record, and deletion, which also
// drops the record's cached download pieces. test/records.test.ts and test/library.test.ts drive the same over HTTP.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import * as assert from 'uvu/assert';
import { migrate } from '../../src/db/migrate.js';
import { DownloadReads } from '../../src/domain/download-pieces.js';
import { decodeCursor } from '../../src/domain/record-cursor.js';
import { deleteRecord, findRecord, listRecords } from '../../src/domain/records.js';
import { createUser } from '../../src/domain/users.js';
import { seedLargeRecord } from '../support/seed-record.js';
import { refusal } from '../support/domain-refusal.js';
import { test } from '../support/suite.js';
import { testDatabaseUrl } from '../support/test-service.js';

const sql = postgres(testDatabaseUrl(), { max: 4, onnotice: () => {} });
const created: string[] = [];

test.before(async () => {
  await migrate(sql);
});
// Records go with their users (on delete cascade).
test.after(async () => {
  await sql`delete from users where id = any(${created}::uuid[])`;
  await sql.end({ timeout: 5 });
});

async function newUser(): Promise<string> {
  const user = await createUser(sql, 'records');
  created.push(user.id);
  return user.id;
}

/** A user with `count` records of 1 KiB each; their ids newest first, as a library lists them. */
async function userWithRecords(count: number): Promise<{ userId: string; newestFirst: string[] }> {
  const userId = await newUser();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await seedLargeRecord(sql, userId, 1024)).id);
  const rows = await sql<{ id: string }[]>`select id from records where user_id = ${userId} order by created_at desc, id desc`;
  return { userId, newestFirst: rows.map((row) => row.id) };
}


test('when the owner asks for a record, then it is found; another user, or an id that does not exist, gets not-found', async () => {
  const { userId, newestFirst } = await userWithRecords(1);
  const id = newestFirst[0]!;
  const record = await findRecord(sql, id, userId);
  assert.is(record.id, id);
  assert.is(record.userId, userId);
  assert.is(record.byteSize, 1024);
  const other = await newUser();
  for (const [recordId, user] of [
    [id, other],
    [randomUUID(), userId],
  ] as const) {
    const error = await refusal(() => findRecord(sql, recordId, user));
    assert.is(error.code, 'not-found');
    assert.is(error.message, 'the record was not found');
  }
});

test('when a library is read page by page, then every record comes once, newest first, and the last page has no cursor', async () => {
  const { userId, newestFirst } = await userWithRecords(5);
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await listRecords(sql, userId, 2, cursor);
    pages++;
    assert.ok(page.records.length <= 2, 'no page holds more than the limit');
    seen.push(...page.records.map((record) => record.id));
    if (page.nextCursor !== null) {
      // The cursor names the last record shown.
      assert.equal(decodeCursor(page.nextCursor).id, page.records.at(-1)!.id);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && pages < 10);
  assert.is(pages, 3);
  assert.equal(seen, newestFirst);
});

test('when records were created within one millisecond, then paging by their cursors still shows each once, in order', async () => {
  // Parallel uploads of one user can commit in the same millisecond; their order is kept to the microsecond, and so
  // must be the cursor (a JavaScript Date, and a driver that turns the key into one, would cut it to milliseconds).
  const { userId } = await userWithRecords(4);
  await sql`
    update records set created_at = '2026-12-01 12:00:00.000100+00'::timestamptz + (n * interval '1 microsecond')
    from (select id as row_id, row_number() over (order by id) as n from records where user_id = ${userId}) numbered
    where id = numbered.row_id`;
  const newestFirst = (await sql<{ id: string }[]>`select id from records where user_id = ${userId} order by created_at desc, id desc`).map(
    (row) => row.id,
  );
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const page = await listRecords(sql, userId, 1, cursor);
    seen.push(...page.records.map((record) => record.id));
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  assert.equal(seen, newestFirst);
});

test('when a page holds exactly the records left, then it has no cursor; one fewer, and its cursor names its last record', async () => {
  const { userId, newestFirst } = await userWithRecords(4);
  const ids = (page: { records: { id: string }[] }) => page.records.map((record) => record.id);
  const whole = await listRecords(sql, userId, 4, undefined);
  assert.equal(ids(whole), newestFirst);
  assert.is(whole.nextCursor, null);
  const first = await listRecords(sql, userId, 3, undefined);
  assert.equal(ids(first), newestFirst.slice(0, 3));
  assert.is.not(first.nextCursor, null);
  assert.is(decodeCursor(first.nextCursor!).id, newestFirst[2]);
  const rest = await listRecords(sql, userId, 3, first.nextCursor!);
  assert.equal(ids(rest), newestFirst.slice(3));
  assert.is(rest.nextCursor, null);
  const one = await listRecords(sql, userId, 1, undefined);
  assert.equal(ids(one), newestFirst.slice(0, 1));
  assert.is(decodeCursor(one.nextCursor!).id, newestFirst[0]);
});

test('when a user has no records, then the page is empty and has no cursor', async () => {
  const userId = await newUser();
  assert.equal(await listRecords(sql, userId, 10, undefined), { records: [], nextCursor: null });
});

test('when a forged cursor is passed, then it is refused as a validation failure, not sent to the database', async () => {
  const { userId } = await userWithRecords(1);
  const error = await refusal(() => listRecords(sql, userId, 10, 'not a cursor'));
  assert.is(error.code, 'validation-failed');
});

test('when a record is deleted, then it is gone, its cached pieces are dropped, and a second delete is not-found', async () => {
  const { userId, newestFirst } = await userWithRecords(1);
  const id = newestFirst[0]!;
  const reads = new DownloadReads(10);
  await reads.piece(sql, id, 0, 0, 1024);
  await deleteRecord(sql, reads, id, userId);
  assert.is((await refusal(() => findRecord(sql, id, userId))).code, 'not-found');
  // Served from the cache, the piece would outlive its record; forgotten, it is read again and is not there.
  try {
    await reads.piece(sql, id, 0, 0, 1024);
    assert.unreachable('a deleted record still had its bytes served');
  } catch (error) {
    assert.match((error as Error).message, `record ${id} has no bytes 0..1023 in chunk 0`);
  }
  const again = await refusal(() => deleteRecord(sql, reads, id, userId));
  assert.is(again.code, 'not-found');
  assert.is(again.message, 'the record was not found');
});

test('when another user deletes a record, then it is not-found and the record stays', async () => {
  const { userId, newestFirst } = await userWithRecords(1);
  const id = newestFirst[0]!;
  const other = await newUser();
  const error = await refusal(() => deleteRecord(sql, new DownloadReads(10), id, other));
  assert.is(error.code, 'not-found');
  assert.is((await findRecord(sql, id, userId)).id, id);
});

test.run();
