// /openapi.json as a contract: its examples are sent to the service and its answers checked against what it
// documents — the status, the content type, the body against the schema, the headers, the example's own fields. The
// error answers are checked the same way by every case of errors.test.ts. Also what Swagger UI shows of each
// operation: a summary, an operation id of its own, a description for every answer.
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import * as assert from 'uvu/assert';
import { sine } from '../fixtures/signals.js';
import { encodeWav } from '../fixtures/wav-writer.js';
import { createUser, uploadOk } from '../support/api-client.js';
import { handMadeUpload } from '../support/multipart.js';
import { fetchDocument, formDifferences, headerDifferences, operationOf, schemaErrors, type DocumentedOperation, type OpenApiDocument } from '../support/openapi-contract.js';
import { suite } from '../support/suite.js';
import { startTestService, type TestService } from '../support/test-service.js';

const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;
const MAX_NAME_LENGTH = 40;
const contract = suite<{ service: TestService; document: OpenApiDocument }>('OpenAPI document as a contract', {} as never);
contract.before(async (context) => {
  // A storage quota, as the documented profile shows one (without, allowedBytes is null).
  context.service = await startTestService({ maxUploadBytes: MAX_UPLOAD_BYTES, maxNameLength: MAX_NAME_LENGTH, maxStorageBytesPerUser: 1024 ** 3, maxConversionsPerUser: 1 });
  context.document = await fetchDocument(context.service.url);
});
contract.after(async ({ service }) => service?.close());

type Json = Record<string, unknown>;

/** Field names, nested: a documented example and a real answer of the same kind have the same ones. */
function fieldsOf(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.length > 0 ? fieldsOf(value[0], `${prefix}[]`) : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Json)
    .flatMap(([key, inner]) => [`${prefix}${key}`, ...fieldsOf(inner, `${prefix}${key}.`)])
    .sort();
}

/** A documented parameter example, or the real value a test has for it. */
function queryOf(operation: DocumentedOperation, real: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  for (const p of operation.parameters ?? []) {
    if (p.in !== 'query') continue;
    const value = real[p.name] ?? p.example;
    if (value !== undefined) query.set(p.name, String(value));
  }
  return query.size > 0 ? `?${query}` : '';
}

/**
 * Sends a request to the service and checks its answer against the document: the status is documented for the
 * operation, the content type is the documented one, a JSON body fits the schema and has the example's fields, and
 * every header documented for the status is sent. Returns the answer and the operation.
 */
async function documentedCall(
  { service, document }: { service: TestService; document: OpenApiDocument },
  method: string,
  url: string,
  init: RequestInit = {},
  { exampleIsExcerpt = false, headerExamples = true } = {},
): Promise<{ response: Response; body: unknown; operation: DocumentedOperation }> {
  const operation = operationOf(document, method, url);
  assert.ok(operation, `${method} ${url} is documented`);
  // What the document calls required is in this request (the calls below leave out every optional one somewhere).
  const query = new URL(url, 'http://x').searchParams;
  const headers = new Headers(init.headers);
  for (const p of operation!.parameters ?? []) {
    if (!p.required || p.in === 'path') continue;
    assert.ok(p.in === 'query' ? query.has(p.name) : headers.has(p.name), `${method} ${url}: ${p.in} parameter ${p.name} is documented as required and was sent`);
  }
  const response = await fetch(`${service.url}${url}`, { ...init, method, redirect: 'manual' });
  const text = await response.text();
  const documented = operation!.responses[String(response.status)];
  assert.ok(documented, `${method} ${url} answered ${response.status}, which the document lists: ${text.slice(0, 300)}`);
  const differences = headerDifferences(documented!.headers, response.headers, ['location', 'etag', 'content-range', 'retry-after', 'www-authenticate']);
  // inline=1 asks for `inline` where the example shows the default `attachment`.
  assert.equal(differences.filter((d) => !(headerExamples === false && d.includes('documented as'))), [], `${method} ${url} ${response.status}: the documented headers`);
  const contentTypes = Object.keys(documented!.content ?? {});
  if (method === 'HEAD' || response.status === 204 || response.status === 304) {
    assert.is(text, '', `${method} ${url} ${response.status} has no body`);
    return { response, body: undefined, operation: operation! };
  }
  const sent = (response.headers.get('content-type') ?? '').split(';')[0]!;
  assert.ok(contentTypes.includes(sent), `${method} ${url} ${response.status} sent ${sent}; documented: ${contentTypes.join(', ')}`);
  const media = documented!.content![sent]!;
  if (!sent.endsWith('json')) return { response, body: text, operation: operation! };
  const body = JSON.parse(text) as unknown;
  if (media.schema) assert.equal(schemaErrors(document, media.schema, body), [], `${method} ${url} ${response.status}: the body fits the documented schema`);
  assert.equal(formDifferences(media.example, body), [], `${method} ${url} ${response.status}: the example shows each field in the form the service sends it`);
  const example = media.example as { type?: unknown; title?: unknown } | undefined;
  if (sent === 'application/problem+json' && example?.type === (body as Json).type) assert.is(example?.title, (body as Json).title, `the documented title of ${String(example?.type)}`);
  const realFields = fieldsOf(body);
  if (exampleIsExcerpt) assert.ok(fieldsOf(media.example).every((field) => realFields.includes(field)), `${method} ${url}: the example is an excerpt of the answer`);
  else assert.equal(fieldsOf(media.example), realFields, `${method} ${url} ${response.status}: the example has the real answer's fields`);
  return { response, body, operation: operation! };
}

