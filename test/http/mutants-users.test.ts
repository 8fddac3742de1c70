// The user routes (src/http/routes/users.ts) on a Koa app in this process against the real database, no service
// (docs/MUTATION.md): sign-up's refusals of what is not a JSON body with their exact words, the answer's fields, the
// per-address limit behind a trusted proxy (counted per IPv6 /64), the profile with its storage and cache header, a
// new token that replaces the old one, and leaving, which forgets the user's records in the download cache.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import postgres from 'postgres';
import * as assert from 'uvu/assert';
import type { Sql } from '../../src/db/connect.js';
import type { DownloadReads } from '../../src/domain/download-pieces.js';
import { problemResponses } from '../../src/http/errors.js';
import { userRoutes } from '../../src/http/routes/users.js';
import type { Logger } from '../../src/log.js';
import { seedLargeRecord } from '../support/seed-record.js';
import { suite } from '../support/suite.js';
import { testDatabaseUrl } from '../support/test-service.js';

interface Context {
  sql: Sql;
  url: string;
  forgotten: string[];
  server: http.Server;
}

const test = suite<Context>('user routes', {} as Context);

test.before(async (context) => {
  context.sql = postgres(testDatabaseUrl(), { max: 4, onnotice: () => {} });
  context.forgotten = [];
  const app = new Koa();
  app.silent = true;
  app.use(problemResponses({ error: () => {} } as unknown as Logger) as Koa.Middleware);
  const router = new Router();
  const downloadReads = { forget: (id: string) => context.forgotten.push(id) } as unknown as DownloadReads;
  userRoutes(router, { sql: context.sql, maxNameLength: 20, maxSignupsPerHour: 2, trustedProxies: ['127.0.0.1'], storageQuota: { maxBytesPerUser: 5_000_000 }, downloadReads });
  app.use(router.routes());
  context.server = http.createServer(app.callback());
  await new Promise<void>((resolve) => context.server.listen(0, '127.0.0.1', resolve));
  context.url = `http://127.0.0.1:${(context.server.address() as AddressInfo).port}`;
});

test.after(async ({ sql, server }) => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await sql.end({ timeout: 5 });
});

/** An address of its own for each test run, so that sign-ups of other runs in the shared database do not count. */
const freshPrefix = () => `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;

async function signUp(url: string, name: string, from: string): Promise<Response> {
  return fetch(`${url}/user`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': from }, body: JSON.stringify({ name }) });
}

async function problem(response: Response): Promise<[number, string, string]> {
  const body = (await response.json()) as { type: string; detail: string };
  return [response.status, body.type, body.detail];
}

test('when sign-up gets no JSON, then 415, 400 or 413 says what to send', async ({ url }) => {
  const post = (body: string, type: string) => fetch(`${url}/user`, { method: 'POST', headers: { 'Content-Type': type }, body });
  assert.equal(await problem(await post('name=Ann', 'application/x-www-form-urlencoded')), [
    415,
    '/problems/unsupported-media-type',
    'send the body as application/json: {"name": "..."}',
  ]);
  assert.equal(await problem(await post('{"name": ', 'application/json')), [400, '/problems/malformed-json', 'the body is not valid JSON; send {"name": "..."}']);
  assert.equal(await problem(await post(JSON.stringify({ name: 'x'.repeat(17_000) }), 'application/json')), [
    413,
    '/problems/payload-too-large',
    'the JSON body must be under 16kb',
  ]);
  const justUnder = await post(JSON.stringify({ name: 'x'.repeat(16_000) }), 'application/json');
  assert.is((await problem(justUnder))[1], '/problems/validation-failed', 'a body under 16 KiB is parsed (and its name is too long)');
  // Each refusal has its own title, for a person reading the problem.
  const title = async (response: Response) => ((await response.json()) as { title: string }).title;
  assert.is(await title(await post('name=Ann', 'application/x-www-form-urlencoded')), 'Unsupported media type');
  assert.is(await title(await post('{"name": ', 'application/json')), 'Malformed JSON');
  assert.is(await title(await post(JSON.stringify({ name: 'x'.repeat(17_000) }), 'application/json')), 'Body too large');
});

test('when sign-ups come through a trusted proxy, then each gets its fields, and the third from one /64 in an hour is refused', async ({ url }) => {
  const prefix = freshPrefix();
  const first = await signUp(url, 'Ann', `${prefix}::1`);
  assert.is(first.status, 201);
  const body = (await first.json()) as Record<string, string>;
  assert.equal(Object.keys(body).sort(), ['createdAt', 'id', 'name', 'token']);
  assert.is(body.name, 'Ann');
  assert.is(new Date(body.createdAt!).toISOString(), body.createdAt);
  assert.ok(Math.abs(Date.parse(body.createdAt!) - Date.now()) < 60_000);
  assert.is((await signUp(url, 'Bob', `${prefix}::2`)).status, 201, 'another address of the same /64');
  const third = await signUp(url, 'Cy', `${prefix}::3`);
  const [status, type, detail] = await problem(third);
  assert.equal([status, type], [429, '/problems/too-many-signups']);
  assert.match(detail, /^this address has created 2 users in the last hour, the most allowed; retry in \d+ s$/);
  assert.is((await signUp(url, 'Dee', `${freshPrefix()}::1`)).status, 201, 'another /64 is counted apart');
});

test('when a user reads its profile, rotates its token and leaves, then each answer is as documented', async ({ url, sql, forgotten }) => {
  const created = (await (await signUp(url, 'Eve', `${freshPrefix()}::1`)).json()) as { id: string; name: string; token: string; createdAt: string };
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const record = await seedLargeRecord(sql, created.id, 3000);
  try {
    const profile = await fetch(`${url}/user?id=${created.id}`, { headers: as(created.token) });
    assert.is(profile.status, 200);
    assert.is(profile.headers.get('cache-control'), 'private, no-cache');
    assert.equal(await profile.json(), { id: created.id, name: 'Eve', createdAt: created.createdAt, storage: { usedBytes: 3000, allowedBytes: 5_000_000 } });
    assert.is((await fetch(`${url}/user?id=${created.id}`, { headers: as('00000000-0000-4000-8000-000000000000') })).status, 401);

    const rotated = await fetch(`${url}/user/token?id=${created.id}`, { method: 'POST', headers: as(created.token) });
    assert.is(rotated.status, 200);
    assert.is(rotated.headers.get('cache-control'), 'no-store');
    const { id, token } = (await rotated.json()) as { id: string; token: string };
    assert.is(id, created.id);
    assert.is.not(token, created.token);
    assert.is((await fetch(`${url}/user?id=${created.id}`, { headers: as(created.token) })).status, 401, 'the old token is gone');

    const gone = await fetch(`${url}/user?id=${created.id}`, { method: 'DELETE', headers: as(token) });
    assert.is(gone.status, 204);
    assert.equal(forgotten, [record.id], 'the record is dropped from the download cache');
    assert.is((await fetch(`${url}/user?id=${created.id}`, { headers: as(token) })).status, 401, 'the user is gone');
  } finally {
    await record.remove();
  }
});

test.run();
