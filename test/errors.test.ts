// Every error status of every route, table-driven: status, problem+json content type, stable type, security headers,
// never a stack trace, SQL text or file path in the body, and the answer that /openapi.json documents for it.
import net from 'node:net';
import { suite } from './support/suite.js';
import * as assert from 'uvu/assert';
import { sine } from './fixtures/signals.js';
import { encodeWav, headerOfUnknownLength } from './fixtures/wav-writer.js';
import { createUser, uploadForm, uploadOk, type CreatedUser, type RecordView } from './support/api-client.js';
import { fetchDocument, formDifferences, headerDifferences, operationOf, schemaErrors, type OpenApiDocument } from './support/openapi-contract.js';
import { seedLargeRecord } from './support/seed-record.js';
import { startTestService, type TestService } from './support/test-service.js';

interface Context {
  service: TestService;
  user: CreatedUser;
  record: RecordView;
  /** A user whose records fill MAX_STORAGE_BYTES_PER_USER. */
  full: CreatedUser;
  /** A service allowing one sign-up per address and hour, behind a trusted proxy (loopback). */
  limited: TestService;
  /** The client address (X-Forwarded-For) that has used up its sign-up on `limited`. */
  signedUpAddress: string;
  /** The service's own /openapi.json. */
  document: OpenApiDocument;
}
const errors = suite<Context>('error statuses', {} as Context);

const MAX_UPLOAD_BYTES = 1024 * 1024;
const MAX_STORAGE_BYTES = 4 * 1024 * 1024;
errors.before(async (context) => {
  context.service = await startTestService({ maxUploadBytes: MAX_UPLOAD_BYTES, maxStorageBytesPerUser: MAX_STORAGE_BYTES });
  context.user = await createUser(context.service.url, 'errors');
  context.document = await fetchDocument(context.service.url);
  context.record = await uploadOk(context.service.url, tinyWav(), { user: context.user.id, token: context.user.token });
  context.full = await createUser(context.service.url, 'full');
  await seedLargeRecord(context.service.sql, context.full.id, MAX_STORAGE_BYTES);
  context.limited = await startTestService({ threads: 1, maxSignupsPerHour: 1, trustedProxies: ['loopback'] });
  // An address of its own per run (TEST-NET-3), so that the counts of earlier runs in the shared database do not matter.
  context.signedUpAddress = `203.0.113.${1 + Math.floor(Math.random() * 254)}`;
  await context.limited.sql`delete from signups where address = ${context.signedUpAddress}`;
  const first = await fetch(`${context.limited.url}/user`, { ...json({ name: 'first' }), headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': context.signedUpAddress } });
  if (first.status !== 201) throw new Error(`the first sign-up got ${first.status}: ${await first.text()}`);
});
errors.after(async ({ service, limited, signedUpAddress }) => {
  await limited.sql`delete from signups where address = ${signedUpAddress}`;
  await Promise.all([service.close(), limited.close()]);
});

function tinyWav(): Uint8Array {
  return encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 0.2, 8000)]);
}
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const json = (body: unknown) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const withHeader = (wav: Uint8Array, offset: number, value: number) => {
  const copy = wav.slice();
  new DataView(copy.buffer).setUint16(offset, value, true);
  return copy;
};

