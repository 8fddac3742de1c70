// Issue 17 on a real server and database: a token replaced (the old one refused everywhere, also by an upload whose
// form arrives after the rotation), a user deleted with everything they stored, the storage quota (sequential and
// concurrent uploads never end above it; the header refuses before the encoder when the bitrate tells), and the sign-up
// limit per address (X-Forwarded-For only from a trusted proxy; shared by two service processes on one database).
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import * as assert from 'uvu/assert';
import { createUser, download, upload, uploadOk, type CreatedUser } from './support/api-client.js';
import { handMadeUpload } from './support/multipart.js';
import { connectFrom } from './support/raw-http.js';
import { seedLargeRecord } from './support/seed-record.js';
import { startServiceProcess } from './support/service-process.js';
import { suite } from './support/suite.js';
import { startTestService, testDatabaseUrl, type TestService } from './support/test-service.js';
import { musicLike } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';

const sql = postgres(testDatabaseUrl(), { max: 2, onnotice: () => {} });
const wav = (seconds: number) => encodeWav({ sampleRate: 44100, channels: 2 }, musicLike(seconds, 44100, 2));
const bearer = (user: CreatedUser, token = user.token) => ({ Authorization: `Bearer ${token}` });
const json = async <T>(response: Response) => (await response.json()) as T;
/** A loopback address of its own per run, so that sign-up counts of earlier runs in the shared database do not matter. */
const freshAddress = () => `127.${1 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

/** POST /user from `localAddress`, with extra headers (X-Forwarded-For). */
function signUpFrom(url: string, localAddress: string, headers: Record<string, string> = {}): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${url}/user`, { method: 'POST', localAddress, headers: { 'Content-Type': 'application/json', ...headers } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, retryAfter: response.headers['retry-after'] as string | undefined, body }));
    });
    request.on('error', reject);
    request.end('{"name":"limited"}');
  });
}

const users = suite<{ service: TestService }>('a user from sign-up to deletion', {} as { service: TestService });
users.before(async (context) => {
  context.service = await startTestService({ maxConversionsPerUser: 8 });
});
users.after(async ({ service }) => {
  await service.close();
});

users('when the token is replaced, then the old one gets 401 everywhere and the new one works', async ({ service }) => {
  const user = await createUser(service.url, 'rotating');
  const record = await uploadOk(service.url, wav(1), { user: user.id, token: user.token });
  const rotated = await fetch(`${service.url}/user/token?id=${user.id}`, { method: 'POST', headers: bearer(user) });
  assert.is(rotated.status, 200);
  const { id, token } = await json<{ id: string; token: string }>(rotated);
  assert.is(id, user.id);
  assert.is.not(token, user.token);

  const old = user.token;
  assert.is((await fetch(`${service.url}/user?id=${user.id}`, { headers: bearer(user, old) })).status, 401);
  assert.is((await fetch(`${service.url}/records?user=${user.id}`, { headers: bearer(user, old) })).status, 401);
  assert.is((await upload(service.url, wav(1), { user: user.id, token: old })).status, 401, 'form token');
  assert.is((await upload(service.url, wav(1), { user: user.id, bearer: old })).status, 401, 'Bearer token');
  assert.is((await fetch(`${service.url}/record?id=${record.id}&user=${user.id}`, { method: 'DELETE', headers: bearer(user, old) })).status, 401);
  assert.is((await fetch(`${service.url}/user/token?id=${user.id}`, { method: 'POST', headers: bearer(user, old) })).status, 401, 'the old token cannot rotate again');
  assert.is((await fetch(`${service.url}/user?id=${user.id}`, { method: 'DELETE', headers: bearer(user, old) })).status, 401, 'the old token cannot delete the user');

  assert.is((await fetch(`${service.url}/user?id=${user.id}`, { headers: bearer(user, token) })).status, 200);
  assert.is((await upload(service.url, wav(1), { user: user.id, token })).status, 201);
  assert.is((await download(record.url)).response.status, 200, 'links do not change');
});

