// The user resource: sign-up (POST /user, limited per client address and hour), the profile with the storage used
// (GET), a new token (POST /user/token) and leaving with everything (DELETE). All but sign-up want the Bearer token.
import { bodyParser } from '@koa/bodyparser';
import type Router from '@koa/router';
import proxyaddr from 'proxy-addr';
import type { Sql } from '../../db/connect.js';
import type { DownloadReads } from '../../domain/download-pieces.js';
import { storageUse, type StorageQuota } from '../../domain/storage-quota.js';
import { deleteUser, findAuthenticatedUser, rotateAccessToken, signUp } from '../../domain/users.js';
import { bearerToken } from '../bearer-token.js';
import { addressKey } from '../connection-limits.js';
import { HttpProblem } from '../errors.js';
import { createUserBody, userQuery } from '../schemas.js';
import { parseInput } from '../validate.js';

export interface UserRoutesDeps {
  sql: Sql;
  maxNameLength: number;
  maxSignupsPerHour: number;
  /** Peers whose X-Forwarded-For is believed (proxy-addr syntax), as for links. */
  trustedProxies: string[];
  storageQuota: StorageQuota;
  downloadReads: DownloadReads;
}

// A name of 100 characters is a few hundred bytes; anything near this is not a sign-up.
const MAX_JSON_BODY = '16kb';

export function userRoutes(router: Router, { sql, maxNameLength, maxSignupsPerHour, trustedProxies, storageQuota, downloadReads }: UserRoutesDeps): void {
  const body = createUserBody(maxNameLength);
  // The client's address: X-Forwarded-For only as far as the hops are trusted proxies, else the peer's own. Counted
  // per IPv4 address or IPv6 /64, as connections are.
  const trust = proxyaddr.compile(trustedProxies);
  const clientAddress = (ctx: { req: Parameters<typeof proxyaddr>[0] }) => addressKey(proxyaddr(ctx.req, trust));
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: MAX_JSON_BODY, encoding: 'utf-8' });

  router.post('/user', async (ctx, next) => {
    if (!ctx.is('application/json')) {
      throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'send the body as application/json: {"name": "..."}');
    }
    let parsed = false;
    try {
      await json(ctx, async () => {
        parsed = true;
      });
    } catch (error) {
      if (parsed) throw error;
      const tooLarge = (error as { status?: number }).status === 413;
      throw tooLarge
        ? new HttpProblem(413, 'payload-too-large', 'Body too large', `the JSON body must be under ${MAX_JSON_BODY}`)
        : new HttpProblem(400, 'malformed-json', 'Malformed JSON', 'the body is not valid JSON; send {"name": "..."}');
    }
    await next();
  }, async (ctx) => {
    const { name } = parseInput(body, ctx.request.body);
    const user = await signUp(sql, name, { address: clientAddress(ctx), perHour: maxSignupsPerHour });
    ctx.status = 201;
    ctx.body = { id: user.id, name: user.name, token: user.token, createdAt: user.createdAt.toISOString() };
  });

  router.get('/user', async (ctx) => {
    const { id } = parseInput(userQuery, ctx.query);
    const user = await findAuthenticatedUser(sql, id, bearerToken(ctx));
    ctx.set('Cache-Control', 'private, no-cache');
    ctx.body = { id: user.id, name: user.name, createdAt: user.createdAt.toISOString(), storage: await storageUse(sql, id, storageQuota) };
  });

  router.post('/user/token', async (ctx) => {
    const { id } = parseInput(userQuery, ctx.query);
    const token = await rotateAccessToken(sql, id, bearerToken(ctx));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { id, token };
  });

  router.delete('/user', async (ctx) => {
    const { id } = parseInput(userQuery, ctx.query);
    for (const recordId of await deleteUser(sql, id, bearerToken(ctx))) downloadReads.forget(recordId);
    ctx.status = 204;
  });
}