/** A cursor as GET /records writes them: base64url of JSON [createdAt, id]. */
const cursor = (decoded: unknown) => Buffer.from(JSON.stringify(decoded)).toString('base64url');
const SOME_TIME = '2026-11-30 21:07:18.920271+00';
const FORGED_CURSORS: [string, unknown][] = [
  ['id is not a UUID', [SOME_TIME, 'zzzzzzzz-zzzz-4zzz-8zzz-zzzzzzzzzzzz']],
  ['id has no hyphens', [SOME_TIME, '0'.repeat(36)]],
  ['time is past what PostgreSQL reads (year +275760)', ['+275760-09-13T00:00:00.000Z', UNKNOWN]],
  ['time is a day that does not exist', ['2026-02-30 10:00:00+00', UNKNOWN]],
  ['time has hour 24', ['2026-11-30 24:00:00+00', UNKNOWN]],
  ['time has an offset of 16 hours', ['2026-11-30 10:00:00+16', UNKNOWN]],
  ['time is not ISO 8601', ['Mon, 30 Nov 2026 10:00:00 GMT', UNKNOWN]],
  ['time is a number', [1764536838920, UNKNOWN]],
  ['array has a third element', [SOME_TIME, UNKNOWN, 'x']],
  ['JSON is an object', { createdAt: SOME_TIME, id: UNKNOWN }],
];

interface Case {
  name: string;
  status: number;
  type: string;
  request: (c: Context) => [string, RequestInit];
  headers?: Record<string, RegExp>;
  /** Sent to `limited` instead of the suite's main service. */
  limited?: boolean;
}

const form = (c: Context, wav: Uint8Array, extra: { token?: string; user?: string; fields?: Record<string, string> } = {}) =>
  uploadForm(wav, { user: extra.user ?? c.user.id, token: extra.token ?? c.user.token, fields: extra.fields ?? {} });

