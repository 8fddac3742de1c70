// POST /record: authenticate, spool the WAV, convert it, answer with the new record.
import { rm } from 'node:fs/promises';
import type Router from '@koa/router';
import type { ConversionPool } from '../../audio/conversion-pool.js';
import type { EncoderName } from '../../audio/mp3-encoder.js';
import type { Sql } from '../../db/connect.js';
import { convertUpload, type ConversionOutcomeListener } from '../../domain/convert-upload.js';
import { validationFailed } from '../../domain/errors.js';
import type { UserConversionSlots } from '../../domain/user-conversion-slots.js';
import { authenticateUser } from '../../domain/users.js';
import { bearerToken } from '../bearer-token.js';
import { recordView } from '../record-view.js';
import { uploadFields } from '../schemas.js';
import { parseInput } from '../validate.js';
import { receiveWavUpload } from '../wav-upload.js';

export interface RecordUploadDeps {
  sql: Sql;
  pool: ConversionPool;
  encoder: EncoderName;
  spoolDir: string;
  maxUploadBytes: number;
  maxAudioSeconds: number;
  publicUrl: string | undefined;
  conversionSlots: UserConversionSlots;
  conversionEvents?: ConversionOutcomeListener;
}

/** HTML forms (and Swagger UI) send empty inputs as empty fields; an empty option means "not given". */
const withoutBlanks = (fields: Record<string, string> = {}) => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ''));

export function recordUploadRoutes(router: Router, deps: RecordUploadDeps): void {
  const { sql, pool, publicUrl } = deps;
  const receive = receiveWavUpload({ spoolDir: deps.spoolDir, maxUploadBytes: deps.maxUploadBytes });

  router.post('/record', async (ctx) => {
    const headerToken = bearerToken(ctx);
    let authenticatedUser: string | undefined;
    let releaseSlot: (() => void) | undefined;
    // The token is checked as soon as the user id is known: before the file is read when the fields come first
    // (as browsers and curl send them), and in any case before any conversion work. So is the user's slot.
    const authenticate = async (fields: Record<string, string>) => {
      const { user, token } = parseInput(uploadFields, withoutBlanks(fields));
      await authenticateUser(sql, user, headerToken ?? token);
      authenticatedUser = user;
      releaseSlot ??= deps.conversionSlots.acquire(user);
    };
    let file: Awaited<ReturnType<typeof receive>>;
    try {
      file = await receive(ctx, async (fieldsSoFar) => {
        if (fieldsSoFar.user !== undefined) await authenticate(fieldsSoFar);
      });
    } catch (error) {
      releaseSlot?.();
      // Refused before the body was read (wrong token, too large): close the connection rather than drain up to a
      // gigabyte the answer no longer needs.
      if (!ctx.req.complete) ctx.set('Connection', 'close');
      throw error;
    }
    try {
      const fields = parseInput(uploadFields, withoutBlanks(ctx.request.body as Record<string, string>));
      if (authenticatedUser !== fields.user) await authenticate(ctx.request.body as Record<string, string>);
      if (!file) throw validationFailed([{ field: 'file', message: 'attach the WAV file in the form field `file`' }]);
      const record = await convertUpload(
        { sql, pool, events: deps.conversionEvents },
        fields.user,
        { path: file.path, originalName: file.originalName.replaceAll('\u0000', '\ufffd') },
        {
          encoder: deps.encoder,
          bitrateKbps: fields.bitrate,
          vbrQuality: fields.vbr,
          mono: fields.mono,
          maxDurationSeconds: deps.maxAudioSeconds,
        },
      );
      const view = recordView(ctx, publicUrl, record);
      ctx.status = 201;
      ctx.set('Location', view.url);
      ctx.body = view;
    } finally {
      releaseSlot?.();
      if (file) await rm(file.path, { force: true });
    }
  });
}