contract('when each documented example is sent, then the service answers as the document says, from sign-up to deletion', async (context) => {
  const { document } = context;
  const signUp = document.paths['/user']!.post!.requestBody!.content['application/json']!.example as Json;
  const created = (await documentedCall(context, 'POST', '/user', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(signUp) })).body as Json;
  assert.is(created.name, signUp.name, 'the documented sign-up creates that user');
  const user = { id: String(created.id), token: String(created.token) };
  const bearer = { Authorization: `Bearer ${user.token}` };

  const profile = (await documentedCall(context, 'GET', `/user${queryOf(document.paths['/user']!.get!, { id: user.id })}`, { headers: bearer })).body as Json;
  assert.is(profile.id, user.id);
  const rotated = (await documentedCall(context, 'POST', `/user/token${queryOf(document.paths['/user/token']!.post!, { id: user.id })}`, { headers: bearer })).body as Json;
  const newBearer = { Authorization: `Bearer ${String(rotated.token)}` };

  // The upload's documented fields, with this user's id and token, and a real WAV.
  const fields = document.paths['/record']!.post!.requestBody!.content['multipart/form-data']!.example as Json;
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...fields, user: user.id, token: String(rotated.token) })) form.append(name, String(value));
  form.append('file', new Blob([encodeWav({ sampleRate: 44_100, channels: 2 }, [sine(440, 1, 44_100), sine(660, 1, 44_100)])], { type: 'audio/wav' }), 'take.wav');
  const uploaded = await documentedCall(context, 'POST', '/record', { body: form });
  const record = uploaded.body as { id: string; url: string; output: Json };
  assert.is(uploaded.response.status, 201);
  assert.is(record.output.bitrateKbps, fields.bitrate, 'the documented bitrate is the one encoded');
  assert.is(uploaded.response.headers.get('location'), record.url);

  const listing = (await documentedCall(context, 'GET', `/records${queryOf(document.paths['/records']!.get!, { user: user.id })}`, { headers: newBearer })).body as { records: Json[] };
  assert.is(listing.records[0]!.id, record.id);

  // The download with every documented query parameter (inline=1 among them), a range, a revalidation, its HEAD.
  const download = `/record${queryOf(document.paths['/record']!.get!, { id: record.id, user: user.id })}`;
  assert.match(download, /inline=1/);
  const whole = await documentedCall(context, 'GET', download, {}, { headerExamples: false });
  const plain = download.replace('&inline=1', '');
  await documentedCall(context, 'GET', plain);
  assert.match(whole.response.headers.get('content-disposition') ?? '', /^inline/, 'the documented inline=1 asks for in-browser playback');
  const range = String(document.paths['/record']!.get!.parameters!.find((p) => p.name === 'Range')!.example);
  const part = await documentedCall(context, 'GET', plain, { headers: { Range: range } });
  assert.is(part.response.status, 206, `${range} is a range the service serves`);
  assert.is((await documentedCall(context, 'GET', plain, { headers: { 'If-None-Match': whole.response.headers.get('etag')! } })).response.status, 304);
  assert.is((await documentedCall(context, 'HEAD', plain)).response.status, 200);

  const removal = `/record${queryOf(document.paths['/record']!.delete!, { id: record.id, user: user.id })}`;
  assert.is((await documentedCall(context, 'DELETE', removal, { headers: newBearer })).response.status, 204);
  assert.is((await documentedCall(context, 'GET', download)).response.status, 404);
  assert.is((await documentedCall(context, 'DELETE', `/user?id=${user.id}`, { headers: newBearer })).response.status, 204);
});

