import type { TransactionSql } from './connect.js';

export interface SignupWindow {
  /** Sign-ups from the address within the last hour. */
  count: number;
  /** Seconds until the oldest of them leaves the hour; 0 when there are none. */
  secondsUntilOldestExpires: number;
}

/**
 * Serialises sign-ups of one address across every process on this database until the transaction ends, forgets the
 * address's sign-ups older than an hour and counts the rest.
 */
export async function lockAndCountSignups(tx: TransactionSql, address: string): Promise<SignupWindow> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${'signup:' + address}, 0))`;
  await tx`delete from signups where address = ${address} and created_at <= now() - interval '1 hour'`;
  const [row] = await tx<{ count: number; seconds: number }[]>`
    select count(*)::int as count,
           coalesce(ceil(extract(epoch from min(created_at) + interval '1 hour' - now())), 0)::int as seconds
    from signups where address = ${address}`;
  return { count: row!.count, secondsUntilOldestExpires: Math.max(1, row!.seconds) };
}

export async function insertSignup(tx: TransactionSql, address: string): Promise<void> {
  await tx`insert into signups (address) values (${address})`;
}
