// Receives the multipart upload of POST /record: spools the one WAV file to disk (never into memory), and only once
// the caller has checked the user's token and reserved room in the spool, when the file part starts. The caller is
// told as soon as the file starts, and then as its bytes reach the disk, so it can convert while the upload arrives.
import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import multer from '@koa/multer';
import type { Context } from 'koa';
import { FileArrival, type ArrivingFile } from '../audio/arriving-file.js';
import { HttpProblem } from './errors.js';
import type { SpoolReservation } from './spool-budget.js';

export interface SpooledFile {
  path: string;
  originalName: string;
  size: number;
}

export interface WavUploadLimits {
  spoolDir: string;
  maxUploadBytes: number;
}

/**
 * Called when the file part starts, with the text fields sent before it: authenticates and reserves spool space for
 * the file, or throws to refuse the upload with nothing written.
 */
export type BeforeFile = (fieldsSoFar: Record<string, string>) => Promise<SpoolReservation>;

/**
 * Called once the file part has started to be spooled, with the file as it arrives. A rejection of the promise it
 * returns refuses the upload at once, without reading the rest (a recording whose header rules it out), unless the
 * upload itself failed first.
 */
export type OnFile = (file: ArrivingFile, originalName: string) => Promise<unknown>;

// The socket hands the body over 64 KiB at a time, and a write each would cost the event loop and the thread pool a
// hand-off and a system call apiece: 3,300 for a 20-minute recording, while the conversion threads want both cores.
// The chunks of one turn of the event loop go to the spool in one write instead (cork, then uncork on the next
// turn), up to this much buffered before the upload is paused: a turn seldom brings more, and thousands of uploads
// at once on a slow disk hold no more memory than this each.
const SPOOL_WRITE_BYTES = 256 * 1024;

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

/**
 * multer's storage engine for the spool: like its diskStorage, but it also ends and removes a file whose upload
 * stops half way (diskStorage leaves such a file, and its descriptor, open), and can drop everything on request.
 */
// multer 2 hands storage engines the part as a stream; the @types package still describes multer 1.
interface IncomingFilePart {
  stream: Readable;
  originalname: string;
  path?: string;
}
type StoredFileInfo = { path: string; size: number; destination: string; filename: string };

class SpoolStorage {
  // Every file of this request, written or being written: its conversion may refuse it even after it is complete.
  readonly #streams = new Map<string, { out: WriteStream; arrival: FileArrival }>();

  constructor(
    readonly dir: string,
    readonly written: (bytes: number) => void,
    readonly started: (file: FileArrival, originalName: string) => void,
  ) {}

  _handleFile(_req: IncomingMessage, file: IncomingFilePart, cb: (error: unknown, info?: StoredFileInfo) => void): void {
    const filePath = path.join(this.dir, `${randomUUID()}.upload`);
    // Only this process reads its spool: the uploads are other people's recordings.
    const out = createWriteStream(filePath, { flags: 'wx', mode: 0o600, highWaterMark: SPOOL_WRITE_BYTES });
    const arrival = new FileArrival(filePath);
    this.#streams.set(filePath, { out, arrival });
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      void this.#discard(filePath);
      cb(error);
    };
    let gathering = false;
    file.stream.on('data', (chunk: Buffer) => {
      this.written(chunk.length);
      if (!gathering) {
        gathering = true;
        out.cork();
        setImmediate(() => {
          gathering = false;
          out.uncork();
        });
      }
      // A write's callback runs once its bytes are in the file, where a conversion thread may read them.
      const more = out.write(chunk, (error) => {
        if (!error) arrival.wrote(chunk.length);
      });
      if (!more) {
        file.stream.pause();
        out.once('drain', () => file.stream.resume());
      }
    });
    file.stream.on('end', () => out.end());
    file.stream.on('error', fail);
    file.stream.on('close', () => {
      if (!file.stream.readableEnded) fail(new Error('Request closed'));
    });
    out.on('error', fail);
    out.on('finish', () => {
      if (settled) return;
      settled = true;
      arrival.ended();
      cb(null, { path: filePath, size: out.bytesWritten, destination: this.dir, filename: path.basename(filePath) });
    });
    // Once the file exists, so that its reader can open it; not for an upload that stopped while the file was opened.
    out.once('open', () => {
      if (!arrival.hasFailed) this.started(arrival, file.originalname);
    });
  }

  _removeFile(_req: IncomingMessage, file: IncomingFilePart, cb: (error: Error | null) => void): void {
    if (file.path) void this.#discard(file.path);
    cb(null);
  }

  /** Ends and removes every file this request is still writing or has written; the request answers without them. */
  async discardAll(): Promise<void> {
    await Promise.all([...this.#streams.keys()].map((filePath) => this.#discard(filePath)));
  }

  #discard(filePath: string): Promise<void> {
    const stream = this.#streams.get(filePath);
    stream?.out.destroy();
    stream?.arrival.failed(new Error('the upload stopped before the file was complete'));
    this.#streams.delete(filePath);
    return rm(filePath, { force: true }).catch(() => {});
  }
}

