import type { Context } from 'koa';

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearerToken(ctx: Context): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('Authorization'));
  return match?.[1];
}
