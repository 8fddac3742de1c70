import type { Sql } from './connect.js';

export interface UserRow {
  id: string;
  name: string;
  createdAt: Date;
}

export async function insertUser(sql: Sql, user: { id: string; name: string; tokenSha256: Buffer }): Promise<UserRow> {
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
