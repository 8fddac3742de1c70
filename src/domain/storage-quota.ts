// How many MP3 bytes a user may keep (MAX_STORAGE_BYTES_PER_USER), and the refusals when an upload would pass it.
import type { Sql } from '../db/connect.js';
import { lockUserRow, storedBytesOfUser } from '../db/user-queries.js';
import { DomainError, unauthorized } from './errors.js';

/** 0: no limit. */
export interface StorageQuota {
  maxBytesPerUser: number;
}

export interface StorageUse {
  usedBytes: number;
  /** null when there is no limit. */
  allowedBytes: number | null;
}

export const quotaExceeded = (use: { usedBytes: number; allowedBytes: number }, neededBytes?: number) =>
  new DomainError(
    'storage-quota-exceeded',
    `this user stores ${use.usedBytes} bytes of MP3 of the ${use.allowedBytes} allowed` +
      (neededBytes === undefined ? '' : `, and this recording needs ${neededBytes} more`) +
      '; delete recordings (DELETE /record) to make room, or choose a lower bitrate',
    { facts: { usedBytes: use.usedBytes, allowedBytes: use.allowedBytes, ...(neededBytes === undefined ? {} : { neededBytes }) } },
  );

export async function storageUse(sql: Sql, userId: string, quota: StorageQuota): Promise<StorageUse> {
  return { usedBytes: await storedBytesOfUser(sql, userId), allowedBytes: quota.maxBytesPerUser || null };
}

/**
 * The bytes an upload may still add, checked before its body is read: a user already at the limit is refused at once.
 * Infinity without a limit.
 */
export async function storageLeft(sql: Sql, userId: string, quota: StorageQuota): Promise<number> {
  if (quota.maxBytesPerUser === 0) return Infinity;
  const usedBytes = await storedBytesOfUser(sql, userId);
  if (usedBytes >= quota.maxBytesPerUser) throw quotaExceeded({ usedBytes, allowedBytes: quota.maxBytesPerUser });
  return quota.maxBytesPerUser - usedBytes;
}

/**
 * The check that holds whatever runs at the same time, inside the transaction that stores a record of `newBytes`:
 * the user's row lock makes concurrent commits of one user count one after another, so that together they never end
 * above the limit. A user deleted meanwhile is `unauthorized`, as for any upload of a user who does not exist.
 */
export async function ensureRoomAtCommit(tx: Sql, userId: string, newBytes: number, quota: StorageQuota): Promise<void> {
  if (!(await lockUserRow(tx, userId))) throw unauthorized();
  if (quota.maxBytesPerUser === 0) return;
  const usedBytes = await storedBytesOfUser(tx, userId);
  if (usedBytes + newBytes > quota.maxBytesPerUser) throw quotaExceeded({ usedBytes, allowedBytes: quota.maxBytesPerUser }, newBytes);
}