const CASES: Case[] = [
  // POST /user
  { name: 'POST /user with broken JSON', status: 400, type: 'malformed-json', request: () => ['/user', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name"' }] },
  { name: 'POST /user with a form body', status: 415, type: 'unsupported-media-type', request: () => ['/user', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'Ann' }] },
  { name: 'POST /user with an empty name', status: 422, type: 'validation-failed', request: () => ['/user', json({ name: '' })] },
  { name: 'POST /user with a name of the wrong type', status: 422, type: 'validation-failed', request: () => ['/user', json({ name: 42 })] },
  { name: 'POST /user with unknown fields', status: 422, type: 'validation-failed', request: () => ['/user', json({ name: 'a', admin: true })] },
  { name: 'POST /user with a NUL in the name', status: 422, type: 'validation-failed', request: () => ['/user', json({ name: 'a\u0000b' })] },
  { name: 'POST /user with a right-to-left override in the name', status: 422, type: 'validation-failed', request: () => ['/user', json({ name: 'ann\u202egpj.exe' })] },
  { name: 'POST /user with a first strong isolate in the name', status: 422, type: 'validation-failed', request: () => ['/user', json({ name: '\u2068ann' })] },
  { name: 'POST /user with a body over 16 KB', status: 413, type: 'payload-too-large', request: () => ['/user', json({ name: 'x'.repeat(20_000) })] },
  {
    name: 'POST /user from an address past MAX_SIGNUPS_PER_IP_PER_HOUR',
    status: 429,
    type: 'too-many-signups',
    limited: true,
    request: (c) => ['/user', { ...json({ name: 'second' }), headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': c.signedUpAddress } }],
    headers: { 'retry-after': /^\d+$/ },
  },
  { name: 'GET /user without a token', status: 401, type: 'unauthorized', request: (c) => [`/user?id=${c.user.id}`, {}], headers: { 'www-authenticate': /^Bearer/ } },
  { name: 'GET /user with a wrong token', status: 401, type: 'unauthorized', request: (c) => [`/user?id=${c.user.id}`, { headers: bearer(UNKNOWN) }] },
  { name: 'GET /user with a non-UUID id', status: 422, type: 'validation-failed', request: (c) => ['/user?id=ann', { headers: bearer(c.user.token) }] },
  { name: 'POST /user/token without a token', status: 401, type: 'unauthorized', request: (c) => [`/user/token?id=${c.user.id}`, { method: 'POST' }], headers: { 'www-authenticate': /^Bearer/ } },
  { name: 'POST /user/token with a wrong token', status: 401, type: 'unauthorized', request: (c) => [`/user/token?id=${c.user.id}`, { method: 'POST', headers: bearer(UNKNOWN) }] },
  { name: 'POST /user/token with a non-UUID id', status: 422, type: 'validation-failed', request: (c) => ['/user/token?id=ann', { method: 'POST', headers: bearer(c.user.token) }] },
  { name: 'GET /user/token', status: 405, type: 'method-not-allowed', request: () => ['/user/token', {}], headers: { allow: /POST/ } },
  { name: 'DELETE /user without a token', status: 401, type: 'unauthorized', request: (c) => [`/user?id=${c.user.id}`, { method: 'DELETE' }], headers: { 'www-authenticate': /^Bearer/ } },
  { name: 'DELETE /user with a wrong token', status: 401, type: 'unauthorized', request: (c) => [`/user?id=${c.user.id}`, { method: 'DELETE', headers: bearer(UNKNOWN) }] },
  { name: 'DELETE /user of an unknown user', status: 401, type: 'unauthorized', request: (c) => [`/user?id=${UNKNOWN}`, { method: 'DELETE', headers: bearer(c.user.token) }] },
  { name: 'DELETE /user with a non-UUID id', status: 422, type: 'validation-failed', request: (c) => ['/user?id=ann', { method: 'DELETE', headers: bearer(c.user.token) }] },
  { name: 'PUT /user', status: 405, type: 'method-not-allowed', request: () => ['/user', { method: 'PUT' }], headers: { allow: /POST/ } },
  // POST /record
  { name: 'POST /record as JSON', status: 415, type: 'unsupported-media-type', request: () => ['/record', json({})] },
  {
    name: 'POST /record with a broken multipart body',
    status: 400,
    type: 'malformed-multipart',
    request: () => ['/record', { method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=xyz' }, body: '--xyz\r\nContent-Disposition: form-data; name="user"\r\n\r\nabc' }],
  },
  { name: 'POST /record with a wrong token', status: 401, type: 'unauthorized', request: (c) => ['/record', { method: 'POST', body: form(c, tinyWav(), { token: UNKNOWN }) }], headers: { 'www-authenticate': /^Bearer/ } },
  { name: 'POST /record for an unknown user', status: 401, type: 'unauthorized', request: (c) => ['/record', { method: 'POST', body: form(c, tinyWav(), { user: UNKNOWN }) }], headers: { 'www-authenticate': /^Bearer/ } },
  { name: 'POST /record with a non-UUID user', status: 422, type: 'validation-failed', request: (c) => ['/record', { method: 'POST', body: form(c, tinyWav(), { user: 'bob' }) }] },
  { name: 'POST /record with bitrate 1000', status: 422, type: 'validation-failed', request: (c) => ['/record', { method: 'POST', body: form(c, tinyWav(), { fields: { bitrate: '1000' } }) }] },
  {
    name: 'POST /record without a file',
    status: 422,
    type: 'validation-failed',
    request: (c) => {
      const body = new FormData();
      body.append('user', c.user.id);
      body.append('token', c.user.token);
      return ['/record', { method: 'POST', body }];
    },
  },
  {
    name: 'POST /record with two files',
    status: 422,
    type: 'too-many-files',
    request: (c) => {
      const body = form(c, tinyWav());
      body.append('file', new Blob([tinyWav()]), 'second.wav');
      return ['/record', { method: 'POST', body }];
    },
  },
  {
    name: 'POST /record with the file in another field',
    status: 422,
    type: 'unexpected-file-field',
    request: (c) => {
      const body = new FormData();
      body.append('user', c.user.id);
      body.append('token', c.user.token);
      body.append('audio', new Blob([tinyWav()]), 'a.wav');
      return ['/record', { method: 'POST', body }];
    },
  },
  {
    name: 'POST /record with too many fields',
    status: 422,
    type: 'too-many-fields',
    request: (c) => ['/record', { method: 'POST', body: form(c, tinyWav(), { fields: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, 'x'])) }) }],
  },
  { name: 'POST /record with a file over MAX_UPLOAD_BYTES', status: 413, type: 'payload-too-large', request: (c) => ['/record', { method: 'POST', body: form(c, new Uint8Array(MAX_UPLOAD_BYTES + 200_000)) }] },
  { name: 'POST /record with MP3 in WAV', status: 415, type: 'unsupported-audio', request: (c) => ['/record', { method: 'POST', body: form(c, withHeader(tinyWav(), 20, 0x55)) }] },
  { name: 'POST /record with text instead of audio', status: 415, type: 'unsupported-audio', request: (c) => ['/record', { method: 'POST', body: form(c, new TextEncoder().encode('hello')) }] },
  { name: 'POST /record with 0 channels', status: 422, type: 'invalid-audio', request: (c) => ['/record', { method: 'POST', body: form(c, withHeader(tinyWav(), 22, 0)) }] },
  { name: 'POST /record by a user at the storage quota', status: 403, type: 'storage-quota-exceeded', request: (c) => ['/record', { method: 'POST', body: form(c, tinyWav(), { user: c.full.id, token: c.full.token }) }] },
  { name: 'PATCH /record', status: 405, type: 'method-not-allowed', request: () => ['/record', { method: 'PATCH' }], headers: { allow: /GET/ } },
  // GET /record
  { name: 'GET /record with non-UUID ids', status: 422, type: 'validation-failed', request: () => ['/record?id=1&user=2', {}] },
  { name: 'GET /record of an unknown record', status: 404, type: 'not-found', request: (c) => [`/record?id=${UNKNOWN}&user=${c.user.id}`, {}] },
  { name: 'GET /record of another user', status: 404, type: 'not-found', request: (c) => [`/record?id=${c.record.id}&user=${UNKNOWN}`, {}] },
  { name: 'GET /record with an unsatisfiable range', status: 416, type: 'range-not-satisfiable', request: (c) => [`/record?id=${c.record.id}&user=${c.user.id}`, { headers: { Range: 'bytes=99999999-' } }], headers: { 'content-range': /^bytes \*\/\d+$/ } },
  // GET /records and DELETE /record
  { name: 'GET /records without a token', status: 401, type: 'unauthorized', request: (c) => [`/records?user=${c.user.id}`, {}], headers: { 'www-authenticate': /^Bearer/ } },
  { name: 'GET /records with limit 0', status: 422, type: 'validation-failed', request: (c) => [`/records?user=${c.user.id}&limit=0`, { headers: bearer(c.user.token) }] },
  ...FORGED_CURSORS.map(([what, decoded]): Case => ({
    name: `GET /records with a cursor whose ${what}`,
    status: 422,
    type: 'validation-failed',
    request: (c) => [`/records?user=${c.user.id}&cursor=${cursor(decoded)}`, { headers: bearer(c.user.token) }],
  })),
  { name: 'GET /records with a cursor that is not base64 JSON', status: 422, type: 'validation-failed', request: (c) => [`/records?user=${c.user.id}&cursor=%7B%7D`, { headers: bearer(c.user.token) }] },
  { name: 'DELETE /record with a wrong token', status: 401, type: 'unauthorized', request: (c) => [`/record?id=${c.record.id}&user=${c.user.id}`, { method: 'DELETE', headers: bearer(UNKNOWN) }] },
  { name: 'DELETE /record of an unknown record', status: 404, type: 'not-found', request: (c) => [`/record?id=${UNKNOWN}&user=${c.user.id}`, { method: 'DELETE', headers: bearer(c.user.token) }] },
  { name: 'POST /records', status: 405, type: 'method-not-allowed', request: () => ['/records', { method: 'POST' }] },
  // Anything else
  { name: 'GET of an unknown path', status: 404, type: 'not-found', request: () => ['/nope', {}] },
  // Names that an object literal would have found on Object.prototype.
  ...['__proto__', 'toString', 'constructor', 'hasOwnProperty'].map(
    (name): Case => ({ name: `GET /docs/assets/${name}`, status: 404, type: 'not-found', request: () => [`/docs/assets/${name}`, {}] }),
  ),
  { name: 'POST /healthz', status: 405, type: 'method-not-allowed', request: () => ['/healthz', { method: 'POST' }] },
];

const LEAKS = [/\bat [\w.<>]+ \(/, /node_modules/, /\/work\/|\/tmp\/|\/home\//, /\bselect\b|\binsert\b|\bfrom record/i, /Error:/];

for (const c of CASES) {
  errors(`when ${c.name}, then ${c.status} ${c.type}`, async (context) => {
    const [path, init] = c.request(context);
    const response = await fetch(`${(c.limited ? context.limited : context.service).url}${path}`, init);
    const text = await response.text();
    assert.is(response.status, c.status, text);
    assert.is(response.headers.get('content-type'), 'application/problem+json');
    const problem = JSON.parse(text) as { type: string; title: string; status: number; detail: string; requestId: string };
    assert.is(problem.type, `/problems/${c.type}`);
    assert.is(problem.status, c.status);
    assert.ok(problem.title && problem.detail, 'title and detail are set');
    assert.is(problem.requestId, response.headers.get('x-request-id'));
    for (const leak of LEAKS) assert.not.match(text, leak);
    assert.is(response.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(response.headers.get('content-security-policy')?.includes("default-src 'none'"));
    assert.is(response.headers.get('x-powered-by'), null);
    for (const [header, pattern] of Object.entries(c.headers ?? {})) assert.match(response.headers.get(header) ?? '', pattern);
    matchesDocument(context.document, init.method ?? 'GET', path, response, problem);
  });
}

/**
 * The answer is one the document promises: the route lists this status, the body fits the documented schema, the
 * headers documented for it are sent, and where the documented example is of the same type, its title is the one
 * sent. 405 (any route, wrong method) and 404 of an unknown path belong to no operation.
 */
function matchesDocument(document: OpenApiDocument, method: string, path: string, response: Response, problem: { type: string; title: string; status: number }) {
  const operation = operationOf(document, method, path);
  if (problem.status === 405 || (problem.status === 404 && !operation)) return;
  assert.ok(operation, `${method} ${path} is documented`);
  const documented = operation!.responses[String(problem.status)];
  assert.ok(documented, `the document lists ${problem.status} for ${method} ${path}`);
  const media = documented!.content?.['application/problem+json'];
  assert.ok(media?.schema, `${method} ${path} ${problem.status} documents a problem body`);
  assert.equal(schemaErrors(document, media!.schema!, problem), [], 'the body fits the documented schema');
  assert.ok(schemaErrors(document, media!.schema!, {}).length > 0, 'the documented schema asks for the members of a problem');
  const example = media!.example as { type: string; title: string; status: number };
  assert.is(example.status, problem.status, 'the documented example has its own status');
  for (const member of ['type', 'title', 'status', 'detail', 'requestId']) assert.ok(member in example, `the example shows ${member}`);
  assert.equal(formDifferences(example, problem), [], 'the example shows each member in the form the service sends it');
  if (example.type === problem.type) assert.is(example.title, problem.title, `the documented title of ${problem.type} is the one sent`);
  assert.equal(headerDifferences(documented!.headers, response.headers, ['www-authenticate', 'retry-after', 'content-range']), [], 'the headers are the documented ones');
  // A route that refuses a missing or wrong token says so in the document, with the scheme Swagger UI's Authorize uses.
  if (problem.status === 401) {
    const security = (operation as { security?: Record<string, unknown>[] }).security ?? [];
    const schemes = (document as unknown as { components: { securitySchemes?: Record<string, unknown> } }).components.securitySchemes ?? {};
    assert.ok(security.some((requirement) => typeof requirement === 'object' && Object.keys(requirement).some((name) => name in schemes)), `${method} ${path} documents its Bearer security`);
  }
}

errors('when Content-Length announces more than MAX_UPLOAD_BYTES, then 413 comes before the body is sent', async ({ service, user }) => {
  // A raw request that sends only its head: the answer must not wait for a body.
  const { port } = new URL(service.url);
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(
        `POST /record HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${MAX_UPLOAD_BYTES * 10}\r\nAuthorization: Bearer ${user.token}\r\n\r\n`,
      );
    });
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(data);
      }
    });
    socket.on('error', reject);
    setTimeout(() => reject(new Error('no answer without a body')), 5000);
  });
  assert.match(answer, /^HTTP\/1\.1 413 /);
  assert.equal(await service.spooledFiles(), []);
});

