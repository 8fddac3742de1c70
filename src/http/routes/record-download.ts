// GET and HEAD /record: the MP3 streamed out of PostgreSQL, with the range and caching semantics media players and
// download managers rely on (Range, If-Range, ETag, If-None-Match, Last-Modified).
import type Router from '@koa/router';
import type { Sql } from '../../db/connect.js';
import { recordBytes, type DownloadReads } from '../../domain/download-pieces.js';
import { findRecord } from '../../domain/records.js';
import { decideRange, ifRangeHolds, notModified } from '../byte-ranges.js';
import { HttpProblem } from '../errors.js';
import { onDemandStream } from '../on-demand-stream.js';
import { mp3FileName } from '../record-view.js';
import { downloadQuery } from '../schemas.js';
import { parseInput } from '../validate.js';

// Records never change once written, so caches may keep them as long as they like.
const IMMUTABLE = 'private, max-age=31536000, immutable';

export function recordDownloadRoutes(router: Router, { sql, downloadReads }: { sql: Sql; downloadReads: DownloadReads }): void {
  router.get('/record', async (ctx) => {
    const query = parseInput(downloadQuery, ctx.query);
    const record = await findRecord(sql, query.id, query.user);
    const etag = `"${record.audioSha256.toString('hex')}"`;
    const size = record.byteSize;

    ctx.set('Accept-Ranges', 'bytes');
    ctx.set('ETag', etag);
    ctx.set('Cache-Control', IMMUTABLE);
    ctx.lastModified = record.createdAt;
    ctx.type = 'audio/mpeg';
    ctx.attachment(mp3FileName(record.originalName), { type: query.inline ? 'inline' : 'attachment' });

    if (notModified({ ifNoneMatch: ctx.get('If-None-Match') || undefined, ifModifiedSince: ctx.get('If-Modified-Since') || undefined }, etag, record.createdAt)) {
      ctx.status = 304;
      return;
    }
    const range = ifRangeHolds(ctx.get('If-Range') || undefined, etag, record.createdAt)
      ? decideRange(ctx.get('Range') || undefined, size)
      : ({ kind: 'full' } as const);
    if (range.kind === 'unsatisfiable') {
      throw new HttpProblem(416, 'range-not-satisfiable', 'Range not satisfiable', `the file has ${size} bytes; ask for a range inside it`, {
        'Content-Range': `bytes */${size}`,
      });
    }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
    ctx.status = range.kind === 'partial' ? 206 : 200;
    if (range.kind === 'partial') ctx.set('Content-Range', `bytes ${start}-${end}/${size}`);
    // HEAD answers with the same headers and no body: do not open a cursor for it.
    // Each piece is read when the socket asks for it, so a client that stops reading holds one piece in memory.
    if (ctx.method !== 'HEAD') ctx.body = onDemandStream(recordBytes(sql, downloadReads, record, start, end));
    ctx.length = end - start + 1;
  });
}