const BUSBOY_PARSE_ERROR = /^(Unexpected end of (form|file)|Malformed|Multipart: Boundary not found|Request aborted|Part terminated)/;

/**
 * The refusals the request head alone decides (not multipart, a declared length over the limit): checked before the
 * body is read, and before a client that sent `Expect: 100-continue` sends it at all.
 */
export function refuseUploadFromHeaders(ctx: Context, limits: Pick<WavUploadLimits, 'maxUploadBytes'>): void {
  if (!ctx.is('multipart/form-data')) {
    throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'send the upload as multipart/form-data');
  }
  if (Number(ctx.get('Content-Length')) > limits.maxUploadBytes + MULTIPART_OVERHEAD_BYTES) {
    throw MULTER_PROBLEMS.LIMIT_FILE_SIZE!(limits.maxUploadBytes);
  }
}

export function receiveWavUpload(limits: WavUploadLimits) {
  /** The caller has already run refuseUploadFromHeaders, with its other checks of the request head. */
  return async function receive(ctx: Context, beforeFile: BeforeFile, onFile: OnFile): Promise<SpooledFile | undefined> {
    // multer answers an error only once the whole body has been read and discarded. A refusal that needs no more of
    // the body (a wrong token, too many bytes) is answered at once instead; the rest of the body is then discarded by
    // the lingering close (lingering-close.ts).
    let refuse: (error: unknown) => void = () => {};
    const refused = new Promise<never>((_, reject) => (refuse = reject));
    refused.catch(() => {}); // observed through the race below; a refusal after it settled needs no handler
    let received = 0;
    const countBytes = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxUploadBytes + MULTIPART_OVERHEAD_BYTES) refuse(MULTER_PROBLEMS.LIMIT_FILE_SIZE!(limits.maxUploadBytes));
    };
    ctx.req.on('data', countBytes);
    let reservation: SpoolReservation | undefined;
    // The file part's checks (the token looked up, spool room reserved) may still be running when the request fails:
    // the caller is told only once they have settled, so that whatever they took is there for it to give back.
    let fileChecks: Promise<unknown> = Promise.resolve();
    const spool = new SpoolStorage(
      limits.spoolDir,
      (bytes) => reservation?.written(bytes),
      (file, originalName) => {
        onFile(file, originalName).catch((error: unknown) => {
          // An upload that stopped half way is reported as such by multer, below.
          if (!file.hasFailed) refuse(error);
        });
      },
    );
    const upload = multer({
      storage: spool as unknown as multer.StorageEngine,
      // Part headers are UTF-8 in practice (browsers, curl); busboy's default would garble "запись.wav".
      defParamCharset: 'utf8',
      // fieldNameSize is busboy's default, set so that multer refuses a longer name (without it, busboy cuts the name short).
      limits: { fileSize: limits.maxUploadBytes, files: 1, fields: 10, fieldNameSize: 100, fieldSize: 1024, parts: 12, headerPairs: 50 },
      fileFilter: (req: IncomingMessage & { body?: Record<string, string> }, _file, cb) => {
        const checks = beforeFile({ ...(req.body ?? {}) });
        fileChecks = checks.catch(() => {});
        checks.then(
          (reserved) => {
            reservation = reserved;
            cb(null, true);
          },
          (error: Error) => {
            refuse(error);
            cb(error, false);
          },
        );
      },
    } as multer.Options);
    // multer hears the request end or close only from now on: one whose client went while its head was being checked
    // (a Bearer token looked up) would keep it waiting for ever.
    const gone = ctx.req.destroyed && !ctx.req.readableEnded;
    const parsed = gone ? Promise.reject(new Error('Request aborted')) : upload.single('file')(ctx as never, async () => {});
    // Whichever loses the race settles later, unobserved.
    parsed.catch(() => {});
    try {
      await Promise.race([parsed, refused]);
    } catch (error) {
      await fileChecks;
      // Whatever was being written is useless now, even if multer is still busy with the body.
      await spool.discardAll();
      const code = (error as { code?: string }).code;
      const known = code ? MULTER_PROBLEMS[code] : undefined;
      if (known) throw known(limits.maxUploadBytes);
      if (error instanceof Error && BUSBOY_PARSE_ERROR.test(error.message)) {
        // A body that is not the multipart it claims to be, or one the client stopped sending.
        throw new HttpProblem(400, 'malformed-multipart', 'Malformed multipart body', `the multipart body could not be read: ${error.message}`);
      }
      throw error;
    } finally {
      ctx.req.off('data', countBytes);
    }
    const file = (ctx as Context & { file?: { path: string; originalname: string; size: number } }).file;
    return file && { path: file.path, originalName: file.originalname, size: file.size };
  };
}
