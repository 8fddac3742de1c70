// RFC 9457 problem details: the one shape every error response has.

export interface Problem {
  /** A stable identifier per kind of error; a relative URI under /problems/. */
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Field-level messages for validation errors. */
  errors?: { field: string; message: string }[];
  /** The WAV header property at fault, for audio errors. */
  property?: string;
  /** For a storage quota: the bytes stored, allowed, and (when known) needed by the refused upload. */
  usedBytes?: number;
  allowedBytes?: number;
  neededBytes?: number;
  /** Quote this when reporting a problem; it is in the service's log too. */
  requestId?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemType = (slug: string) => `/problems/${slug}`;