/**
 * Sends a chunked multipart upload whose file part never ends, until the server answers or closes: how many bytes
 * a refusal costs. Chunked, with no Content-Length, so nothing tells the server the size up front.
 */
async function pumpUntilAnswered(port: number, fields: Record<string, string>): Promise<{ answer: string; sent: number }> {
  const boundary = 'pumped';
  const head =
    Object.entries(fields).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('') +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n\r\n`;
  const frame = (data: string | Buffer) => Buffer.concat([Buffer.from(`${Buffer.byteLength(data).toString(16)}\r\n`), Buffer.from(data), Buffer.from('\r\n')]);
  const limit = 500 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`POST /record HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      socket.write(frame(head));
      // A WAV of unknown length: nothing in it can be refused before it ends, so the size limit is what refuses it.
      socket.write(frame(Buffer.from(headerOfUnknownLength())));
      const chunk = frame(Buffer.alloc(64 * 1024));
      const pump = () => {
        while (!socket.destroyed && !answer && sent < limit) {
          sent += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    socket.on('data', (data) => (answer += data.toString()));
    socket.on('close', () => resolve({ answer, sent }));
    socket.on('error', (e) => resolve({ answer: answer || String(e), sent }));
    setTimeout(() => reject(new Error(`no answer after ${sent} bytes`)), 10_000);
  });
}

