// Receives the multipart upload of POST /record: spools the one WAV file to disk (never into memory) and lets
// the caller check the user's token as soon as the fields before the file have arrived.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import multer from '@koa/multer';
import type { Context } from 'koa';
import { HttpProblem } from './errors.js';

export interface SpooledFile {
  path: string;
  originalName: string;
  size: number;
}

export interface WavUploadLimits {
  spoolDir: string;
  maxUploadBytes: number;
}

/** Called when the file part starts, with the text fields sent before it. Throw to refuse the upload unread. */
export type BeforeFile = (fieldsSoFar: Record<string, string>) => Promise<void>;

// Room for the multipart framing and the text fields around the file.
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

const MULTER_PROBLEMS: Record<string, (maxUploadBytes: number) => HttpProblem> = {
  LIMIT_FILE_SIZE: (max) => new HttpProblem(413, 'payload-too-large', 'Upload too large', `the file exceeds the limit of ${max} bytes`),
  LIMIT_FILE_COUNT: () => new HttpProblem(422, 'too-many-files', 'Too many files', 'send exactly one file, in the field `file`'),
  LIMIT_UNEXPECTED_FILE: () =>
    new HttpProblem(422, 'unexpected-file-field', 'Unexpected file field', 'send the WAV in the file field named `file`, and only one file'),
  LIMIT_PART_COUNT: () => new HttpProblem(422, 'too-many-parts', 'Too many parts', 'the form has too many parts; send user, token, options and one file'),
  LIMIT_FIELD_COUNT: () => new HttpProblem(422, 'too-many-fields', 'Too many fields', 'the form has too many fields; send user, token and options only'),
  LIMIT_FIELD_KEY: () => new HttpProblem(422, 'field-name-too-long', 'Field name too long', 'a form field name is too long'),
  LIMIT_FIELD_VALUE: () => new HttpProblem(422, 'field-value-too-long', 'Field value too long', 'a form field value is too long'),
};

const BUSBOY_PARSE_ERROR = /^(Unexpected end of (form|file)|Malformed|Multipart: Boundary not found|Request aborted|Part terminated)/;

export function receiveWavUpload(limits: WavUploadLimits) {
  return async function receive(ctx: Context, beforeFile: BeforeFile): Promise<SpooledFile | undefined> {
    if (!ctx.is('multipart/form-data')) {
      throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'send the upload as multipart/form-data');
    }
    const declared = Number(ctx.get('Content-Length'));
    if (declared > limits.maxUploadBytes + MULTIPART_OVERHEAD_BYTES) {
      // Decided from the header alone: an oversized upload costs us nothing to refuse.
      ctx.set('Connection', 'close');
      throw MULTER_PROBLEMS.LIMIT_FILE_SIZE!(limits.maxUploadBytes);
    }
    const upload = multer({
      storage: multer.diskStorage({
        destination: limits.spoolDir,
        filename: (_req, _file, cb) => cb(null, `${randomUUID()}.upload`),
      }),
      // Part headers are UTF-8 in practice (browsers, curl); busboy's default would garble "запись.wav".
      defParamCharset: 'utf8',
      limits: { fileSize: limits.maxUploadBytes, files: 1, fields: 10, fieldSize: 1024, parts: 12, headerPairs: 50 },
      fileFilter: (req: IncomingMessage & { body?: Record<string, string> }, _file, cb) => {
        beforeFile({ ...(req.body ?? {}) }).then(
          () => cb(null, true),
          (error: Error) => cb(error, false),
        );
      },
    } as multer.Options);
    try {
      await upload.single('file')(ctx as never, async () => {});
    } catch (error) {
      const code = (error as { code?: string }).code;
      const known = code ? MULTER_PROBLEMS[code] : undefined;
      if (known) throw known(limits.maxUploadBytes);
      if (error instanceof Error && BUSBOY_PARSE_ERROR.test(error.message)) {
        // A body that is not the multipart it claims to be, or one the client stopped sending.
        throw new HttpProblem(400, 'malformed-multipart', 'Malformed multipart body', `the multipart body could not be read: ${error.message}`);
      }
      throw error;
    }
    const file = (ctx as Context & { file?: { path: string; originalname: string; size: number } }).file;
    return file && { path: file.path, originalName: file.originalname, size: file.size };
  };
}
