// POST /record: refuse what the headers already rule out, authenticate, reserve spool space, spool the WAV and convert
// it as it arrives, answer with the new record. Nothing reaches the disk before the user is authenticated.
import { rm } from 'node:fs/promises';
import type Router from '@koa/router';
import { wholeFile, type ArrivingFile } from '../../audio/arriving-file.js';
import type { ConversionPool } from '../../audio/conversion-pool.js';
import type { EncoderName } from '../../audio/mp3-encoder.js';
import type { Sql } from '../../db/connect.js';
import type { RecordRow } from '../../db/record-queries.js';
import { convertUpload, ensureConversionCapacity, type ConversionOutcomeListener } from '../../domain/convert-upload.js';
import { unauthorized, validationFailed } from '../../domain/errors.js';
import { storageLeft, type StorageQuota } from '../../domain/storage-quota.js';
import type { UserConversionSlots } from '../../domain/user-conversion-slots.js';
import { authenticateUser, findUserIdByToken } from '../../domain/users.js';
import { bearerToken } from '../bearer-token.js';
import { recordView } from '../record-view.js';
import { HttpProblem } from '../errors.js';
import type { LinkOrigin } from '../request-origin.js';
import { uploadFields } from '../schemas.js';
import { parseInput } from '../validate.js';
import type { SpoolBudget, SpoolReservation } from '../spool-budget.js';
import { receiveWavUpload, refuseUploadFromHeaders, type SpooledFile } from '../wav-upload.js';

export interface RecordUploadDeps {
  sql: Sql;
  pool: ConversionPool;
  encoder: EncoderName;
  spoolDir: string;
  maxUploadBytes: number;
  maxAudioSeconds: number;
  linkOrigin: LinkOrigin;
  conversionSlots: UserConversionSlots;
  spoolBudget: SpoolBudget;
  storageQuota: StorageQuota;
  conversionEvents?: ConversionOutcomeListener;
}

// A file part before the credentials would have to be stored before anyone knows whose it is.
const credentialsAfterFile = () =>
  new HttpProblem(
    422,
    'credentials-after-file',
    'Credentials must come before the file',
    'send the `user` and `token` fields before the `file` field (curl -F and browsers keep the order given), or send the token as an Authorization: Bearer header',
  );

/** HTML forms (and Swagger UI) send empty inputs as empty fields; an empty option means "not given". */
const withoutBlanks = (fields: Record<string, string> = {}) => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ''));