// Socket buffers hold a few megabytes; the rest of a 500 MB body is never read.
const CHEAP_BYTES = 32 * 1024 * 1024;

errors('when the token is wrong, then the 401 comes after the fields and the connection closes instead of reading the file', async ({ service, user }) => {
  const { answer, sent } = await pumpUntilAnswered(Number(new URL(service.url).port), { user: user.id, token: 'wrong' });
  assert.match(answer, /^HTTP\/1\.1 401 /, `after ${sent} bytes: ${JSON.stringify(answer.slice(0, 200))}`);
  assert.match(answer, /Connection: close/i);
  assert.ok(sent < CHEAP_BYTES, `the client got to send ${sent} bytes`);
  assert.equal(await service.spooledFiles(), []);
});

errors('when a chunked upload passes MAX_UPLOAD_BYTES, then 413 comes while it streams, not after', async ({ service, user }) => {
  const { answer, sent } = await pumpUntilAnswered(Number(new URL(service.url).port), { user: user.id, token: user.token });
  assert.match(answer, /^HTTP\/1\.1 413 /, `after ${sent} bytes: ${JSON.stringify(answer.slice(0, 200))}`);
  assert.ok(sent < CHEAP_BYTES, `the client got to send ${sent} bytes`);
  for (let i = 0; i < 500 && (await service.spooledFiles()).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await service.spooledFiles(), []);
});

errors('when the request id is given by the client, then it is echoed in the header and the problem', async ({ service }) => {
  const response = await fetch(`${service.url}/nope`, { headers: { 'X-Request-Id': 'client-chosen-42' } });
  assert.is(response.headers.get('x-request-id'), 'client-chosen-42');
  assert.is(((await response.json()) as { requestId: string }).requestId, 'client-chosen-42');
});

errors.run();
