// The writer of a record's MP3 bytes (src/domain/record-chunk-writer.ts) with plain calls against the real database:
// how bytes fall into 256 KiB rows, patches before and after a row is written, that nothing is visible (and no
// connection held) before it must be, and that a failure or an abort leaves nothing. The HTTP upload tests reach it
// only with whole conversions, whose MP3s rarely cross a row boundary where a patch lands.
import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import * as assert from 'uvu/assert';
import type { Sql } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { insertRecord } from '../../src/db/record-queries.js';
import { RECORD_CHUNK_BYTES, RecordChunkWriter } from '../../src/domain/record-chunk-writer.js';
import { createUser } from '../../src/domain/users.js';
import { test } from '../support/suite.js';
import { testDatabaseUrl } from '../support/test-service.js';

const sql = postgres(testDatabaseUrl(), { max: 4, onnotice: () => {} });
// One connection only: a query on it waits for ever while a writer holds it, which makes holding it visible.
const single = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {} });
const created: string[] = [];
let userId = '';

test.before(async () => {
  await migrate(sql);
  const user = await createUser(sql, 'chunk-writer');
  created.push(user.id);
  userId = user.id;
});
// Records and their chunks go with their users (on delete cascade).
test.after(async () => {
  await sql`delete from users where id = any(${created}::uuid[])`;
  await single.end({ timeout: 5 });
  await sql.end({ timeout: 5 });
});

const recordRow = (id: string, byteSize: number) => ({
  id,
  userId,
  originalName: 'written.wav',
  inputContainer: 'RIFF',
  inputEncoding: 'pcm',
  inputBitsPerSample: 16,
  inputSampleRate: 44100,
  inputChannels: 2,
  durationSeconds: 1,
  declaredDurationSeconds: 1,
  sampleRate: 44100,
  channels: 2,
  bitrateKbps: 128,
  vbrQuality: null,
  encoder: 'wasm',
  byteSize,
  audioSha256: randomBytes(32),
  chunkBytes: RECORD_CHUNK_BYTES,
});

/** The stored rows of a record, in order: their seq and bytes. */
async function rowsOf(recordId: string): Promise<{ seq: number; data: Buffer }[]> {
  // A plain array: postgres.js's result carries more properties, which a deep comparison would see.
  return [...(await sql<{ seq: number; data: Buffer }[]>`select seq, data from record_chunks where record_id = ${recordId} order by seq`)];
}

/** Writes `data` in pieces of `step` bytes and commits it with its record row. */
async function writeAll(data: Buffer, step: number, db: Sql = sql): Promise<string> {
  const id = randomUUID();
  const writer = new RecordChunkWriter(db, id);
  for (let at = 0; at < data.length; at += step) await writer.write(data.subarray(at, at + step));
  assert.is(writer.bytes, data.length);
  await writer.commit((tx) => insertRecord(tx, recordRow(id, writer.bytes)));
  return id;
}

/** Resolves with true when `single` can run a query within `ms`, false when something holds its one connection. */
async function singleIsFree(ms = 1000): Promise<boolean> {
  const query = single`select 1`.then(() => true);
  const late = new Promise<false>((resolve) => setTimeout(() => resolve(false), ms));
  return Promise.race([query, late]);
}

test('when bytes are written in pieces that straddle rows, then rows of 256 KiB hold them in order, the last one the rest', async () => {
  const data = randomBytes(2 * RECORD_CHUNK_BYTES + 75_712);
  const id = await writeAll(data, 100_000);
  const rows = await rowsOf(id);
  assert.equal(
    rows.map((row) => [row.seq, row.data.length]),
    [
      [0, RECORD_CHUNK_BYTES],
      [1, RECORD_CHUNK_BYTES],
      [2, 75_712],
    ],
  );
  assert.ok(Buffer.concat(rows.map((row) => row.data)).equals(data));
});

test('when a write fills rows exactly, then no empty row follows; one byte more makes a row of one byte', async () => {
  const exact = randomBytes(2 * RECORD_CHUNK_BYTES);
  assert.equal(
    (await rowsOf(await writeAll(exact, exact.length))).map((row) => row.data.length),
    [RECORD_CHUNK_BYTES, RECORD_CHUNK_BYTES],
  );
  const more = randomBytes(RECORD_CHUNK_BYTES + 1);
  const rows = await rowsOf(await writeAll(more, 1000));
  assert.equal(
    rows.map((row) => row.data.length),
    [RECORD_CHUNK_BYTES, 1],
  );
  assert.ok(Buffer.concat(rows.map((row) => row.data)).equals(more));
});

test('when less than a row is written, then no connection is held until the commit, which writes that row', async () => {
  const id = randomUUID();
  const writer = new RecordChunkWriter(single, id);
  await writer.write(randomBytes(RECORD_CHUNK_BYTES - 1));
  assert.ok(await singleIsFree(), 'a write of less than a row held a connection');
  await writer.commit((tx) => insertRecord(tx, recordRow(id, writer.bytes)));
  assert.ok(await singleIsFree(), 'the commit kept its connection');
  assert.equal(
    (await rowsOf(id)).map((row) => row.data.length),
    [RECORD_CHUNK_BYTES - 1],
  );
});