contract('when a user already has a conversion in flight, then a second upload gets the documented 429 with its Retry-After', async (context) => {
  const { service } = context;
  const created = await createUser(service.url, 'busy');
  // The first upload sends its credentials and the start of its file, then stalls, holding the user's one slot.
  const parts = handMadeUpload('stalled', created);
  const stalled = net.connect(Number(new URL(service.url).port), '127.0.0.1');
  stalled.on('error', () => {});
  try {
    stalled.write(`POST /record HTTP/1.1\r\nHost: x\r\nContent-Type: ${parts.contentType}\r\nContent-Length: 4000000\r\n\r\n${parts.head}RIFF`);
    // Under MAX_UPLOAD_BYTES, or it is refused from its head.
    for (let i = 0; i < 1000 && (await service.spooledFiles()).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.is((await service.spooledFiles()).length, 1, 'the first upload is spooling');
    const form = new FormData();
    form.append('user', created.id);
    form.append('token', created.token);
    form.append('file', new Blob([encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 0.2, 8000)])]), 'second.wav');
    const second = await documentedCall(context, 'POST', '/record', { body: form });
    assert.is(second.response.status, 429);
    assert.is((second.body as Json).type, '/problems/too-many-conversions');
  } finally {
    stalled.destroy();
  }
});

contract('when upload forms are sent, then the service accepts exactly those the documented form schema allows', async (context) => {
  const { service, document } = context;
  const created = await createUser(service.url, 'forms');
  const schema = document.paths['/record']!.post!.requestBody!.content['multipart/form-data']!.schema!;
  // Swagger UI offers a file picker for a binary string only.
  const file = (schema as { properties: Record<string, Json> }).properties.file!;
  assert.equal([file.type, file.format, file.contentMediaType], ['string', 'binary', 'audio/wav'], 'the file field is a file');
  const wav = encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 0.2, 8000)]);
  const credentials = { user: created.id, token: created.token };
  const forms: [string, Record<string, string | number>, boolean][] = [
    ['credentials and a file', { ...credentials }, true],
    ['a bitrate from the list', { ...credentials, bitrate: 192 }, true],
    ['a bitrate not in the list', { ...credentials, bitrate: 100 }, false],
    ['a VBR quality', { ...credentials, vbr: 2 }, true],
    ['a VBR quality past 9', { ...credentials, vbr: 10 }, false],
    ['both a bitrate and a VBR quality', { ...credentials, bitrate: 192, vbr: 2 }, false],
    ['mono', { ...credentials, mono: 'true' }, true],
    ['mono as a word it does not know', { ...credentials, mono: 'yes' }, false],
    ['no user', { token: created.token }, false],
    ['a user that is not a UUID', { ...credentials, user: 'ann' }, false],
  ];
  for (const withFile of [true, false]) {
    for (const [what, fields, accepted] of forms) {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
      if (withFile) form.append('file', new Blob([wav], { type: 'audio/wav' }), 'form.wav');
      const response = await fetch(`${service.url}/record`, { method: 'POST', body: form });
      const served = response.status === 201;
      assert.is(served, accepted && withFile, `${what}${withFile ? '' : ', no file'}: ${response.status} ${(await response.text()).slice(0, 200)}`);
      const valid = schemaErrors(document, schema, { ...fields, ...(withFile ? { file: 'RIFF…' } : {}) }).length === 0;
      assert.is(valid, served, `${what}${withFile ? '' : ', no file'}: the schema ${valid ? 'allows' : 'refuses'} it, the service ${served ? 'accepts' : 'refuses'} it`);
    }
  }
});

contract('when the example record is read, then it is one the service could send: cut short only if shorter than declared, its link its own', ({ document }) => {
  const record = document.paths['/record']!.post!.responses['201']!.content!['application/json']!.example as {
    id: string;
    user: string;
    url: string;
    input: { truncated: boolean; durationSeconds: number; declaredDurationSeconds: number };
  };
  assert.is(record.input.truncated, record.input.durationSeconds < record.input.declaredDurationSeconds);
  const link = new URL(record.url);
  assert.equal([link.pathname, link.searchParams.get('id'), link.searchParams.get('user')], ['/record', record.id, record.user]);
});

