// Use cases of users: sign-up (within the hourly limit per address), checking, rotating and deleting an access token's
// user.
import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from '../db/connect.js';
import { insertSignup, lockAndCountSignups } from '../db/signup-queries.js';
import {
  deleteUserWithToken,
  findUserById,
  findUserIdByTokenHash,
  findUserTokenHash,
  insertUser,
  replaceUserTokenHash,
  type UserRow,
} from '../db/user-queries.js';
import { accessTokenMatches, hashAccessToken, newAccessToken } from './access-tokens.js';
import { DomainError, unauthorized } from './errors.js';

export interface CreatedUser {
  id: string;
  name: string;
  /** Shown once, here; only its hash is kept. */
  token: string;
  createdAt: Date;
}

export async function createUser(sql: Sql | TransactionSql, name: string): Promise<CreatedUser> {
  const token = newAccessToken();
  const row = await insertUser(sql, { id: randomUUID(), name, tokenSha256: hashAccessToken(token) });
  return { ...row, token };
}

/** MAX_SIGNUPS_PER_IP_PER_HOUR for the client `address`; 0: no limit. */
export interface SignupLimit {
  address: string;
  perHour: number;
}

const tooManySignups = (limit: SignupLimit, retryAfterSeconds: number) =>
  new DomainError(
    'too-many-signups',
    `this address has created ${limit.perHour} users in the last hour, the most allowed; retry in ${retryAfterSeconds} s`,
    { retryAfterSeconds },
  );

/**
 * Creates a user unless the client's address has used up its sign-ups of the last hour. The count lives in PostgreSQL
 * and is taken under a lock per address, so that replicas on one database share it and a burst of parallel sign-ups
 * cannot slip past it.
 */
export async function signUp(sql: Sql, name: string, limit: SignupLimit): Promise<CreatedUser> {
  if (limit.perHour === 0) return createUser(sql, name);
  return sql.begin(async (tx) => {
    const recent = await lockAndCountSignups(tx, limit.address);
    if (recent.count >= limit.perHour) throw tooManySignups(limit, recent.secondsUntilOldestExpires);
    await insertSignup(tx, limit.address);
    return createUser(tx, name);
  });
}

/** A new token for the user, shown once; the old one stops working at once, for every request checked afterwards. */
export async function rotateAccessToken(sql: Sql, userId: string, token: string | undefined): Promise<string> {
  if (token === undefined) throw unauthorized();
  const next = newAccessToken();
  if (!(await replaceUserTokenHash(sql, userId, hashAccessToken(token), hashAccessToken(next)))) throw unauthorized();
  return next;
}

/** Deletes the user, their records and every MP3 byte, in one transaction; returns the ids of the records deleted. */
export async function deleteUser(sql: Sql, userId: string, token: string | undefined): Promise<string[]> {
  if (token === undefined) throw unauthorized();
  const records = await deleteUserWithToken(sql, userId, hashAccessToken(token));
  if (records === undefined) throw unauthorized();
  return records;
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
