// The request schemas (src/http/schemas.ts) with plain calls (docs/MUTATION.md): every limit at its edge and every
// refusal with the exact message a client gets, without starting the service. test/users.test.ts,
// test/upload-options.test.ts and test/library.test.ts send the same through HTTP.
import * as assert from 'uvu/assert';
import type { z } from 'zod';
import { recordView } from '../../src/http/record-view.js';
import {
  CBR_CHOICES,
  createUserBody,
  deleteQuery,
  downloadQuery,
  listQuery,
  MAX_PAGE_SIZE,
  newTokenResponse,
  problemResponse,
  recordPageResponse,
  recordResponse,
  uploadFields,
  userProfileResponse,
  userResponse,
  userNameSchema,
  userQuery,
  uuid,
} from '../../src/http/schemas.js';
import { test } from '../support/suite.js';

const ID = '0b0e6f5c-3c1e-4f3e-9d7a-5d2f8e0c1a2b';
const USER = '7d4c2b1a-9e8f-4a6b-8c3d-2e1f0a9b8c7d';

/** The messages of a refusal, by path; throws when the input is accepted. */
function refusal(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  if (result.success) throw new Error(`accepted: ${JSON.stringify(input)}`);
  return result.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
}

function accepted<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new Error(`refused ${JSON.stringify(input)}: ${result.error.message}`);
  return result.data;
}

test('when a name is empty, too long, or holds control or bidirectional formatting characters, then it is refused with what to change', () => {
  const name = userNameSchema(5);
  assert.equal(refusal(name, 42), ['name must be a string']);
  assert.equal(refusal(name, ''), ['name must not be empty']);
  assert.equal(refusal(name, ' \t '), ['name must not be empty', 'name must not contain control characters']);
  assert.equal(refusal(name, 'abcdef'), ['name must be at most 5 characters']);
  // Characters, not UTF-16 units: five emoji are ten units.
  assert.is(accepted(name, '😀😀😀😀😀'), '😀😀😀😀😀');
  assert.equal(refusal(name, '😀😀😀😀😀😀'), ['name must be at most 5 characters']);
  assert.is(accepted(name, ' a '), ' a ');
  for (const control of ['\u0000', '\u0009', '\u001f', '\u007f']) {
    assert.equal(refusal(name, `a${control}b`), ['name must not contain control characters'], JSON.stringify(control));
  }
  for (const fine of ['\u0020', '\u007e', '\u0080', '\u00e9']) assert.is(accepted(name, `a${fine}b`), `a${fine}b`);
  const bidiMessage =
    'name must not contain bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069)';
  for (const bidi of ['\u061c', '\u200e', '\u200f', '\u202a', '\u202c', '\u202e', '\u2066', '\u2067', '\u2069']) {
    assert.equal(refusal(name, `a${bidi}b`), [bidiMessage], bidi.codePointAt(0)!.toString(16));
  }
  // Their neighbours are ordinary characters (zero-width joiner, narrow no-break space, invisible plus).
  for (const fine of ['\u061b', '\u200d', '\u2010', '\u2029', '\u202f', '\u2065', '\u206a']) {
    assert.is(accepted(name, `a${fine}b`), `a${fine}b`, fine.codePointAt(0)!.toString(16));
  }
});

test('when a sign-up body has a field besides the name, then it is refused; the limit is the one given', () => {
  assert.equal(accepted(createUserBody(3), { name: 'abc' }), { name: 'abc' });
  assert.equal(refusal(createUserBody(3), { name: 'abcd' }), ['name: name must be at most 3 characters']);
  assert.equal(refusal(createUserBody(3), { name: 'a', admin: true }), ['Unrecognized key: "admin"']);
});

