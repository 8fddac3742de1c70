// The storage quota's checks (src/domain/storage-quota.ts) against the real database, without the HTTP layer: what is
// left before an upload, the check at commit, their refusals with the numbers, and a quota of 0 meaning no limit.
// test/user-lifecycle.test.ts drives the same through the service.
import postgres from 'postgres';
import * as assert from 'uvu/assert';
import type { Sql } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { ensureRoomAtCommit, storageLeft, storageUse } from '../../src/domain/storage-quota.js';
import { createUser } from '../../src/domain/users.js';
import { seedLargeRecord } from '../support/seed-record.js';
import { refusal } from '../support/domain-refusal.js';
import { test } from '../support/suite.js';
import { testDatabaseUrl } from '../support/test-service.js';

const sql = postgres(testDatabaseUrl(), { max: 4, onnotice: () => {} });

test.before(async () => {
  await migrate(sql);
});
// Their records go with them (on delete cascade): a shared test database should not keep them.
const created: string[] = [];
test.after(async () => {
  await sql`delete from users where id = any(${created}::uuid[])`;
  await sql.end({ timeout: 5 });
});

/** A new user who stores one record of `bytes` bytes (none for 0). */
async function userStoring(bytes: number): Promise<string> {
  const user = await createUser(sql, 'quota');
  created.push(user.id);
  if (bytes > 0) await seedLargeRecord(sql, user.id, bytes);
  return user.id;
}


const commit = (userId: string, newBytes: number, maxBytesPerUser: number) =>
  // The service passes its chunk writer's reserved connection, in a transaction; a transaction of the pool is the same.
  sql.begin((tx) => ensureRoomAtCommit(tx as unknown as Sql, userId, newBytes, { maxBytesPerUser }));

test('when a user stores less than the limit, then the rest is left, and the use shows both numbers', async () => {
  const userId = await userStoring(1000);
  assert.is(await storageLeft(sql, userId, { maxBytesPerUser: 5000 }), 4000);
  assert.is(await storageLeft(sql, userId, { maxBytesPerUser: 1001 }), 1);
  assert.equal(await storageUse(sql, userId, { maxBytesPerUser: 5000 }), { usedBytes: 1000, allowedBytes: 5000 });
});

test('when the limit is 0, then nothing is counted against it: Infinity is left, no limit is shown, every commit fits', async () => {
  const userId = await userStoring(1000);
  assert.is(await storageLeft(sql, userId, { maxBytesPerUser: 0 }), Infinity);
  assert.equal(await storageUse(sql, userId, { maxBytesPerUser: 0 }), { usedBytes: 1000, allowedBytes: null });
  await commit(userId, Number.MAX_SAFE_INTEGER, 0);
});

test('when a user is at the limit, then storageLeft refuses, with the numbers and what to do', async () => {
  for (const limit of [1000, 999]) {
    const userId = await userStoring(1000);
    const error = await refusal(() => storageLeft(sql, userId, { maxBytesPerUser: limit }));
    assert.is(error.code, 'storage-quota-exceeded');
    assert.is(
      error.message,
      `this user stores 1000 bytes of MP3 of the ${limit} allowed; delete recordings (DELETE /record) to make room, or choose a lower bitrate`,
    );
    assert.equal(error.extra.facts, { usedBytes: 1000, allowedBytes: limit });
  }
});

test('when a record fills the quota exactly, then it is committed; one byte more is refused with the bytes it needs', async () => {
  const userId = await userStoring(1000);
  await commit(userId, 4000, 5000);
  const error = await refusal(() => commit(userId, 4001, 5000));
  assert.is(error.code, 'storage-quota-exceeded');
  assert.is(
    error.message,
    'this user stores 1000 bytes of MP3 of the 5000 allowed, and this recording needs 4001 more; delete recordings (DELETE /record) to make room, or choose a lower bitrate',
  );
  assert.equal(error.extra.facts, { usedBytes: 1000, allowedBytes: 5000, neededBytes: 4001 });
});

test('when the user no longer exists at commit, then the commit is refused as unauthorized, with or without a limit', async () => {
  const userId = await userStoring(0);
  await sql`delete from users where id = ${userId}`;
  for (const limit of [0, 5000]) assert.is((await refusal(() => commit(userId, 10, limit))).code, 'unauthorized');
});

test.run();
