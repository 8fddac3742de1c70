// HTTP conditional requests and byte ranges (RFC 9110 §13 and §14) for immutable downloads: which bytes to send,
// or whether the client's copy is still good. Pure functions of the request headers.

export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * One range is served as 206; several are answered with the whole file (allowed, and what players need); a header
 * we cannot parse is ignored, as the RFC asks.
 */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (!header) return { kind: 'full' };
  const match = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!match) return { kind: 'full' };
  const specs = match[1]!.split(',').map((s) => s.trim()).filter(Boolean);
  if (specs.length !== 1) return { kind: 'full' };
  const spec = /^(\d*)-(\d*)$/.exec(specs[0]!);
  if (!spec || (spec[1] === '' && spec[2] === '')) return { kind: 'full' };
  if (spec[1] === '') {
    const suffix = Number(spec[2]);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(spec[1]);
  const end = spec[2] === '' ? size - 1 : Number(spec[2]);
  if (spec[2] !== '' && end < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}

const entityTags = (header: string) => header.split(',').map((t) => t.trim().replace(/^W\//, ''));

/** If-None-Match uses the weak comparison: W/"x" matches "x". */
export function noneMatch(ifNoneMatch: string | undefined, etag: string): boolean | undefined {
  if (!ifNoneMatch) return undefined;
  return !(ifNoneMatch.trim() === '*' || entityTags(ifNoneMatch).includes(etag));
}

/** True when the client's cached copy is current: answer 304. If-None-Match, when present, overrides the date. */
export function notModified(headers: { ifNoneMatch?: string; ifModifiedSince?: string }, etag: string, lastModified: Date): boolean {
  const changed = noneMatch(headers.ifNoneMatch, etag);
  if (changed !== undefined) return !changed;
  if (!headers.ifModifiedSince) return false;
  const since = Date.parse(headers.ifModifiedSince);
  // HTTP dates have whole seconds.
  return !Number.isNaN(since) && Math.floor(lastModified.getTime() / 1000) * 1000 <= since;
}

/** If-Range: the range applies only if the client's copy is this one (strong comparison, or the exact date). */
export function ifRangeHolds(ifRange: string | undefined, etag: string, lastModified: Date): boolean {
  if (!ifRange) return true;
  const value = ifRange.trim();
  if (value.startsWith('"')) return value === etag;
  if (value.startsWith('W/')) return false;
  const date = Date.parse(value);
  return !Number.isNaN(date) && date === Math.floor(lastModified.getTime() / 1000) * 1000;
}
