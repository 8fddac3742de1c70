import type { Sql, TransactionSql } from './connect.js';

export interface UserRow {
  id: string;
  name: string;
  createdAt: Date;
}

export async function insertUser(sql: Sql | TransactionSql, user: { id: string; name: string; tokenSha256: Buffer }): Promise<UserRow> {
  const [row] = await sql<UserRow[]>`
    insert into users (id, name, token_sha256)
    values (${user.id}, ${user.name}, ${user.tokenSha256})
    returning id, name, created_at as "createdAt"`;
  return row!;
}

export async function findUserTokenHash(sql: Sql, userId: string): Promise<Buffer | undefined> {
  const [row] = await sql<{ tokenSha256: Buffer }[]>`select token_sha256 as "tokenSha256" from users where id = ${userId}`;
  return row?.tokenSha256;
}

export async function findUserById(sql: Sql, userId: string): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`select id, name, created_at as "createdAt" from users where id = ${userId}`;
  return row;
}

export async function findUserIdByTokenHash(sql: Sql, tokenSha256: Buffer): Promise<string | undefined> {
  const [row] = await sql<{ id: string }[]>`select id from users where token_sha256 = ${tokenSha256}`;
  return row?.id;
}

/**
 * Replaces the token hash when the current one is `currentSha256`, in one statement: of two rotations with the same
 * token only one succeeds, and an upload checking the old token afterwards finds it gone. False when nothing matched.
 */
export async function replaceUserTokenHash(sql: Sql, userId: string, currentSha256: Buffer, nextSha256: Buffer): Promise<boolean> {
  const result = await sql`update users set token_sha256 = ${nextSha256} where id = ${userId} and token_sha256 = ${currentSha256}`;
  return result.count === 1;
}

/**
 * Deletes the user when `tokenSha256` is theirs, in one transaction: their records and the records' MP3 bytes go with
 * them by cascade. Returns the ids of the records deleted, or undefined when no such user has that token.
 */
export async function deleteUserWithToken(sql: Sql, userId: string, tokenSha256: Buffer): Promise<string[] | undefined> {
  return sql.begin(async (tx) => {
    // The row lock holds off a record commit of this user (which takes the same lock) until the deletion is done.
    const [user] = await tx`select id from users where id = ${userId} and token_sha256 = ${tokenSha256} for update`;
    if (!user) return undefined;
    const records = await tx<{ id: string }[]>`select id from records where user_id = ${userId}`;
    await tx`delete from users where id = ${userId}`;
    return records.map((r) => r.id);
  });
}

/** MP3 bytes the user's records hold. */
export async function storedBytesOfUser(sql: Sql, userId: string): Promise<number> {
  const [row] = await sql<{ bytes: number }[]>`select coalesce(sum(byte_size), 0)::float8 as bytes from records where user_id = ${userId}`;
  return row!.bytes;
}

/** Takes the user's row lock until the transaction ends, so that commits of one user's records count one at a time. */
export async function lockUserRow(sql: Sql, userId: string): Promise<boolean> {
  const [row] = await sql`select id from users where id = ${userId} for update`;
  return row !== undefined;
}