users('when two rotations use the same token at once, then one gets the new token and the other 401', async ({ service }) => {
  const user = await createUser(service.url, 'racing');
  const both = await Promise.all([0, 1].map(() => fetch(`${service.url}/user/token?id=${user.id}`, { method: 'POST', headers: bearer(user) })));
  assert.equal(both.map((r) => r.status).sort(), [200, 401]);
  const winner = await json<{ token: string }>(both.find((r) => r.status === 200)!);
  assert.is((await fetch(`${service.url}/user?id=${user.id}`, { headers: bearer(user, winner.token) })).status, 200);
});

users('when the token is replaced while an upload is under way but not yet authenticated, then that upload gets 401', async ({ service }) => {
  const user = await createUser(service.url, 'in flight');
  const form = handMadeUpload('in-flight', user);
  const body = wav(1);
  const connection = await connectFrom(service.url);
  // The head goes now; the form fields with the (old) token only after the rotation.
  connection.socket.write(`POST /record HTTP/1.1\r\nHost: x\r\nContent-Type: ${form.contentType}\r\nContent-Length: ${form.head.length + body.length + form.tail.length}\r\n\r\n`);
  await new Promise((r) => setTimeout(r, 100));
  assert.is((await fetch(`${service.url}/user/token?id=${user.id}`, { method: 'POST', headers: bearer(user) })).status, 200);
  connection.socket.write(form.head);
  connection.socket.write(body);
  connection.socket.write(form.tail);
  const answer = await connection.waitFor(/^HTTP\/1\.1 \d{3}/);
  assert.match(answer, /^HTTP\/1\.1 401 /);
  connection.socket.destroy();
});

users('when a user is deleted, then their records, chunks and links are gone, and another user is untouched', async ({ service }) => {
  const leaving = await createUser(service.url, 'leaving');
  const staying = await createUser(service.url, 'staying');
  const gone = await Promise.all([1, 2].map(() => uploadOk(service.url, wav(1), { user: leaving.id, token: leaving.token })));
  const kept = await uploadOk(service.url, wav(1), { user: staying.id, token: staying.token });
  assert.is((await fetch(`${service.url}/user?id=${leaving.id}`, { method: 'DELETE', headers: bearer(staying) })).status, 401, "another user's token");
  assert.is((await fetch(`${service.url}/user?id=${leaving.id}`, { method: 'DELETE', headers: bearer(leaving) })).status, 204);

  for (const record of gone) assert.is((await download(record.url)).response.status, 404);
  const ids = gone.map((r) => r.id);
  const [rows] = await sql<{ records: number; chunks: number; users: number }[]>`
    select (select count(*) from records where id = any(${ids}::uuid[]))::int as records,
           (select count(*) from record_chunks where record_id = any(${ids}::uuid[]))::int as chunks,
           (select count(*) from users where id = ${leaving.id})::int as users`;
  assert.equal(rows, { records: 0, chunks: 0, users: 0 });
  assert.is((await fetch(`${service.url}/user?id=${leaving.id}`, { headers: bearer(leaving) })).status, 401);
  assert.is((await upload(service.url, wav(1), { user: leaving.id, token: leaving.token })).status, 401);
  assert.is((await fetch(`${service.url}/user?id=${leaving.id}`, { method: 'DELETE', headers: bearer(leaving) })).status, 401, 'twice');

  const { response, bytes } = await download(kept.url);
  assert.is(response.status, 200);
  assert.is(bytes.length, kept.output.bytes);
});

