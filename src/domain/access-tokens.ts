// Access tokens: random UUIDs handed out once; only their SHA-256 is stored, and comparisons take constant time.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';

export const newAccessToken = (): string => randomUUID();

export const hashAccessToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

// Compared against when the user does not exist, so that an unknown id costs the same as a wrong token.
const NO_USER_HASH = hashAccessToken(randomUUID());

export function accessTokenMatches(token: string, storedHash: Uint8Array | undefined): boolean {
  const expected = storedHash ?? NO_USER_HASH;
  const same = timingSafeEqual(hashAccessToken(token), expected);
  return same && storedHash !== undefined;
}
