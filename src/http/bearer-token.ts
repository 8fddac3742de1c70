import type { Context } from 'koa';

/** The credentials of an `Authorization: Bearer <credentials>` header, exactly as sent, if the request has one. */
export function bearerCredentials(ctx: Context): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('Authorization'));
  return match?.[1];
}

/**
 * A user's access token from a Bearer header, if the request has one. Tokens are UUIDs, handed out in lower case and
 * stored only as the SHA-256 of that spelling; an upper-case copy of a token is the same token, so it is lower-cased
 * here, before anything hashes it.
 */
export function bearerToken(ctx: Context): string | undefined {
  return bearerCredentials(ctx)?.toLowerCase();
}