test('when an id is missing or not a UUID, then the message names the field; a UUID in upper case is lowered', () => {
  assert.equal(refusal(uuid('user'), undefined), ['user is required']);
  assert.equal(refusal(uuid('user'), 'not-a-uuid'), ['user must be a UUID']);
  assert.is(accepted(uuid('user'), ID.toUpperCase()), ID);
  assert.equal(accepted(userQuery, { id: ID.toUpperCase() }), { id: ID });
  assert.equal(refusal(userQuery, {}), ['id: id is required']);
  assert.equal(accepted(deleteQuery, { id: ID, user: USER.toUpperCase() }), { id: ID, user: USER });
  assert.equal(refusal(deleteQuery, { id: ID }), ['user: user is required']);
  assert.equal(refusal(deleteQuery, { user: USER }), ['id: id is required']);
  assert.equal(refusal(downloadQuery, { id: ID, user: 'x' }), ['user: user must be a UUID']);
  assert.equal(refusal(downloadQuery, { id: 'x', user: USER }), ['id: id must be a UUID']);
  assert.equal(refusal(listQuery, {}), ['user: user is required']);
});

test('when a download says inline, then 1 and true mean yes, 0 and false no, and anything else is refused', () => {
  for (const [value, inline] of [
    ['1', true],
    ['true', true],
    ['0', false],
    ['false', false],
  ] as const) {
    assert.equal(accepted(downloadQuery, { id: ID, user: USER, inline: value }), { id: ID, user: USER, inline }, value);
  }
  assert.equal(accepted(downloadQuery, { id: ID, user: USER }), { id: ID, user: USER });
  assert.equal(refusal(downloadQuery, { id: ID, user: USER, inline: 'yes' }), ['inline: inline must be 1 or 0']);
});

test('when a page size is given, then 1 to 100 whole records are allowed, 20 by default; a cursor is at most 200 characters', () => {
  assert.is(MAX_PAGE_SIZE, 100);
  assert.equal(accepted(listQuery, { user: USER }), { user: USER, limit: 20 });
  assert.is(accepted(listQuery, { user: USER, limit: '1' }).limit, 1);
  assert.is(accepted(listQuery, { user: USER, limit: '100' }).limit, 100);
  assert.equal(refusal(listQuery, { user: USER, limit: '0' }), ['limit: limit must be at least 1']);
  assert.equal(refusal(listQuery, { user: USER, limit: '101' }), ['limit: limit must be at most 100']);
  assert.equal(refusal(listQuery, { user: USER, limit: '2.5' }), ['limit: limit must be a whole number']);
  assert.equal(refusal(listQuery, { user: USER, limit: 'ten' }), ['limit: limit must be a number']);
  assert.is(accepted(listQuery, { user: USER, cursor: 'c'.repeat(200) }).cursor, 'c'.repeat(200));
  assert.equal(refusal(listQuery, { user: USER, cursor: 'c'.repeat(201) }), ['cursor: cursor is too long']);
});

test('when an upload asks for a bitrate, then only the CBR bitrates from 32 kbps are allowed', () => {
  assert.equal([...CBR_CHOICES], [32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]);
  for (const bitrate of CBR_CHOICES) assert.is(accepted(uploadFields, { user: USER, bitrate: String(bitrate) }).bitrate, bitrate);
  const message = 'bitrate: bitrate must be one of 32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320 kbps';
  for (const bitrate of ['8', '24', '100', '384']) assert.equal(refusal(uploadFields, { user: USER, bitrate }), [message], bitrate);
  assert.equal(refusal(uploadFields, { user: USER, bitrate: 'fast' }), ['bitrate: bitrate must be a number of kbps']);
  assert.equal(refusal(uploadFields, { user: USER, bitrate: '128.5' }), ['bitrate: bitrate must be a number of kbps']);
});

test('when an upload asks for VBR, then qualities 0 to 9 are allowed, and not together with a bitrate', () => {
  for (const vbr of ['0', '9']) assert.is(accepted(uploadFields, { user: USER, vbr }).vbr, Number(vbr));
  for (const vbr of ['-1', '10']) assert.equal(refusal(uploadFields, { user: USER, vbr }), ['vbr: vbr must be 0 to 9'], vbr);
  assert.equal(refusal(uploadFields, { user: USER, vbr: 'best' }), ['vbr: vbr must be a number']);
  assert.equal(refusal(uploadFields, { user: USER, vbr: '2', bitrate: '128' }), ['vbr: send either bitrate or vbr, not both']);
});

