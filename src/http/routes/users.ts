import { bodyParser } from '@koa/bodyparser';
import type Router from '@koa/router';
import type { Sql } from '../../db/connect.js';
import { createUser, findAuthenticatedUser } from '../../domain/users.js';
import { bearerToken } from '../bearer-token.js';
import { HttpProblem } from '../errors.js';
import { createUserBody, userQuery } from '../schemas.js';
import { parseInput } from '../validate.js';

export interface UserRoutesDeps {
  sql: Sql;
  maxNameLength: number;
}

// A name of 100 characters is a few hundred bytes; anything near this is not a sign-up.
const MAX_JSON_BODY = '16kb';

export function userRoutes(router: Router, { sql, maxNameLength }: UserRoutesDeps): void {
  const body = createUserBody(maxNameLength);
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
    const user = await createUser(sql, name);
    ctx.status = 201;
    ctx.body = { id: user.id, name: user.name, token: user.token, createdAt: user.createdAt.toISOString() };
  });

  router.get('/user', async (ctx) => {
    const { id } = parseInput(userQuery, ctx.query);
    const user = await findAuthenticatedUser(sql, id, bearerToken(ctx));
    ctx.set('Cache-Control', 'private, no-cache');
    ctx.body = { id: user.id, name: user.name, createdAt: user.createdAt.toISOString() };
  });
}