test('when a full row is written, then it is inside a transaction: invisible to others until the commit', async () => {
  const id = randomUUID();
  const writer = new RecordChunkWriter(sql, id);
  await writer.write(randomBytes(RECORD_CHUNK_BYTES + 10));
  assert.equal(await rowsOf(id), [], 'a row was visible before the commit');
  const returned = await writer.commit(async (tx) => {
    await insertRecord(tx, recordRow(id, writer.bytes));
    return 'finished';
  });
  assert.is(returned, 'finished');
  assert.equal(
    (await rowsOf(id)).map((row) => row.data.length),
    [RECORD_CHUNK_BYTES, 10],
  );
});

test('when bytes are patched in a written row, in the row still pending and across both, then each lands where it was aimed', async () => {
  const data = randomBytes(RECORD_CHUNK_BYTES + 5000);
  const expected = Buffer.from(data);
  const id = randomUUID();
  const writer = new RecordChunkWriter(sql, id);
  await writer.write(data);
  const patches: [number, Buffer][] = [
    [0, randomBytes(200)], // the first row, already in the database
    [1000, randomBytes(1)],
    [RECORD_CHUNK_BYTES - 50, randomBytes(100)], // across the boundary: half stored, half pending
    [RECORD_CHUNK_BYTES + 3000, randomBytes(2000)], // pending only, up to the last byte written
  ];
  for (const [offset, bytes] of patches) {
    await writer.patch(offset, bytes);
    bytes.copy(expected, offset);
  }
  await writer.commit((tx) => insertRecord(tx, recordRow(id, writer.bytes)));
  const rows = await rowsOf(id);
  assert.equal(
    rows.map((row) => row.data.length),
    [RECORD_CHUNK_BYTES, 5000],
  );
  assert.ok(Buffer.concat(rows.map((row) => row.data)).equals(expected));
});

test('when a patch reaches outside the bytes written, then it is refused and nothing changes', async () => {
  const id = randomUUID();
  const writer = new RecordChunkWriter(sql, id);
  const data = randomBytes(1000);
  await writer.write(data);
  for (const [offset, length] of [
    [-1, 1],
    [999, 2],
    [1000, 1],
  ] as const) {
    try {
      await writer.patch(offset, Buffer.alloc(length));
      assert.unreachable(`patch at ${offset} of ${length} bytes was accepted`);
    } catch (error) {
      assert.instance(error, RangeError);
      assert.is((error as Error).message, 'patch outside the bytes written');
    }
  }
  await writer.patch(999, Buffer.from([7]));
  await writer.commit((tx) => insertRecord(tx, recordRow(id, writer.bytes)));
  const [row] = await rowsOf(id);
  assert.ok(row!.data.subarray(0, 999).equals(data.subarray(0, 999)));
  assert.is(row!.data[999], 7);
});

test('when the finishing step fails, then its error comes out, nothing is stored and the connection is free again', async () => {
  const id = randomUUID();
  const writer = new RecordChunkWriter(single, id);
  await writer.write(randomBytes(RECORD_CHUNK_BYTES + 1));
  const failure = new Error('finish failed');
  try {
    await writer.commit(async (tx) => {
      await insertRecord(tx, recordRow(id, writer.bytes));
      throw failure;
    });
    assert.unreachable('the commit succeeded');
  } catch (error) {
    assert.is(error, failure);
  }
  assert.ok(await singleIsFree(), 'the failed commit kept its connection');
  assert.equal(await rowsOf(id), []);
  assert.is((await sql`select id from records where id = ${id}`).length, 0);
  // Aborting after that is harmless.
  await writer.abort();
});

test('when a writer is aborted, then its rows are gone and the connection is free; a second abort, or one before any row, is harmless', async () => {
  const fresh = new RecordChunkWriter(single, randomUUID());
  await fresh.abort();
  const id = randomUUID();
  const writer = new RecordChunkWriter(single, id);
  await writer.write(randomBytes(2 * RECORD_CHUNK_BYTES));
  assert.not.ok(await singleIsFree(200), 'a writer with a row written holds its connection');
  await writer.abort();
  assert.ok(await singleIsFree(), 'the abort kept its connection');
  await writer.abort();
  assert.ok(await singleIsFree());
  assert.equal(await rowsOf(id), []);
});

test('when the connection of a writer is lost, then an abort does not throw, and nothing is stored', async () => {
  const lost = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {}, connection: { application_name: 'chunk-writer-lost' } });
  try {
    const id = randomUUID();
    const writer = new RecordChunkWriter(lost, id);
    await writer.write(randomBytes(RECORD_CHUNK_BYTES));
    // Ends the backend that holds the writer's transaction, as a database restart would.
    const [ended] = await sql<{ count: number }[]>`
      select count(pg_terminate_backend(pid))::int as count from pg_stat_activity where application_name = 'chunk-writer-lost'`;
    assert.is(ended!.count, 1);
    await writer.abort();
    assert.equal(await rowsOf(id), []);
  } finally {
    await lost.end({ timeout: 1 });
  }
});

test.run();