test('when an upload says mono, then true and 1 mean yes, false and 0 no; the user is required, the token lowered', () => {
  for (const [value, mono] of [
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ] as const) {
    assert.is(accepted(uploadFields, { user: USER, mono: value }).mono, mono, value);
  }
  assert.equal(refusal(uploadFields, { user: USER, mono: 'yes' }), ['mono: mono must be true or false']);
  assert.equal(refusal(uploadFields, {}), ['user: user is required']);
  assert.equal(accepted(uploadFields, { user: USER.toUpperCase(), token: ID.toUpperCase() }), { user: USER, token: ID });
  assert.is(accepted(uploadFields, { user: USER, token: 't'.repeat(200) }).token, 't'.repeat(200));
  assert.equal(refusal(uploadFields, { user: USER, token: 't'.repeat(201) }), ['token: Too big: expected string to have <=200 characters']);
});

// The response schemas are not used to validate what the service sends; they document it in /openapi.json. Here what
// the service sends is held to them: parsed, it must come back whole (zod drops members a schema does not name).
const comesBackWhole = (schema: z.ZodType, sent: unknown, label = '') => assert.equal(accepted(schema, sent), sent, label);

test('when a record is shown, then the documented schema takes it whole, for every container, encoding and encoder the service reports', () => {
  const row = (fields: Record<string, unknown>) =>
    recordView('http://localhost:8080', {
      id: ID,
      userId: USER,
      originalName: 'take.wav',
      inputContainer: 'RIFF',
      inputEncoding: 'pcm',
      inputBitsPerSample: 16,
      inputSampleRate: 44_100,
      inputChannels: 2,
      durationSeconds: 1.5,
      declaredDurationSeconds: 2,
      sampleRate: 44_100,
      channels: 2,
      bitrateKbps: null,
      vbrQuality: 2,
      encoder: 'wasm',
      byteSize: 12_345,
      audioSha256: Buffer.alloc(32),
      chunkBytes: 256 * 1024,
      createdAt: new Date('2026-12-01T12:00:00Z'),
      ...fields,
    });
  // What the WAV reader reports as container and encoding (wav-header.ts), and the two encoders.
  for (const inputContainer of ['RIFF', 'RIFX', 'RF64']) comesBackWhole(recordResponse, row({ inputContainer }), inputContainer);
  for (const inputEncoding of ['pcm', 'float', 'alaw', 'mulaw', 'ima-adpcm', 'ms-adpcm', 'gsm610']) {
    comesBackWhole(recordResponse, row({ inputEncoding }), inputEncoding);
  }
  for (const encoder of ['wasm', 'lamejs']) comesBackWhole(recordResponse, row({ encoder, bitrateKbps: 128, vbrQuality: null }), encoder);
  comesBackWhole(recordPageResponse, { records: [row({})], nextCursor: null });
  assert.is(refusal(recordResponse, row({ inputContainer: 'AIFF' })).length, 1);
});

test('when a user, a profile, a new token or a problem is sent, then the documented schema takes it whole', () => {
  const createdAt = '2026-12-01T12:00:00.000Z';
  comesBackWhole(userResponse, { id: USER, name: 'Ada', token: ID, createdAt });
  comesBackWhole(userProfileResponse, { id: USER, name: 'Ada', createdAt, storage: { usedBytes: 10, allowedBytes: null } });
  // A profile never shows the token.
  assert.equal(accepted(userProfileResponse, { id: USER, name: 'Ada', token: ID, createdAt, storage: { usedBytes: 0, allowedBytes: 5 } }), {
    id: USER,
    name: 'Ada',
    createdAt,
    storage: { usedBytes: 0, allowedBytes: 5 },
  });
  comesBackWhole(newTokenResponse, { id: USER, token: ID });
  comesBackWhole(problemResponse, {
    type: '/problems/validation-failed',
    title: 'The request has invalid values',
    status: 422,
    detail: 'name: name must not be empty',
    errors: [{ field: 'name', message: 'name must not be empty' }],
    requestId: 'r-1',
  });
});

test.run();