users('when a user is deleted while an upload of theirs is being converted, then that upload gets 401 and stores nothing', async ({ service }) => {
  const user = await createUser(service.url, 'leaving mid-upload');
  const runningBefore = service.pool.stats.running;
  // 60 s of stereo takes the encoder a few seconds: time enough to delete the user while it runs.
  const uploading = upload(service.url, wav(60), { user: user.id, token: user.token });
  const deadline = Date.now() + 30_000;
  while (service.pool.stats.running <= runningBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.ok(service.pool.stats.running > runningBefore, 'the conversion started');
  assert.is((await fetch(`${service.url}/user?id=${user.id}`, { method: 'DELETE', headers: bearer(user) })).status, 204);
  assert.ok(service.pool.stats.running > runningBefore, 'the deletion came while the conversion ran');
  const response = await uploading;
  assert.is(response.status, 401, await response.text());
  const [rows] = await sql<{ records: number; users: number }[]>`
    select (select count(*) from records where user_id = ${user.id})::int as records,
           (select count(*) from users where id = ${user.id})::int as users`;
  assert.equal(rows, { records: 0, users: 0 });
});

users.run();

const quota = suite<{ service: TestService; limit: number }>('MAX_STORAGE_BYTES_PER_USER', {} as { service: TestService; limit: number });
// A 2 s stereo WAV at 128 kbps is ~34 KB of MP3: room for five and a half.
const TWO_SECONDS_MP3 = 2 * 128_000 / 8;
quota.before(async (context) => {
  context.limit = Math.round(5.5 * TWO_SECONDS_MP3);
  context.service = await startTestService({ maxStorageBytesPerUser: context.limit, maxConversionsPerUser: 8, threads: 2, maxQueue: 8 });
});
quota.after(async ({ service }) => {
  await service.close();
});

const storedBytes = async (userId: string) =>
  (await sql<{ bytes: number }[]>`select coalesce(sum(byte_size), 0)::float8 as bytes from records where user_id = ${userId}`)[0]!.bytes;

quota('when uploads come one after another, then they are stored until the next would pass the limit, which gets 403 with the numbers', async ({ service, limit }) => {
  const user = await createUser(service.url, 'sequential');
  const statuses: number[] = [];
  let refusal: { type: string; usedBytes: number; allowedBytes: number; neededBytes?: number } | undefined;
  for (let i = 0; i < 8 && !refusal; i++) {
    const response = await upload(service.url, wav(2), { user: user.id, token: user.token });
    statuses.push(response.status);
    if (response.status === 403) refusal = await json(response);
  }
  assert.equal(statuses, [201, 201, 201, 201, 201, 403]);
  assert.is(refusal?.type, '/problems/storage-quota-exceeded');
  assert.is(refusal?.allowedBytes, limit);
  assert.is(refusal?.usedBytes, await storedBytes(user.id));
  assert.ok(refusal!.neededBytes! > limit - refusal!.usedBytes, JSON.stringify(refusal));
  assert.ok((await storedBytes(user.id)) <= limit);
  const profile = await json<{ storage: { usedBytes: number; allowedBytes: number } }>(await fetch(`${service.url}/user?id=${user.id}`, { headers: bearer(user) }));
  assert.equal(profile.storage, { usedBytes: await storedBytes(user.id), allowedBytes: limit });
});

quota('when 8 uploads run at once, then together they never end above the limit', async ({ service, limit }) => {
  const user = await createUser(service.url, 'concurrent');
  const responses = await Promise.all(Array.from({ length: 8 }, () => upload(service.url, wav(2), { user: user.id, token: user.token })));
  const statuses = responses.map((r) => r.status).sort();
  assert.ok(statuses.every((s) => s === 201 || s === 403), statuses.join(' '));
  assert.is(statuses.filter((s) => s === 201).length, 5, statuses.join(' '));
  assert.ok((await storedBytes(user.id)) <= limit, `${await storedBytes(user.id)} of ${limit}`);
});

quota('when the header and the bitrate say the MP3 cannot fit, then 403 comes before the encoder runs', async ({ service, limit }) => {
  const user = await createUser(service.url, 'too big');
  const seconds = 30;
  const response = await upload(service.url, wav(seconds), { user: user.id, token: user.token, fields: { bitrate: '320' } });
  assert.is(response.status, 403);
  const problem = await json<{ usedBytes: number; neededBytes: number }>(response);
  // The refusal's size is the header's lower bound (whole frames of 1,044 bytes at 320 kbps and 44.1 kHz), not the
  // size of an MP3 that was encoded (which would carry the ID3 tag, the Info frame and the padded last frame).
  assert.equal([problem.usedBytes, problem.neededBytes], [0, Math.floor((seconds * 44100) / 1152) * 1044]);
  assert.ok(problem.neededBytes > limit);
  assert.is(await storedBytes(user.id), 0);
});

quota('when a VBR upload, whose size no header tells, turns out past the limit, then it is refused as its MP3 outgrows the room left and nothing is stored', async ({ service, limit }) => {
  const user = await createUser(service.url, 'vbr');
  // 20 s of stereo at VBR 0 takes several hundred kilobytes, past the limit; only the encoding can tell.
  const response = await upload(service.url, wav(20), { user: user.id, token: user.token, fields: { vbr: '0' } });
  assert.is(response.status, 403, await response.clone().text());
  const problem = await json<{ type: string; usedBytes: number; allowedBytes: number; neededBytes: number }>(response);
  assert.equal([problem.type, problem.usedBytes, problem.allowedBytes], ['/problems/storage-quota-exceeded', 0, limit]);
  assert.ok(problem.neededBytes > limit, JSON.stringify(problem));
  assert.is(await storedBytes(user.id), 0);
});

quota('when a user is at the limit, then the next upload is refused before its body is read', async ({ service, limit }) => {
  const user = await createUser(service.url, 'full');
  // Exactly at the limit: stored directly, as uploads alone stop short of it.
  await seedLargeRecord(sql, user.id, limit);
  const connection = await connectFrom(service.url);
  connection.socket.write(`POST /record HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${user.token}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000000\r\nExpect: 100-continue\r\n\r\n`);
  const answer = await connection.waitFor(/^HTTP\/1\.1 \d{3}/);
  connection.socket.destroy();
  // Not 100 Continue: with no body sent, a 403 can only be the refusal from the request head.
  assert.match(answer, /^HTTP\/1\.1 403 /, answer);
  assert.match(answer, /"usedBytes":\d+/);
});

quota.run();

const signups = suite('MAX_SIGNUPS_PER_IP_PER_HOUR');

signups('when one address signs up past the limit, then 429 with Retry-After, and another address may still sign up', async () => {
  const service = await startTestService({ maxSignupsPerHour: 3 });
  try {
    const address = freshAddress();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await signUpFrom(service.url, address));
    assert.equal(statuses.map((s) => s.status), [201, 201, 201, 429]);
    const refused = statuses[3]!;
    assert.ok(Number(refused.retryAfter) > 3500 && Number(refused.retryAfter) <= 3600, `Retry-After ${refused.retryAfter}`);
    assert.is((JSON.parse(refused.body) as { type: string }).type, '/problems/too-many-signups');
    assert.is((await signUpFrom(service.url, freshAddress())).status, 201);
    // Without a trusted proxy, X-Forwarded-For is the client's own say: ignored.
    assert.is((await signUpFrom(service.url, address, { 'X-Forwarded-For': '198.51.100.7' })).status, 429);
  } finally {
    await service.close();
  }
});