contract('when a documented query parameter or body is left out, then the service refuses it if and only if the document calls it required', async (context) => {
  const { service, document } = context;
  const created = await createUser(service.url, 'parameters');
  const record = await uploadOk(service.url, encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 0.2, 8000)]), { user: created.id, token: created.token });
  const real = { id: record.id, user: created.id };
  const bearer = { Authorization: `Bearer ${created.token}` };
  // A body the service cannot do without is marked required.
  for (const path of ['/user', '/record'] as const) {
    const refused = await fetch(`${service.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
    assert.ok(refused.status >= 400 && refused.status < 500, `POST ${path} without a body: ${refused.status}`);
    assert.is((document.paths[path]!.post!.requestBody as { required?: boolean }).required, true, `POST ${path}'s body is documented as required`);
  }
  for (const [path, method, init] of [
    ['/record', 'get', {}],
    ['/records', 'get', { headers: bearer }],
  ] as const) {
    const operation = document.paths[path]![method]!;
    const parameters = (operation.parameters ?? []).filter((p) => p.in === 'query');
    assert.ok(parameters.some((p) => p.required) && parameters.some((p) => !p.required), `${path} has both kinds`);
    for (const left of parameters) {
      const query = new URLSearchParams(queryOf(operation, real));
      query.delete(left.name);
      const response = await fetch(`${service.url}${path}?${query}`, init);
      const body = await response.text();
      if (left.required) {
        assert.is(response.status, 422, `${path} without ${left.name}`);
        assert.ok((JSON.parse(body) as { errors: { field: string }[] }).errors.some((e) => e.field === left.name), body);
      } else {
        assert.is(response.status, 200, `${path} without ${left.name}: ${body.slice(0, 200)}`);
      }
    }
  }
});

contract('when the document is read, then it names this service and version, and the security it asks for is the Bearer header the service reads', async ({ document }) => {
  const manifest = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  const { info, components } = document as unknown as { info: { title: string; version: string; description: string }; components: { securitySchemes: Record<string, Json> } };
  assert.is(info.title, manifest.name);
  assert.is(info.version, manifest.version);
  assert.match(info.description, /WAV/);
  // Swagger UI's Authorize button sends `Authorization: Bearer <token>`, as the calls above do.
  assert.equal({ type: components.securitySchemes.bearer!.type, scheme: components.securitySchemes.bearer!.scheme }, { type: 'http', scheme: 'bearer' });
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      for (const requirement of (operation as { security?: Json[] }).security ?? []) {
        for (const name of Object.keys(requirement)) assert.ok(components.securitySchemes[name], `${method} ${path} asks for a defined scheme`);
      }
    }
  }
});

contract('when the service pages are fetched, then each answer is the documented one, examples included', async (context) => {
  const { document } = context;
  const example = (path: string, status = '200') => Object.values(document.paths[path]!.get!.responses[status]!.content!)[0]!.example;
  assert.equal((await documentedCall(context, 'GET', '/healthz')).body, example('/healthz'));
  assert.equal((await documentedCall(context, 'GET', '/readyz')).body, example('/readyz'));
  const served = (await documentedCall(context, 'GET', '/openapi.json', {}, { exampleIsExcerpt: true })).body as Json;
  assert.is(served.openapi, (example('/openapi.json') as Json).openapi);
  for (const template of ['/docs', '/', '/docs/assets/{name}', '/assets/{name}']) {
    const parameter = document.paths[template]!.get!.parameters?.find((p) => p.in === 'path');
    const url = parameter ? template.replace(`{${parameter.name}}`, String(parameter.example)) : template;
    const { response, body } = await documentedCall(context, 'GET', url);
    assert.is(response.status, 200, url);
    // The examples show how a page begins ('<!DOCTYPE html>…'); an asset's is only '…'.
    const begins = String(example(template)).replace('…', '').toLowerCase();
    assert.ok(String(body).toLowerCase().startsWith(begins), `${url} begins as documented: ${begins}`);
  }
  const page = await documentedCall(context, 'GET', '/');
  assert.is((await documentedCall(context, 'GET', '/', { headers: { 'If-None-Match': page.response.headers.get('etag')! } })).response.status, 304);
  assert.is((await documentedCall(context, 'GET', '/docs/assets/unknown.js')).response.status, 404);
  assert.is((await documentedCall(context, 'GET', '/assets/unknown.js')).response.status, 404);
  // This service has no METRICS_TOKEN: /metrics answers the documented 404.
  assert.is((await documentedCall(context, 'GET', '/metrics')).response.status, 404);
});

