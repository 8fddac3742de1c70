// GET and HEAD /record (src/http/routes/record-download.ts) on a Koa app in this process against the real database,
// no service (docs/MUTATION.md): every header of a whole download, inline or attachment, 304 for a matching ETag or
// date, ranges with and without a matching If-Range, the 416 refusal with its Content-Range, HEAD without a body, and
// a record that is not the user's. A record of 300,000 random bytes is written straight into the database.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import postgres from 'postgres';
import * as assert from 'uvu/assert';
import type { Sql } from '../../src/db/connect.js';
import { DownloadReads } from '../../src/domain/download-pieces.js';
import { createUser } from '../../src/domain/users.js';
import { problemResponses } from '../../src/http/errors.js';
import { recordDownloadRoutes } from '../../src/http/routes/record-download.js';
import type { Logger } from '../../src/log.js';
import { seedLargeRecord } from '../support/seed-record.js';
import { suite } from '../support/suite.js';
import { testDatabaseUrl } from '../support/test-service.js';

interface Context {
  sql: Sql;
  url: string;
  server: http.Server;
  userId: string;
  record: Awaited<ReturnType<typeof seedLargeRecord>>;
  etag: string;
  createdAt: Date;
  whole: Buffer;
}

const test = suite<Context>('record download', {} as Context);
const SIZE = 300_000;

test.before(async (context) => {
  context.sql = postgres(testDatabaseUrl(), { max: 4, onnotice: () => {} });
  const app = new Koa();
  app.silent = true;
  app.use(problemResponses({ error: () => {} } as unknown as Logger) as Koa.Middleware);
  const router = new Router();
  recordDownloadRoutes(router, { sql: context.sql, downloadReads: new DownloadReads(4) });
  app.use(router.routes());
  context.server = http.createServer(app.callback());
  await new Promise<void>((resolve) => context.server.listen(0, '127.0.0.1', resolve));
  context.url = `http://127.0.0.1:${(context.server.address() as AddressInfo).port}`;
  context.userId = (await createUser(context.sql, 'Downloader')).id;
  context.record = await seedLargeRecord(context.sql, context.userId, SIZE);
  const [row] = await context.sql<{ audioSha256: Buffer; createdAt: Date }[]>`
    select audio_sha256 as "audioSha256", created_at as "createdAt" from records where id = ${context.record.id}`;
  context.etag = `"${row!.audioSha256.toString('hex')}"`;
  context.createdAt = row!.createdAt;
  const chunks = await context.sql<{ bytes: Buffer }[]>`select data as bytes from record_chunks where record_id = ${context.record.id} order by seq`;
  context.whole = Buffer.concat(chunks.map((chunk) => chunk.bytes));
});

test.after(async ({ sql, server, record, userId }) => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await record.remove();
  await sql`delete from users where id = ${userId}`;
  await sql.end({ timeout: 5 });
});

const get = ({ url, record, userId }: Context, headers: Record<string, string> = {}, query = '', method = 'GET') =>
  fetch(`${url}/record?id=${record.id}&user=${userId}${query}`, { method, headers });

test('when the whole record is asked for, then 200 with its bytes and every header players and caches use', async (context) => {
  assert.is(context.whole.length, SIZE, 'the bytes written');
  const response = await get(context);
  assert.is(response.status, 200);
  const headers = Object.fromEntries(['accept-ranges', 'etag', 'cache-control', 'last-modified', 'content-type', 'content-disposition', 'content-length', 'content-range'].map((name) => [name, response.headers.get(name)]));
  assert.equal(headers, {
    'accept-ranges': 'bytes',
    etag: context.etag,
    'cache-control': 'private, max-age=31536000, immutable',
    'last-modified': context.createdAt.toUTCString(),
    'content-type': 'audio/mpeg',
    'content-disposition': 'attachment; filename="seeded.mp3"',
    'content-length': String(SIZE),
    'content-range': null,
  });
  assert.ok(Buffer.from(await response.arrayBuffer()).equals(context.whole), 'the stored bytes, in order');
  const inline = await get(context, {}, '&inline=1');
  assert.is(inline.headers.get('content-disposition'), 'inline; filename="seeded.mp3"');
  await inline.arrayBuffer();
});

test('when the client holds the same copy, then 304 without a body', async (context) => {
  const same: Record<string, string>[] = [{ 'If-None-Match': context.etag }, { 'If-Modified-Since': new Date(context.createdAt.getTime() + 1000).toUTCString() }];
  for (const headers of same) {
    const response = await get(context, headers);
    assert.is(response.status, 304, JSON.stringify(headers));
    assert.is(response.headers.get('etag'), context.etag);
    assert.is((await response.arrayBuffer()).byteLength, 0);
  }
  const changed = await get(context, { 'If-None-Match': '"other"' });
  assert.is(changed.status, 200);
  await changed.arrayBuffer();
});

test('when a range is asked, then 206 with exactly those bytes, unless If-Range names another copy', async (context) => {
  const partial = await get(context, { Range: 'bytes=1000-1999' });
  assert.is(partial.status, 206);
  assert.equal([partial.headers.get('content-range'), partial.headers.get('content-length')], [`bytes 1000-1999/${SIZE}`, '1000']);
  assert.ok(Buffer.from(await partial.arrayBuffer()).equals(context.whole.subarray(1000, 2000)));

  const tail = await get(context, { Range: 'bytes=-10', 'If-Range': context.etag });
  assert.is(tail.status, 206);
  assert.is(tail.headers.get('content-range'), `bytes ${SIZE - 10}-${SIZE - 1}/${SIZE}`);
  assert.ok(Buffer.from(await tail.arrayBuffer()).equals(context.whole.subarray(SIZE - 10)));

  const stale = await get(context, { Range: 'bytes=1000-1999', 'If-Range': '"another"' });
  assert.is(stale.status, 200);
  assert.is(stale.headers.get('content-range'), null);
  assert.is((await stale.arrayBuffer()).byteLength, SIZE);
});

test('when a range lies outside the record, then 416 with the size in Content-Range and in words', async (context) => {
  const response = await get(context, { Range: `bytes=${SIZE}-` });
  assert.is(response.status, 416);
  assert.is(response.headers.get('content-range'), `bytes */${SIZE}`);
  const body = (await response.json()) as { type: string; title: string; detail: string };
  assert.equal(
    [body.type, body.title, body.detail],
    ['/problems/range-not-satisfiable', 'Range not satisfiable', `the file has ${SIZE} bytes; ask for a range inside it`],
  );
});

test('when HEAD is asked, then the same headers and no body; when the record is not the user`s, then 404', async (context) => {
  const head = await get(context, { Range: 'bytes=0-99' }, '', 'HEAD');
  assert.equal([head.status, head.headers.get('content-length'), head.headers.get('content-range'), head.headers.get('etag')], [206, '100', `bytes 0-99/${SIZE}`, context.etag]);
  assert.is((await head.arrayBuffer()).byteLength, 0);
  const whole = await get(context, {}, '', 'HEAD');
  assert.equal([whole.status, whole.headers.get('content-length')], [200, String(SIZE)]);
  const notYours = await fetch(`${context.url}/record?id=${context.record.id}&user=00000000-0000-4000-8000-000000000000`);
  assert.is(notYours.status, 404);
  await notYours.arrayBuffer();
});

test.run();
