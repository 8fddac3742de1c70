import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { ConversionPool } from '../../audio/conversion-pool.js';
import type { EncoderName } from '../../audio/mp3-encoder.js';
import type { Sql } from '../../db/connect.js';
import type { RecordRow } from '../../db/record-queries.js';
import { convertUpload } from '../../domain/convert-upload.js';
import { validationFailed } from '../../domain/errors.js';
import { openRecordDownload } from '../../domain/records.js';
import { authenticateUser } from '../../domain/users.js';
import { recordQuery, uploadFields } from '../schemas.js';
import { parseInput } from '../validate.js';
import { receiveWavUpload } from '../wav-upload.js';

export interface RecordRoutesDeps {
  sql: Sql;
  pool: ConversionPool;
  encoder: EncoderName;
  spoolDir: string;
  maxUploadBytes: number;
  maxAudioSeconds: number;
  publicUrl: string | undefined;
}

function bearerToken(ctx: Context): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('Authorization'));
  return match?.[1];
}

/** "take.WAV" → "take.mp3"; a name without the extension gains one. */
export function mp3FileName(originalName: string): string {
  const base = originalName.replace(/\.(wav|wave)$/i, '');
  return `${base || 'audio'}.mp3`;
}

function recordUrl(ctx: Context, publicUrl: string | undefined, record: Pick<RecordRow, 'id' | 'userId'>): string {
  const base = (publicUrl ?? `${ctx.protocol}://${ctx.host}`).replace(/\/+$/, '');
  return `${base}/record?id=${record.id}&user=${record.userId}`;
}

function recordView(ctx: Context, publicUrl: string | undefined, record: RecordRow) {
  return {
    id: record.id,
    user: record.userId,
    url: recordUrl(ctx, publicUrl, record),
    name: record.originalName,
    fileName: mp3FileName(record.originalName),
    createdAt: record.createdAt.toISOString(),
    input: {
      container: record.inputContainer,
      encoding: record.inputEncoding,
      bitsPerSample: record.inputBitsPerSample,
      sampleRate: record.inputSampleRate,
      channels: record.inputChannels,
      durationSeconds: record.durationSeconds,
    },
    output: {
      encoder: record.encoder,
      sampleRate: record.sampleRate,
      channels: record.channels,
      bitrateKbps: record.bitrateKbps,
      vbrQuality: record.vbrQuality,
      bytes: record.byteSize,
    },
  };
}

export function recordRoutes(router: Router, deps: RecordRoutesDeps): void {
  const { sql, pool, publicUrl } = deps;
  const receive = receiveWavUpload({ spoolDir: deps.spoolDir, maxUploadBytes: deps.maxUploadBytes });

  router.post('/record', async (ctx) => {
    const headerToken = bearerToken(ctx);
    let authenticatedUser: string | undefined;
    // The token is checked as soon as the user id is known: before the file is read when the fields come first
    // (as browsers and curl send them), and in any case before any conversion work.
    const authenticate = async (fields: Record<string, string>) => {
      const { user, token } = parseInput(uploadFields, fields);
      await authenticateUser(sql, user, headerToken ?? token);
      authenticatedUser = user;
    };
    const file = await receive(ctx, async (fieldsSoFar) => {
      if (fieldsSoFar.user !== undefined) await authenticate(fieldsSoFar);
    });
    try {
      const fields = parseInput(uploadFields, ctx.request.body);
      if (authenticatedUser !== fields.user) await authenticate(ctx.request.body as Record<string, string>);
      if (!file) throw validationFailed([{ field: 'file', message: 'attach the WAV file in the form field `file`' }]);
      const record = await convertUpload(
        { sql, pool },
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
      if (file) await rm(file.path, { force: true });
    }
  });

  router.get('/record', async (ctx) => {
    const query = parseInput(recordQuery, ctx.query);
    const { record, chunks } = await openRecordDownload(sql, query.id, query.user);
    ctx.status = 200;
    ctx.type = 'audio/mpeg';
    ctx.length = record.byteSize;
    ctx.attachment(mp3FileName(record.originalName));
    ctx.body = Readable.from(chunks);
  });

}