contract('when the document is read, then every documented example fits its own schema', ({ document }) => {
  let checked = 0;
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const media = [...Object.entries(operation.responses).flatMap(([status, r]) => Object.entries(r.content ?? {}).map(([type, m]) => [`${status} ${type}`, m] as const)), ...Object.entries(operation.requestBody?.content ?? {})];
      for (const [what, { schema, example }] of media) {
        if (!schema || example === undefined || !String(what).includes('json')) continue;
        assert.equal(schemaErrors(document, schema, example), [], `${method} ${path} ${what}: the example fits the schema`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 30, `${checked} examples checked`);
});

contract('when the document is read, then each operation has a summary, an id of its own and a description of every answer', ({ document }) => {
  const ids = new Set<string>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const where = `${method} ${path}`;
      assert.ok(operation.summary?.trim(), `${where} has a summary`);
      assert.ok(operation.operationId?.trim() && !ids.has(operation.operationId), `${where} has an operationId of its own`);
      ids.add(operation.operationId!);
      for (const [status, answer] of Object.entries(operation.responses)) assert.ok(answer.description.trim(), `${where} ${status} is described`);
      for (const p of operation.parameters ?? []) assert.ok(p.description === undefined || p.description.trim(), `${where} ${p.name} description`);
    }
  }
  assert.ok(ids.size >= 15);
  // Anywhere in the document: no empty text where a reader expects one.
  const empty: string[] = [];
  const walk = (value: unknown, at: string) => {
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${at}[${i}]`));
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (['description', 'summary', 'title', 'contentMediaType', 'example'].includes(key) && typeof inner === 'string' && !inner.trim()) empty.push(`${at}.${key}`);
        walk(inner, `${at}.${key}`);
      }
    }
  };
  walk(document, '');
  assert.equal(empty, [], 'empty texts');
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      for (const p of operation.parameters ?? []) {
        const schema = (p as { schema?: { type?: string } }).schema;
        assert.ok(p.name && ['query', 'header', 'path'].includes(p.in) && schema?.type, `${method} ${path}: parameter ${p.name} has a name, a place and a schema type`);
        if (p.required) assert.ok(p.example !== undefined, `${method} ${path}: the required ${p.name} has an example for "Try it out"`);
      }
      // An http scheme has no scopes: OpenAPI wants its requirement's list empty.
      for (const requirement of (operation as { security?: Record<string, unknown>[] }).security ?? []) {
        for (const scopes of Object.values(requirement)) assert.equal(scopes, [], `${method} ${path}: a Bearer requirement lists no scopes`);
      }
      for (const [status, answer] of Object.entries(operation.responses)) {
        if (['200', '201', '206'].includes(status) && method !== 'head') assert.ok(Object.keys(answer.content ?? {}).length > 0, `${method} ${path} ${status} says what it sends`);
        for (const [type, media] of Object.entries(answer.content ?? {})) {
          const schema = media.schema as { type?: string; $ref?: string; contentMediaType?: string } | undefined;
          assert.ok(schema || media.example !== undefined, `${method} ${path} ${status} ${type}: a schema or an example`);
          if (schema) assert.ok(schema.type || schema.$ref, `${method} ${path} ${status} ${type}: the schema has a type`);
          if (schema?.contentMediaType !== undefined) assert.is(schema.contentMediaType, type);
        }
      }
    }
  }
  // The limits in the texts are the service's own.
  const upload = document.paths['/record']!.post! as DocumentedOperation & { description: string };
  assert.ok(upload.description.includes(`At most ${MAX_UPLOAD_BYTES} bytes`));
  const tooLarge = upload.responses['413']!.content!['application/problem+json']!.example as Json;
  assert.match(String(tooLarge.detail), String(MAX_UPLOAD_BYTES));
  const name = document.paths['/user']!.post!.requestBody!.content['application/json']!.schema as { properties: { name: Json } };
  assert.is(name.properties.name.maxLength, MAX_NAME_LENGTH);
});

contract.run();
