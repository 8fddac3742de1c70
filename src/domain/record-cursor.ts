// The `cursor` of GET /records: the page key of the last record shown, opaque to clients. What comes back is checked
// as strictly as any other input, so that a forged cursor is a 422 here rather than a PostgreSQL error (a 500) later.
import { z } from 'zod';
import type { RecordPageKey } from '../db/record-queries.js';
import { validationFailed } from './errors.js';

// created_at as PostgreSQL prints it in ISO style ("2026-11-30 21:07:18.920271+00"), or ISO 8601 with a "T" and "Z".
// Four-digit years only: every such instant, whatever its offset, is inside timestamptz's range (4713 BC to
// 294276 AD), where a JavaScript year like +275760 is not something PostgreSQL reads at all.
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|[+-](\d{2})(?::?(\d{2})(?::?(\d{2}))?)?)$/;

/** True when every field is in its range and the day exists (PostgreSQL refuses 2026-02-30 with an error). */
function isTimestamp(text: string): boolean {
  const match = TIMESTAMP.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second, offsetHours = 0, offsetMinutes = 0, offsetSeconds = 0] = match
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part))) as number[];
  if (year! < 1 || hour! > 23 || minute! > 59 || second! > 59) return false;
  // PostgreSQL takes offsets up to 15:59:59.
  if (offsetHours > 15 || offsetMinutes > 59 || offsetSeconds > 59) return false;
  const date = new Date(0);
  date.setUTCFullYear(year!, month! - 1, day!);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month! - 1 && date.getUTCDate() === day;
}

const decodedCursor = z.tuple([z.string().refine(isTimestamp), z.uuid().toLowerCase()]);

export const encodeCursor = (key: RecordPageKey): string =>
  Buffer.from(JSON.stringify([key.createdAt, key.id])).toString('base64url');

export function decodeCursor(cursor: string): RecordPageKey {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined; // refused below, like any other cursor this service did not write
  }
  const parsed = decodedCursor.safeParse(decoded);
  if (!parsed.success) {
    throw validationFailed([{ field: 'cursor', message: 'cursor must be a nextCursor value from a previous page' }]);
  }
  const [createdAt, id] = parsed.data;
  return { createdAt, id };
}
