// A user's own library: GET /records (newest first, keyset-paginated) and DELETE /record. Both need the user's
// token as a Bearer header; another user's token gets 401, never the data.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Sql } from '../../db/connect.js';
import type { DownloadReads } from '../../domain/download-pieces.js';
import { deleteRecord, listRecords } from '../../domain/records.js';
import { authenticateUser } from '../../domain/users.js';
import { bearerToken } from '../bearer-token.js';
import { recordView } from '../record-view.js';
import type { LinkOrigin } from '../request-origin.js';
import { deleteQuery, listQuery } from '../schemas.js';
import { parseInput } from '../validate.js';

export interface LibraryDeps {
  sql: Sql;
  linkOrigin: LinkOrigin;
  downloadReads: DownloadReads;
}

export function libraryRoutes(router: Router, { sql, linkOrigin, downloadReads }: LibraryDeps): void {
  const authenticated = async <T extends { user: string }>(ctx: Context, input: T) => {
    await authenticateUser(sql, input.user, bearerToken(ctx));
    return input;
  };

  router.get('/records', async (ctx) => {
    const query = await authenticated(ctx, parseInput(listQuery, ctx.query));
    const page = await listRecords(sql, query.user, query.limit, query.cursor);
    ctx.set('Cache-Control', 'private, no-cache');
    ctx.body = { records: page.records.map((r) => recordView(linkOrigin(ctx), r)), nextCursor: page.nextCursor };
  });

  router.delete('/record', async (ctx) => {
    const query = await authenticated(ctx, parseInput(deleteQuery, ctx.query));
    await deleteRecord(sql, downloadReads, query.id, query.user);
    ctx.status = 204;
  });
}
