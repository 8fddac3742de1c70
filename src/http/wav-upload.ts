// Receives the multipart upload of POST /record with busboy: the text fields, and the one WAV file spooled to disk
// (never into memory), and only once the caller has checked the user's token and reserved room in the spool, when the
// file part starts. The caller is told as soon as the file starts, and then as its bytes reach the disk, so it can
// convert while the upload arrives. Any refusal is answered at once: the rest of the body is left to the lingering
// close (lingering-close.ts).
import type { Readable } from 'node:stream';
import busboy, { type Busboy } from 'busboy';
import type { Context } from 'koa';
import type { ArrivingFile } from '../audio/arriving-file.js';
import { HttpProblem } from './errors.js';
import type { SpoolReservation } from './spool-budget.js';
import { SpoolFile } from './spool-file.js';

export interface SpooledFile {
  path: string;
  originalName: string;
  size: number;
}

/** A form read to its end: its text fields, and the file if it held one. */
export interface ReceivedForm {
  fields: Record<string, string>;
  file?: SpooledFile;
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

// Room for the multipart framing and the text fields around the file.
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

// What a form may hold: user, token, three options and the file, with room to spare.
const FORM_LIMITS = { files: 1, fields: 10, fieldNameSize: 100, fieldSize: 1024, parts: 12, headerPairs: 50 };

const FORM_PROBLEMS = {
  fileTooLarge: (max: number) => new HttpProblem(413, 'payload-too-large', 'Upload too large', `the file exceeds the limit of ${max} bytes`),
  tooManyFiles: () => new HttpProblem(422, 'too-many-files', 'Too many files', 'send exactly one file, in the field `file`'),
  unexpectedFile: () =>
    new HttpProblem(422, 'unexpected-file-field', 'Unexpected file field', 'send the WAV in the file field named `file`, and only one file'),
  tooManyParts: () => new HttpProblem(422, 'too-many-parts', 'Too many parts', 'the form has too many parts; send user, token, options and one file'),
  tooManyFields: () => new HttpProblem(422, 'too-many-fields', 'Too many fields', 'the form has too many fields; send user, token and options only'),
  fieldNameTooLong: () => new HttpProblem(422, 'field-name-too-long', 'Field name too long', 'a form field name is too long'),
  fieldValueTooLong: () => new HttpProblem(422, 'field-value-too-long', 'Field value too long', 'a form field value is too long'),
  repeatedField: (name: string) => new HttpProblem(422, 'repeated-field', 'Repeated field', `the form field \`${name}\` is sent more than once; send it once`),
  // A body that is not the multipart it claims to be, or one the client stopped sending.
  malformed: (reason: string) => new HttpProblem(400, 'malformed-multipart', 'Malformed multipart body', `the multipart body could not be read: ${reason}`),
};

/**
 * Browsers escape a line feed, a carriage return and a double quote in a file name as %0A, %0D and %22 (the HTML
 * standard's multipart/form-data rules), and busboy leaves them so; only those three are undone, since a bare % is
 * never escaped ("50%.wav").
 */
const unescapeFormName = (name: string) => name.replace(/%0A|%0D|%22/gi, (escape) => ({ '%0A': '\n', '%0D': '\r' })[escape.toUpperCase()] ?? '"');

/**
 * The refusals the request head alone decides (not multipart, a declared length over the limit): checked before the
 * body is read, and before a client that sent `Expect: 100-continue` sends it at all.
 */
export function refuseUploadFromHeaders(ctx: Context, limits: Pick<WavUploadLimits, 'maxUploadBytes'>): void {
  if (!ctx.is('multipart/form-data')) {
    throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'send the upload as multipart/form-data');
  }
  if (Number(ctx.get('Content-Length')) > limits.maxUploadBytes + MULTIPART_OVERHEAD_BYTES) {
    throw FORM_PROBLEMS.fileTooLarge(limits.maxUploadBytes);
  }
}

