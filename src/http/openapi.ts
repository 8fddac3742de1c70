// The OpenAPI 3.1 document, built from the zod schemas that validate requests, so the two cannot drift apart.
import { z } from 'zod';
import {
  CBR_CHOICES,
  createUserBody,
  deleteQuery,
  downloadQuery,
  listQuery,
  problemResponse,
  recordPageResponse,
  recordResponse,
  uploadFields,
  userProfileResponse,
  userQuery,
  userResponse,
  newTokenResponse,
} from './schemas.js';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** Query parameters from an object schema: one parameter per property. */
function queryParameters(schema: z.ZodObject, examples: Record<string, unknown>) {
  const json = schemaOf(schema, 'input') as { properties: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
    ...(examples[name] !== undefined ? { example: examples[name] } : {}),
  }));
}

const EXAMPLE_USER = '3f0c2a4e-8d1b-4c6e-9f2a-5b7d8e9f0a1b';
const EXAMPLE_RECORD = 'c2d4e6f8-1a3b-4c5d-8e7f-9a0b1c2d3e4f';
const EXAMPLE_TOKEN = '9b1e7c3a-2d4f-4a6b-8c9d-0e1f2a3b4c5d';

/** `facts`: the members a problem of this type carries beside the standard ones (e.g. the bytes of a quota refusal). */
const problem = (description: string, type: string, status: number, detail: string, headers?: Record<string, unknown>, facts: Record<string, unknown> = {}) => ({
  description,
  ...(headers ? { headers } : {}),
  content: {
    'application/problem+json': {
      schema: { $ref: '#/components/schemas/Problem' },
      example: { type: `/problems/${type}`, title: description, status, detail, ...facts, requestId: 'b5e1c0de-0000-4000-8000-000000000001' },
    },
  },
});

// The web page and its assets have no fingerprinted names: revalidated on every use, cheaply, with their ETag.
const PAGE_CACHING = {
  ETag: { schema: { type: 'string' }, description: 'Send it back as If-None-Match to get 304 while the file is unchanged' },
  'Cache-Control': { schema: { type: 'string' }, example: 'no-cache' },
};
const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } };
const WWW_AUTHENTICATE = { 'WWW-Authenticate': { schema: { type: 'string' }, example: 'Bearer realm="wav2mp3"' } };
const UNAUTHORIZED = problem('Authentication failed', 'unauthorized', 401, 'the user id and token do not match a user', WWW_AUTHENTICATE);
const INVALID = problem('The request has invalid values', 'validation-failed', 422, 'user: user must be a UUID');
const NOT_FOUND = problem('Not found', 'not-found', 404, 'the record was not found');

const EXAMPLE_RECORD_VIEW = {
  id: EXAMPLE_RECORD,
  user: EXAMPLE_USER,
  url: `http://localhost:8000/record?id=${EXAMPLE_RECORD}&user=${EXAMPLE_USER}`,
  name: 'take.wav',
  fileName: 'take.mp3',
  createdAt: '2026-11-26T12:00:00.000Z',
  input: { container: 'RIFF', encoding: 'pcm', bitsPerSample: 16, sampleRate: 44100, channels: 2, durationSeconds: 12.5, truncated: false, declaredDurationSeconds: 12.5 },
  output: { encoder: 'wasm', sampleRate: 44100, channels: 2, bitrateKbps: 128, vbrQuality: null, bytes: 201234 },
};

/** POST /user's body. The name's rules are zod refinements (its length counts characters, not UTF-16 units), which
 * do not reach JSON Schema: they are said here, where JSON Schema's maxLength counts the same way. */
function signUpSchema(maxNameLength: number): JsonSchema {
  const body = schemaOf(createUserBody(maxNameLength), 'input') as { properties: { name: JsonSchema } };
  const name = {
    ...body.properties.name,
    minLength: 1,
    maxLength: maxNameLength,
    description: `Shown in the profile: not blank, at most ${maxNameLength} characters, no control or bidirectional formatting characters`,
  };
  return { ...body, properties: { ...body.properties, name } };
}