signups('when the peer is a trusted proxy, then the client address comes from X-Forwarded-For', async () => {
  const service = await startTestService({ maxSignupsPerHour: 2, trustedProxies: ['loopback'] });
  try {
    const proxy = freshAddress();
    const client = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
    await sql`delete from signups where address = ${client}`;
    const forwarded = { 'X-Forwarded-For': client };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await signUpFrom(service.url, proxy, forwarded)).status);
    assert.equal(statuses, [201, 201, 429]);
    // Another client behind the same proxy has its own count.
    assert.is((await signUpFrom(service.url, proxy, { 'X-Forwarded-For': `${client.replace(/\d+$/, '')}255` })).status, 201);
  } finally {
    await sql`delete from signups where address like '198.51.100.%'`;
    await service.close();
  }
});

signups('when a client behind the proxy writes its own X-Forwarded-For, then the address the proxy saw is counted, not the ones it made up', async () => {
  const service = await startTestService({ maxSignupsPerHour: 1, trustedProxies: ['loopback'] });
  const client = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
  try {
    await sql`delete from signups where address = ${client}`;
    // The proxy appends the address it saw to whatever the client sent; a new made-up address each time changes nothing.
    const statuses = [];
    for (const madeUp of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
      statuses.push((await signUpFrom(service.url, '127.0.0.1', { 'X-Forwarded-For': `${madeUp}, ${client}` })).status);
    }
    assert.equal(statuses, [201, 429, 429]);
  } finally {
    await sql`delete from signups where address = ${client}`;
    await service.close();
  }
});