export function recordUploadRoutes(router: Router, deps: RecordUploadDeps): void {
  const { sql, pool, linkOrigin } = deps;
  const limits = { spoolDir: deps.spoolDir, maxUploadBytes: deps.maxUploadBytes };
  const receive = receiveWavUpload(limits);

  router.post('/record', async (ctx) => {
    const headerToken = bearerToken(ctx);
    let authenticatedUser: string | undefined;
    let releaseSlot: (() => void) | undefined;
    let file: SpooledFile | undefined;
    let reservation: SpoolReservation | undefined;
    // MP3 bytes this user may still store: a user at the quota is refused before the body is read.
    let roomBytes = Infinity;
    // The conversion, begun as soon as the file starts to arrive, and what stops it. It commits its record only once
    // the whole request has been read and found valid.
    let conversion: { promise: Promise<RecordRow>; options: string; stop: AbortController } | undefined;
    const requestRead = readToTheEnd();
    const admit = async (userId: string) => {
      authenticatedUser = userId;
      releaseSlot = deps.conversionSlots.acquire(userId);
      roomBytes = await storageLeft(sql, userId, deps.storageQuota);
    };
    const convert = (userId: string, fields: UploadFields, upload: ArrivingFile, originalName: string) => {
      const stop = new AbortController();
      const promise = convertUpload(
        { sql, pool, events: deps.conversionEvents, storageQuota: deps.storageQuota },
        userId,
        { file: upload, originalName },
        {
          encoder: deps.encoder,
          bitrateKbps: fields.bitrate,
          vbrQuality: fields.vbr,
          mono: fields.mono,
          maxDurationSeconds: deps.maxAudioSeconds,
          maxOutputBytes: Number.isFinite(roomBytes) ? roomBytes : undefined,
        },
        { signal: stop.signal, beforeCommit: requestRead.promise },
      );
      // Observed below, or stopped and no longer wanted.
      promise.catch(() => {});
      conversion = { promise, options: optionsKey(fields), stop };
      return promise;
    };
    try {
      // What the request head alone decides is refused before any of the body is read, and before a client that
      // asked `Expect: 100-continue` sends it: the media type and declared size, a Bearer token that matches no user,
      // that user at their cap, and no room in the conversion queue.
      refuseUploadFromHeaders(ctx, limits);
      if (headerToken !== undefined) await admit(await findUserIdByToken(sql, headerToken));
      ensureConversionCapacity(pool);
      // Without a Bearer header the token is a form field, checked as soon as the user id is known: before the file is
      // read, since nothing is stored for someone not yet known, and in any case before any conversion.
      const authenticate = async (fields: Record<string, string>) => {
        const parsed = parseInput(uploadFields, withoutBlanks(fields));
        if (authenticatedUser === undefined) {
          await authenticateUser(sql, parsed.user, parsed.token);
          await admit(parsed.user);
        } else if (parsed.user !== authenticatedUser) {
          throw unauthorized();
        }
        return parsed;
      };
      let fieldsAtFile: UploadFields | undefined;
      const form = await receive(
        ctx,
        async (fieldsSoFar) => {
          if (fieldsSoFar.user !== undefined) fieldsAtFile = await authenticate(fieldsSoFar);
          else if (authenticatedUser === undefined) throw credentialsAfterFile();
          // With a Bearer token the user field may still follow; the options sent so far are what the conversion
          // starts with (a bad one is refused now).
          else fieldsAtFile = parseInput(uploadFields, withoutBlanks({ ...fieldsSoFar, user: authenticatedUser }));
          // The declared length bounds the file; a body of unknown length (chunked) may be as large as allowed.
          const declared = Number(ctx.get('Content-Length'));
          reservation = await deps.spoolBudget.reserve(declared > 0 ? declared : deps.maxUploadBytes);
          return reservation;
        },
        (upload, originalName) => convert(authenticatedUser!, fieldsAtFile!, upload, originalName),
      );
      file = form.file;
      const fields = await authenticate(form.fields);
      if (!file || !conversion) throw validationFailed([{ field: 'file', message: 'attach the WAV file in the form field `file`' }]);
      if (conversion.options !== optionsKey(fields)) {
        // Options sent after the file: the conversion begun without them starts again, from the whole file.
        conversion.stop.abort();
        await conversion.promise.catch(() => {});
        convert(fields.user, fields, wholeFile(file.path, file.size), file.originalName);
      }
      requestRead.resolve();
      const record = await conversion.promise;
      const view = recordView(linkOrigin(ctx), record);
      ctx.status = 201;
      ctx.set('Location', view.url);
      ctx.body = view;
    } finally {
      requestRead.reject(new Error('the request ended before it was read'));
      // A conversion still running (the upload failed, or was refused) stops, and is over, before its file goes.
      if (conversion) {
        conversion.stop.abort();
        await conversion.promise.catch(() => {});
      }
      releaseSlot?.();
      if (file) await rm(file.path, { force: true });
      reservation?.release();
    }
  });
}

/** Settled once the request has been read: resolved if it was whole and valid. */
function readToTheEnd(): { promise: Promise<void>; resolve(): void; reject(error: Error): void } {
  let resolve = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  promise.catch(() => {}); // a conversion that never got as far as its commit does not observe it
  return { promise, resolve, reject };
}

type UploadFields = ReturnType<typeof uploadFields.parse>;

/** The conversion options among the fields, as a key: equal keys, equal conversions. */
const optionsKey = (fields: UploadFields) => JSON.stringify([fields.bitrate, fields.vbr, fields.mono]);
