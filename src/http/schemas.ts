// The shapes of requests and responses, as zod schemas: they validate input here and describe the API in
// the OpenAPI document.
import { z } from 'zod';
import { MP3_BITRATES_KBPS } from '../audio/mp3-encoder.js';
import { FALLBACK_UPLOAD_NAME, MAX_UPLOAD_NAME_CHARACTERS } from '../domain/upload-name.js';

// PostgreSQL text cannot hold NUL, and no name needs control characters.
const noControlCharacters = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);
// Bidirectional formatting characters (ALM, LRM, RLM, the embeddings, overrides and isolates) make a name display
// as something other than what it is: "U+202E gnp.exe" shows as "exe.png".
const noBidiControls = (s: string) => !/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(s);

export const userNameSchema = (maxLength: number) =>
  z
    .string({ error: 'name must be a string' })
    .refine((s) => s.trim().length > 0, 'name must not be empty')
    .refine((s) => [...s].length <= maxLength, `name must be at most ${maxLength} characters`)
    .refine(noControlCharacters, 'name must not contain control characters')
    .refine(noBidiControls, 'name must not contain bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069)');

export const createUserBody = (maxNameLength: number) => z.object({ name: userNameSchema(maxNameLength) }).strict();

// UUIDs are case-insensitive, and PostgreSQL prints them in lower case. Canonicalised here, at the edge, so that
// the per-user conversion slots, the queries and the logs all see one spelling of an id.
export const uuid = (field: string) =>
  z.string({ error: `${field} is required` }).uuid(`${field} must be a UUID`).toLowerCase();

// Access tokens are UUIDs too, hashed in the lower case they were handed out in (see bearer-token.ts for the header).
const accessToken = z.string().max(200).toLowerCase();

export const downloadQuery = z.object({
  id: uuid('id'),
  user: uuid('user'),
  inline: z
    .enum(['1', 'true', '0', 'false'], { error: 'inline must be 1 or 0' })
    .transform((v) => v === '1' || v === 'true')
    .optional(),
});

export const deleteQuery = z.object({ id: uuid('id'), user: uuid('user') });

export const userQuery = z.object({ id: uuid('id') });

export const MAX_PAGE_SIZE = 100;
export const listQuery = z.object({
  user: uuid('user'),
  limit: z.coerce
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(MAX_PAGE_SIZE, `limit must be at most ${MAX_PAGE_SIZE}`)
    .default(20),
  cursor: z.string().max(200, 'cursor is too long').optional(),
});

/** The CBR bitrates an upload may ask for (LAME's table from 32 kbps up). */
export const CBR_CHOICES = MP3_BITRATES_KBPS.filter((b) => b >= 32);

/** Multipart text fields of POST /record; values arrive as strings. */
export const uploadFields = z
  .object({
    user: uuid('user'),
    token: accessToken.optional(),
    bitrate: z.coerce
      .number({ error: 'bitrate must be a number of kbps' })
      .int()
      .refine((b) => (CBR_CHOICES as readonly number[]).includes(b), `bitrate must be one of ${CBR_CHOICES.join(', ')} kbps`)
      .optional(),
    vbr: z.coerce.number({ error: 'vbr must be a number' }).int().min(0, 'vbr must be 0 to 9').max(9, 'vbr must be 0 to 9').optional(),
    mono: z
      .enum(['true', 'false', '1', '0'], { error: 'mono must be true or false' })
      .transform((v) => v === 'true' || v === '1')
      .optional(),
  })
  .refine((f) => f.bitrate === undefined || f.vbr === undefined, { message: 'send either bitrate or vbr, not both', path: ['vbr'] });

// Responses. They are not used to validate what the service sends; they document it, from the same source.

export const userResponse = z.object({
  id: z.string().uuid(),
  name: z.string(),
  token: z.string().uuid().describe('The access token. Shown only here; only its SHA-256 is stored.'),
  createdAt: z.string().datetime(),
});

export const userProfileResponse = userResponse.omit({ token: true }).extend({
  storage: z.object({
    usedBytes: z.number().int().describe("Bytes of MP3 the user's records hold"),
    allowedBytes: z.number().int().nullable().describe('MAX_STORAGE_BYTES_PER_USER; null when there is no limit'),
  }),
});

export const newTokenResponse = z.object({
  id: z.string().uuid(),
  token: z.string().uuid().describe('The new access token, shown only here. The previous one no longer works.'),
});

export const recordResponse = z.object({
  id: z.string().uuid(),
  user: z.string().uuid(),
  url: z.string().url().describe('Download link: http://host:port/record?id=<record id>&user=<user id>'),
  name: z
    .string()
    .describe(
      `The uploaded file name without control or bidirectional formatting characters, at most ${MAX_UPLOAD_NAME_CHARACTERS} characters ` +
        `(shortened before its extension), or "${FALLBACK_UPLOAD_NAME}" when nothing is left`,
    ),
  fileName: z.string().describe('The name the MP3 downloads as'),
  createdAt: z.string().datetime(),
  input: z.object({
    container: z.enum(['RIFF', 'RIFX', 'RF64']),
    encoding: z.enum(['pcm', 'float', 'alaw', 'mulaw', 'ima-adpcm', 'ms-adpcm', 'gsm610']),
    bitsPerSample: z.number().int().describe('As the header declares it (the valid bits; 4 for ADPCM)'),
    sampleRate: z.number().int(),
    channels: z.number().int(),
    durationSeconds: z.number().describe('Audio converted'),
    truncated: z.boolean().describe('The file holds less audio than its header declares (a recording cut short): only what it holds was converted'),
    declaredDurationSeconds: z.number().describe('Audio the header declares; more than durationSeconds when truncated'),
  }),
  output: z.object({
    encoder: z.enum(['wasm', 'lamejs']),
    sampleRate: z.number().int(),
    channels: z.number().int(),
    bitrateKbps: z.number().int().nullable().describe('CBR bitrate; null for VBR'),
    vbrQuality: z.number().int().nullable().describe('LAME VBR quality; null for CBR'),
    bytes: z.number().int(),
  }),
});

export const recordPageResponse = z.object({
  records: z.array(recordResponse),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
});

export const problemResponse = z.object({
  type: z.string().describe('Stable identifier of the kind of error, e.g. /problems/unauthorized'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().describe('What went wrong and what to change'),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  property: z.string().optional().describe('For audio errors: the WAV header property at fault'),
  usedBytes: z.number().int().optional().describe('For storage-quota-exceeded: bytes the user stores'),
  allowedBytes: z.number().int().optional().describe('For storage-quota-exceeded: bytes the user may store'),
  neededBytes: z.number().int().optional().describe('For storage-quota-exceeded: at least the bytes the refused upload needed, when known'),
  requestId: z.string().describe('Also in the X-Request-Id header and the service log'),
});