signups('when the peer is not one of the configured trusted proxies, then its X-Forwarded-For is ignored', async () => {
  // Only 127.0.0.1 is a proxy; other loopback addresses are clients that talk to the service directly.
  const service = await startTestService({ maxSignupsPerHour: 1, trustedProxies: ['127.0.0.1'] });
  const client = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
  try {
    await sql`delete from signups where address = ${client}`;
    const direct = freshAddress();
    assert.is((await signUpFrom(service.url, direct, { 'X-Forwarded-For': client })).status, 201);
    // Counted for the peer, not for the address it claimed: the claimed one still has its sign-up, the peer none.
    assert.is((await signUpFrom(service.url, direct, { 'X-Forwarded-For': `198.51.100.${251 + Math.floor(Math.random() * 4)}` })).status, 429);
    assert.is((await signUpFrom(service.url, '127.0.0.1', { 'X-Forwarded-For': client })).status, 201, 'through the proxy');
    assert.is((await signUpFrom(service.url, '127.0.0.1', { 'X-Forwarded-For': client })).status, 429, 'through the proxy, again');
  } finally {
    await sql`delete from signups where address = ${client}`;
    await service.close();
  }
});

signups('when IPv6 clients sign up through a trusted proxy, then one /64 shares one count', async () => {
  const service = await startTestService({ maxSignupsPerHour: 2, trustedProxies: ['loopback'] });
  const random16 = () => Math.floor(Math.random() * 0xffff).toString(16);
  const prefix = `2001:db8:${random16()}:${random16()}`;
  try {
    const statuses = [];
    for (const host of ['::1', '::2', ':abcd:0:0:3']) statuses.push((await signUpFrom(service.url, freshAddress(), { 'X-Forwarded-For': `${prefix}${host}` })).status);
    assert.equal(statuses, [201, 201, 429]);
    const neighbour = `2001:db8:${random16()}:${random16()}::1`;
    assert.is((await signUpFrom(service.url, freshAddress(), { 'X-Forwarded-For': neighbour })).status, 201, 'another /64');
  } finally {
    await sql`delete from signups where address like '2001:db8:%'`;
    await service.close();
  }
});

signups('when two service processes share one database, then they share the count', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-signups-'));
  const env = (name: string) => ({ DATABASE_URL: testDatabaseUrl(), DATA_DIR: path.join(dir, name), MAX_SIGNUPS_PER_IP_PER_HOUR: '3' });
  const [first, second] = await Promise.all([startServiceProcess(env('one')), startServiceProcess(env('two'))]);
  try {
    const address = freshAddress();
    const statuses = [];
    for (const service of [first, second, first, second]) statuses.push((await signUpFrom(service.url, address)).status);
    assert.equal(statuses, [201, 201, 201, 429]);
    assert.is((await signUpFrom(first.url, address)).status, 429);

    // A burst from one address, split over both processes at once: the count is taken under a lock, so no more than
    // the limit slip through between a count and its insert.
    const bursting = freshAddress();
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => signUpFrom((i % 2 ? first : second).url, bursting)));
    assert.equal(burst.map((s) => s.status).sort(), [201, 201, 201, 429, 429, 429, 429, 429]);
  } finally {
    await Promise.all([first.stop(), second.stop()]);
    await rm(dir, { recursive: true, force: true });
  }
});

signups.after(async () => {
  await sql.end({ timeout: 5 });
});

signups.run();
