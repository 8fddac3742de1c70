// Use cases of users: sign-up and checking a user's access token.
import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/connect.js';
import { findUserById, findUserIdByTokenHash, findUserTokenHash, insertUser, type UserRow } from '../db/user-queries.js';
import { accessTokenMatches, hashAccessToken, newAccessToken } from './access-tokens.js';
import { unauthorized } from './errors.js';

export interface CreatedUser {
  id: string;
  name: string;
  /** Shown once, here; only its hash is kept. */
  token: string;
  createdAt: Date;
}

export async function createUser(sql: Sql, name: string): Promise<CreatedUser> {
  const token = newAccessToken();
  const row = await insertUser(sql, { id: randomUUID(), name, tokenSha256: hashAccessToken(token) });
  return { ...row, token };
}

/** Resolves when `token` belongs to `userId`; throws `unauthorized` otherwise, the same way for every reason. */
export async function authenticateUser(sql: Sql, userId: string, token: string | undefined): Promise<void> {
  const storedHash = await findUserTokenHash(sql, userId);
  if (token === undefined || !accessTokenMatches(token, storedHash)) throw unauthorized();
}

/** The user a token belongs to, from the token alone (a Bearer header); throws `unauthorized` when none does. */
export async function findUserIdByToken(sql: Sql, token: string): Promise<string> {
  const userId = await findUserIdByTokenHash(sql, hashAccessToken(token));
  if (userId === undefined) throw unauthorized();
  return userId;
}

/** The user's own profile, for a client that has only the id and token (signing in again). */
export async function findAuthenticatedUser(sql: Sql, userId: string, token: string | undefined): Promise<UserRow> {
  await authenticateUser(sql, userId, token);
  const user = await findUserById(sql, userId);
  if (!user) throw unauthorized();
  return user;
}