export function openApiDocument(options: { maxNameLength: number; maxUploadBytes: number }) {
  const uploadSchema = schemaOf(uploadFields, 'input') as { properties: Record<string, JsonSchema>; required: string[] };
  const downloadHeaders = {
    'Accept-Ranges': { schema: { type: 'string' }, example: 'bytes' },
    ETag: { schema: { type: 'string' }, description: 'Strong validator derived from the audio content hash' },
    'Last-Modified': { schema: { type: 'string' } },
    'Cache-Control': { schema: { type: 'string' }, example: 'private, max-age=31536000, immutable' },
    'Content-Disposition': { schema: { type: 'string' }, example: `attachment; filename="take.mp3"; filename*=UTF-8''take.mp3` },
  };
  const mp3 = { 'audio/mpeg': { schema: { type: 'string', contentMediaType: 'audio/mpeg' } } };
  const downloadParameters = [
    ...queryParameters(downloadQuery, { id: EXAMPLE_RECORD, user: EXAMPLE_USER, inline: '1' }),
    { name: 'Range', in: 'header', required: false, schema: { type: 'string' }, example: 'bytes=0-1023', description: 'One byte range; several are answered with the whole file' },
    { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } },
    { name: 'If-Modified-Since', in: 'header', required: false, schema: { type: 'string' } },
    { name: 'If-Range', in: 'header', required: false, schema: { type: 'string' } },
  ];
  const downloadResponses = {
    '200': { description: 'The MP3', headers: downloadHeaders, content: mp3 },
    '206': { description: 'The requested byte range', headers: { ...downloadHeaders, 'Content-Range': { schema: { type: 'string' }, example: 'bytes 0-1023/201234' } }, content: mp3 },
    '304': { description: 'The cached copy is current', headers: downloadHeaders },
    '404': NOT_FOUND,
    '416': problem('Range not satisfiable', 'range-not-satisfiable', 416, 'the file has 201234 bytes; ask for a range inside it', {
      'Content-Range': { schema: { type: 'string' }, example: 'bytes */201234' },
    }),
    '422': INVALID,
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'wav2mp3',
      version: '0.1.0',
      description:
        'Converts WAV recordings to MP3 (LAME) and keeps them in PostgreSQL. Create a user, upload a WAV with its token, download the MP3. Every error is application/problem+json (RFC 9457).',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The token returned by POST /user' } },
      schemas: {
        Problem: schemaOf(problemResponse),
        User: schemaOf(userResponse),
        Record: schemaOf(recordResponse),
        RecordPage: schemaOf(recordPageResponse),
      },
    },
    paths: {
      '/user': {
        get: {
          summary: "The user's own profile (for a client that kept only the id and token)",
          operationId: 'getUser',
          security: [{ bearer: [] }],
          parameters: queryParameters(userQuery, { id: EXAMPLE_USER }),
          responses: {
            '200': {
              description: 'The user and the storage their records take',
              content: {
                'application/json': {
                  schema: schemaOf(userProfileResponse),
                  example: { id: EXAMPLE_USER, name: 'Ann', createdAt: '2026-11-26T12:00:00.000Z', storage: { usedBytes: 201234, allowedBytes: 1073741824 } },
                },
              },
            },
            '401': UNAUTHORIZED,
            '422': INVALID,
          },
        },
        delete: {
          summary: 'Delete the user, every record and every MP3 byte (in one transaction); their links answer 404 afterwards',
          operationId: 'deleteUser',
          security: [{ bearer: [] }],
          parameters: queryParameters(userQuery, { id: EXAMPLE_USER }),
          responses: { '204': { description: 'Deleted' }, '401': UNAUTHORIZED, '422': INVALID },
        },
        post: {
          summary: 'Create a user',
          operationId: 'createUser',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: signUpSchema(options.maxNameLength), example: { name: 'Ann' } } },
          },
          responses: {
            '201': { description: 'The user and its access token', content: { 'application/json': { schema: { $ref: '#/components/schemas/User' }, example: { id: EXAMPLE_USER, name: 'Ann', token: EXAMPLE_TOKEN, createdAt: '2026-11-26T12:00:00.000Z' } } } },
            '400': problem('Malformed JSON', 'malformed-json', 400, 'the body is not valid JSON; send {"name": "..."}'),
            '413': problem('Body too large', 'payload-too-large', 413, 'the JSON body must be under 16kb'),
            '415': problem('Unsupported media type', 'unsupported-media-type', 415, 'send the body as application/json: {"name": "..."}'),
            '422': problem('The request has invalid values', 'validation-failed', 422, 'name: name must not be empty'),
            '429': {
              ...problem('Too many sign-ups from this address', 'too-many-signups', 429, 'this address has created 20 users in the last hour, the most allowed; retry in 1200 s'),
              headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds until this address may sign up again' } },
            },
          },
        },
      },
      '/user/token': {
        post: {
          summary: 'Replace the access token: the new one is shown once, the old one stops working at once',
          operationId: 'rotateToken',
          security: [{ bearer: [] }],
          parameters: queryParameters(userQuery, { id: EXAMPLE_USER }),
          responses: {
            '200': { description: 'The new token', content: { 'application/json': { schema: schemaOf(newTokenResponse), example: { id: EXAMPLE_USER, token: EXAMPLE_TOKEN } } } },
            '401': UNAUTHORIZED,
            '422': INVALID,
          },
        },
      },
      '/record': {
        post: {
          summary: 'Upload a WAV and convert it to MP3',
          description: `Send \`user\` and \`token\` before \`file\`: the token is then checked before the file is read, and nothing is stored for a client not yet authenticated (a file part before the credentials gets 422 credentials-after-file). The token may come as a Bearer header instead. At most ${options.maxUploadBytes} bytes.`,
          operationId: 'uploadRecord',
          security: [{}, { bearer: [] }],
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  properties: {
                    ...uploadSchema.properties,
                    // zod's refinements (the list of bitrates, "not both") do not reach JSON Schema; say them here.
                    bitrate: { type: 'integer', enum: CBR_CHOICES, description: 'CBR bitrate in kbps (default 128); leave empty when sending vbr' },
                    vbr: { type: 'integer', minimum: 0, maximum: 9, description: 'LAME VBR quality, 0 (best) to 9; instead of bitrate' },
                    file: { type: 'string', format: 'binary', contentMediaType: 'audio/wav', description: 'The WAV file' },
                  },
                  required: [...uploadSchema.required, 'file'],
                  not: { required: ['bitrate', 'vbr'] },
                },
                encoding: { file: { contentType: 'audio/wav, audio/x-wav, application/octet-stream' } },
                example: { user: EXAMPLE_USER, token: EXAMPLE_TOKEN, bitrate: 192 },
              },
            },
          },
          responses: {
            '201': {
              description: 'Converted and stored',
              headers: { Location: { schema: { type: 'string' }, description: 'The download URL' } },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Record' }, example: EXAMPLE_RECORD_VIEW } },
            },
            '400': problem('Malformed multipart body', 'malformed-multipart', 400, 'the multipart body could not be read: Unexpected end of form'),
            '401': UNAUTHORIZED,
            '403': {
              ...problem(
                'Storage quota exceeded',
                'storage-quota-exceeded',
                403,
                'this user stores 1073000000 bytes of MP3 of the 1073741824 allowed, and this recording needs 1920000 more; delete recordings (DELETE /record) to make room, or choose a lower bitrate',
                undefined,
                { usedBytes: 1073000000, allowedBytes: 1073741824, neededBytes: 1920000 },
              ),
              description: 'The user is at MAX_STORAGE_BYTES_PER_USER (refused before the body is read), the header says the MP3 would pass it (before encoding), or it did (at commit). usedBytes, allowedBytes and neededBytes (when known) are in the body.',
            },
            '413': problem('Upload too large', 'payload-too-large', 413, `the file exceeds the limit of ${options.maxUploadBytes} bytes`),
            '415': {
              ...problem('Unsupported audio format', 'unsupported-audio', 415, 'format tag 0x0055 (MPEG Layer 3 (MP3)) is not supported; supported: PCM, IEEE float, A-law, µ-law, IMA ADPCM, Microsoft ADPCM, GSM 6.10'),
              description: 'Not multipart/form-data, or audio that is not a WAV we convert (the detail names the header property)',
            },
            '422': { ...INVALID, description: 'Invalid fields or options, the file part before the credentials (credentials-after-file), a WAV whose header contradicts itself, or a recording over the duration limit' },
            '429': {
              ...problem('Too many conversions in progress', 'too-many-conversions', 429, 'you already have 2 conversions in progress, the most this server runs at once for one user; retry when one finishes', RETRY_AFTER),
              description: 'The user at their cap of conversions in flight, or the client address at its cap of connections (too-many-connections-from-address)',
            },
            '503': {
              ...problem('Service busy', 'service-busy', 503, 'every conversion slot is taken; retry shortly', RETRY_AFTER),
              description: 'No conversion thread or queue place free, the upload spool full (upload-spool-full) or its disk short of space (low-disk-space), too many connections, the database unreachable, or shutting down',
            },
          },
        },
        get: {
          summary: 'Download the MP3',
          description: 'Streams the MP3; supports single byte ranges, ETag / If-None-Match, If-Range and Last-Modified. `inline=1` for in-browser playback.',
          operationId: 'downloadRecord',
          parameters: downloadParameters,
          responses: downloadResponses,
        },
        head: {
          summary: 'Headers of the MP3 download, without the body',
          operationId: 'headRecord',
          parameters: downloadParameters,
          responses: Object.fromEntries(Object.entries(downloadResponses).map(([status, r]) => [status, { description: r.description, headers: 'headers' in r ? r.headers : {} }])),
        },
        delete: {
          summary: 'Delete a record and its MP3',
          operationId: 'deleteRecord',
          security: [{ bearer: [] }],
          parameters: queryParameters(deleteQuery, { id: EXAMPLE_RECORD, user: EXAMPLE_USER }),
          responses: { '204': { description: 'Deleted' }, '401': UNAUTHORIZED, '404': NOT_FOUND, '422': INVALID },
        },
      },
      '/records': {
        get: {
          summary: "List the user's records, newest first",
          operationId: 'listRecords',
          security: [{ bearer: [] }],
          parameters: queryParameters(listQuery, { user: EXAMPLE_USER, limit: 20 }),
          responses: {
            '200': { description: 'One page', content: { 'application/json': { schema: { $ref: '#/components/schemas/RecordPage' }, example: { records: [EXAMPLE_RECORD_VIEW], nextCursor: null } } } },
            '401': UNAUTHORIZED,
            '422': INVALID,
          },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', operationId: 'openApiDocument', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { example: { openapi: '3.1.0' } } } } } },
      },
      '/docs': {
        get: { summary: 'Swagger UI for this document', operationId: 'swaggerUi', responses: { '200': { description: 'HTML page', content: { 'text/html': { example: '<!DOCTYPE html>…' } } } } },
      },
      '/docs/assets/{name}': {
        get: {
          summary: 'Swagger UI assets',
          operationId: 'swaggerUiAsset',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' }, example: 'swagger-ui-bundle.js' }],
          responses: {
            '200': { description: 'The asset', content: { 'application/javascript': { example: '…' } } },
            '404': problem('Not found', 'not-found', 404, 'no route for GET /docs/assets/unknown.js'),
          },
        },
      },
      '/': {
        get: {
          summary: 'The web page: convert WAV files in the browser',
          operationId: 'webPage',
          responses: {
            '200': { description: 'HTML page', headers: PAGE_CACHING, content: { 'text/html': { example: '<!doctype html>…' } } },
            '304': { description: 'The cached copy is current', headers: PAGE_CACHING },
          },
        },
      },
      '/assets/{name}': {
        get: {
          summary: 'Assets of the web page',
          operationId: 'webPageAsset',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' }, example: 'app.js' }],
          responses: {
            '200': { description: 'The asset', headers: PAGE_CACHING, content: { 'text/javascript': { example: '…' } } },
            '304': { description: 'The cached copy is current', headers: PAGE_CACHING },
            '404': problem('Not found', 'not-found', 404, 'no route for GET /assets/unknown.js'),
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (only when METRICS_TOKEN is set, with it as a Bearer token)',
          operationId: 'metrics',
          responses: {
            '200': { description: 'Prometheus text format', content: { 'text/plain': { example: 'conversions_succeeded_total 42' } } },
            '401': problem('Authentication failed', 'unauthorized', 401, 'send the metrics token as a Bearer header', WWW_AUTHENTICATE),
            '404': problem('Not found', 'not-found', 404, 'metrics are disabled: they are served only when the service has a METRICS_TOKEN'),
          },
        },
      },
      '/healthz': {
        get: { summary: 'Liveness', operationId: 'health', responses: { '200': { description: 'The process runs', content: { 'application/json': { example: { status: 'ok' } } } } } },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: the database answers',
          operationId: 'ready',
          responses: {
            '200': { description: 'Ready', content: { 'application/json': { example: { status: 'ready' } } } },
            '503': problem('Database unavailable', 'database-unavailable', 503, 'the database does not answer', RETRY_AFTER),
          },
        },
      },
    },
  };
}
