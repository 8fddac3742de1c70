// POST /record: refuse what the headers already rule out, authenticate, reserve spool space, spool the WAV, convert
// it, answer with the new record. Nothing reaches the disk before the user is authenticated.
import { rm } from 'node:fs/promises';
import type Router from '@koa/router';
import type { ConversionPool } from '../../audio/conversion-pool.js';
import type { EncoderName } from '../../audio/mp3-encoder.js';
import type { Sql } from '../../db/connect.js';
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
    const admit = async (userId: string) => {
      authenticatedUser = userId;
      releaseSlot = deps.conversionSlots.acquire(userId);
      roomBytes = await storageLeft(sql, userId, deps.storageQuota);
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
      file = await receive(ctx, async (fieldsSoFar) => {
        if (fieldsSoFar.user !== undefined) await authenticate(fieldsSoFar);
        else if (authenticatedUser === undefined) throw credentialsAfterFile();
        // The declared length bounds the file; a body of unknown length (chunked) may be as large as allowed.
        const declared = Number(ctx.get('Content-Length'));
        reservation = await deps.spoolBudget.reserve(declared > 0 ? declared : deps.maxUploadBytes);
        return reservation;
      });
      const fields = await authenticate(ctx.request.body as Record<string, string>);
      if (!file) throw validationFailed([{ field: 'file', message: 'attach the WAV file in the form field `file`' }]);
      const record = await convertUpload(
        { sql, pool, events: deps.conversionEvents, storageQuota: deps.storageQuota },
        fields.user,
        { path: file.path, originalName: file.originalName },
        {
          encoder: deps.encoder,
          bitrateKbps: fields.bitrate,
          vbrQuality: fields.vbr,
          mono: fields.mono,
          maxDurationSeconds: deps.maxAudioSeconds,
          maxOutputBytes: Number.isFinite(roomBytes) ? roomBytes : undefined,
        },
      );
      const view = recordView(linkOrigin(ctx), record);
      ctx.status = 201;
      ctx.set('Location', view.url);
      ctx.body = view;
    } finally {
      releaseSlot?.();
      if (file) await rm(file.path, { force: true });
      reservation?.release();
    }
  });
}