/** Why a file part named `name` cannot be the upload's file, if it cannot. */
function fileRefusal(name: string | undefined, filename: string | undefined): HttpProblem | undefined {
  if (typeof name !== 'string') return FORM_PROBLEMS.malformed('a part has no field name');
  if (!filename) return undefined;
  if (name.length > FORM_LIMITS.fieldNameSize) return FORM_PROBLEMS.fieldNameTooLong();
  if (name !== 'file') return FORM_PROBLEMS.unexpectedFile();
  return undefined;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Reads one request's form; the caller has already run refuseUploadFromHeaders, with its other checks of the head. */
export type ReceiveWavUpload = (ctx: Context, beforeFile: BeforeFile, onFile: OnFile) => Promise<ReceivedForm>;

export function receiveWavUpload(limits: WavUploadLimits): ReceiveWavUpload {
  return async function receive(ctx, beforeFile, onFile) {
    const { req } = ctx;
    // The client may have gone while the request head was being checked (a Bearer token looked up): its request will
    // emit nothing more.
    if (req.destroyed && !req.readableEnded) throw FORM_PROBLEMS.malformed('Request aborted');
    let parser: Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // Part headers are UTF-8 in practice (browsers, curl); busboy's default would garble "запись.wav".
        defParamCharset: 'utf8',
        // busboy reports these limits once they are reached; they are what is allowed, so it is told one more.
        limits: { ...FORM_LIMITS, fileSize: limits.maxUploadBytes + 1, fieldSize: FORM_LIMITS.fieldSize + 1, parts: FORM_LIMITS.parts + 1 },
      });
    } catch (error) {
      throw FORM_PROBLEMS.malformed(messageOf(error)); // no boundary in the Content-Type
    }

    // The form's one outcome: read to its end with its file on disk, or the first refusal or failure.
    let settled = false;
    let done: () => void = () => {};
    let refuse: (error: unknown) => void = () => {};
    const outcome = new Promise<void>((resolve, reject) => {
      done = () => {
        settled = true;
        resolve();
      };
      refuse = (error) => {
        if (settled) return;
        settled = true;
        // No more of the body is parsed; the lingering close discards the rest once the answer is sent.
        req.unpipe(parser);
        reject(error);
      };
    });
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    let spooled: { file: SpoolFile; originalName: string } | undefined;
    // The file part's checks (the token looked up, spool room reserved) may still be running when the form fails:
    // the caller is told only once they have settled, so that whatever they took is there for it to give back.
    let fileChecks: Promise<void> = Promise.resolve();

    // Bytes outside any part (a preamble) pass busboy's limits; a body is never read past the limit and its overhead.
    let received = 0;
    const countBytes = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxUploadBytes + MULTIPART_OVERHEAD_BYTES) refuse(FORM_PROBLEMS.fileTooLarge(limits.maxUploadBytes));
    };
    const clientGone = () => {
      if (!req.readableEnded) refuse(FORM_PROBLEMS.malformed('Request aborted'));
    };
    req.on('data', countBytes);
    req.on('close', clientGone);
    req.on('error', clientGone);

    parser.on('error', (error: unknown) => refuse(FORM_PROBLEMS.malformed(messageOf(error))));
    parser.on('partsLimit', () => refuse(FORM_PROBLEMS.tooManyParts()));
    parser.on('filesLimit', () => refuse(FORM_PROBLEMS.tooManyFiles()));
    parser.on('fieldsLimit', () => refuse(FORM_PROBLEMS.tooManyFields()));
    parser.on('field', (name: string | undefined, value: string, { valueTruncated }) => {
      if (typeof name !== 'string') return refuse(FORM_PROBLEMS.malformed('a part has no field name'));
      if (name.length > FORM_LIMITS.fieldNameSize) return refuse(FORM_PROBLEMS.fieldNameTooLong());
      if (valueTruncated) return refuse(FORM_PROBLEMS.fieldValueTooLong());
      if (Object.hasOwn(fields, name)) return refuse(FORM_PROBLEMS.repeatedField(name));
      fields[name] = value;
    });
    parser.on('file', (name: string | undefined, part: Readable, { filename }) => {
      part.on('error', (error) => refuse(FORM_PROBLEMS.malformed(messageOf(error))));
      let checking = false;
      let tooLarge = false;
      part.on('limit', () => {
        // Past a check still running, its own answer comes first (a wrong token is told so, whatever the size).
        if (checking) tooLarge = true;
        else refuse(FORM_PROBLEMS.fileTooLarge(limits.maxUploadBytes));
      });
      const refusal = fileRefusal(name, filename);
      if (refusal) refuse(refusal);
      // A file input left empty sends a file part with no name: no file.
      if (refusal || !filename || settled) return part.resume();
      const originalName = unescapeFormName(filename);
      checking = true;
      fileChecks = beforeFile({ ...fields }).then(
        (reservation) => {
          checking = false;
          if (settled) return void part.resume();
          if (tooLarge) return refuse(FORM_PROBLEMS.fileTooLarge(limits.maxUploadBytes));
          const file = new SpoolFile(
            limits.spoolDir,
            part,
            (bytes) => reservation.written(bytes),
            (opened) => {
              onFile(opened.arrival, originalName).catch((error: unknown) => {
                // An upload that stopped half way is answered as such, from the request's own events.
                if (!opened.arrival.hasFailed) refuse(error);
              });
            },
          );
          spooled = { file, originalName };
          file.written.catch(refuse);
        },
        (error: unknown) => {
          checking = false;
          part.resume();
          refuse(error);
        },
      );
    });
    // busboy closes once every part has been read, a file part to its end; the file is then flushed to disk.
    parser.on('close', () => {
      fileChecks.then(() => spooled?.file.written).then(done, refuse);
    });

    try {
      req.pipe(parser);
      await outcome;
    } catch (error) {
      await fileChecks;
      // Whatever was being written is useless now.
      await spooled?.file.discard();
      throw error;
    } finally {
      req.off('data', countBytes);
      req.off('close', clientGone);
      req.off('error', clientGone);
    }
    const form: ReceivedForm = { fields: { ...fields } };
    if (spooled) form.file = { path: spooled.file.path, originalName: spooled.originalName, size: await spooled.file.written };
    return form;
  };
}
