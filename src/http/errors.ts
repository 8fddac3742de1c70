// The one place where errors become HTTP statuses and problem+json bodies. Nothing else sets an error status.
import type { Context, Next } from 'koa';
import { DomainError, type DomainErrorCode } from '../domain/errors.js';
import type { Logger } from '../log.js';
import { PROBLEM_CONTENT_TYPE, problemType, type Problem } from './problem.js';

/** Errors raised by the HTTP layer itself (bad JSON, wrong content type, oversized bodies). */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

const DOMAIN_STATUS: Record<DomainErrorCode, { status: number; title: string }> = {
  'validation-failed': { status: 422, title: 'The request has invalid values' },
  unauthorized: { status: 401, title: 'Authentication failed' },
  'not-found': { status: 404, title: 'Not found' },
  'unsupported-audio': { status: 415, title: 'Unsupported audio format' },
  'invalid-audio': { status: 422, title: 'Invalid WAV file' },
  'unsupported-option': { status: 422, title: 'Output option not available' },
  'audio-too-long': { status: 422, title: 'Recording too long' },
  'service-busy': { status: 503, title: 'Service busy' },
  'too-many-conversions': { status: 429, title: 'Too many conversions in progress' },
  'too-many-signups': { status: 429, title: 'Too many sign-ups from this address' },
  // Not 413 (the request is not too large) nor 507 (the server is not out of space): this user may not store more.
  'storage-quota-exceeded': { status: 403, title: 'Storage quota exceeded' },
  'conversion-timeout': { status: 503, title: 'Conversion took too long' },
  'database-unavailable': { status: 503, title: 'Database unavailable' },
  'shutting-down': { status: 503, title: 'Shutting down' },
};

// Statuses that Koa or the router set without an error object (no route, wrong method).
const BARE_STATUS: Record<number, { slug: string; title: string; detail: (ctx: Context) => string }> = {
  404: { slug: 'not-found', title: 'Not found', detail: (ctx) => `no route for ${ctx.method} ${ctx.path}` },
  405: {
    slug: 'method-not-allowed',
    title: 'Method not allowed',
    detail: (ctx) => `${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get('Allow')}`,
  },
  501: { slug: 'not-implemented', title: 'Not implemented', detail: (ctx) => `${ctx.method} is not implemented` },
};

interface KoaHttpError extends Error {
  status: number;
  expose: boolean;
  type?: string;
  headers?: Record<string, string>;
}
const isKoaHttpError = (e: unknown): e is KoaHttpError =>
  e instanceof Error && typeof (e as KoaHttpError).status === 'number' && typeof (e as KoaHttpError).expose === 'boolean';

// postgres.js and Node socket codes that mean "the database is not reachable right now", not a bug.
const DATABASE_DOWN_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED',
  'CONNECTION_DESTROYED', '57P01', '57P02', '57P03',
]);
const DATABASE_RETRY_AFTER_SECONDS = 5;

function problemOf(error: unknown): { problem: Problem; headers: Record<string, string> } | undefined {
  if (error instanceof DomainError) {
    const { status, title } = DOMAIN_STATUS[error.code];
    const headers: Record<string, string> = {};
    if (error.code === 'unauthorized') headers['WWW-Authenticate'] = 'Bearer realm="wav2mp3"';
    if (error.extra.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.extra.retryAfterSeconds);
    const problem: Problem = { type: problemType(error.code), title, status, detail: error.message };
    if (error.extra.fields) problem.errors = error.extra.fields;
    if (error.extra.property) problem.property = error.extra.property;
    if (error.extra.facts) Object.assign(problem, error.extra.facts);
    return { problem, headers };
  }
  if (error instanceof Error && DATABASE_DOWN_CODES.has(String((error as { code?: unknown }).code))) {
    return problemOf(
      new DomainError('database-unavailable', 'the database is not reachable right now; retry shortly', {
        retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      }),
    );
  }
  if (error instanceof HttpProblem) {
    return {
      problem: { type: problemType(error.slug), title: error.title, status: error.status, detail: error.message },
      headers: error.headers,
    };
  }
  // Koa's own and its middleware's errors (body parser, ctx.throw): trust the status, show only exposed messages.
  if (isKoaHttpError(error) && error.status >= 400 && error.status < 500) {
    const slug = error.status === 400 ? 'malformed-request' : error.status === 413 ? 'payload-too-large' : `http-${error.status}`;
    const detail = error.expose ? error.message : 'the request could not be processed';
    return { problem: { type: problemType(slug), title: detail, status: error.status, detail }, headers: {} };
  }
  return undefined;
}

function send(ctx: Context, problem: Problem, headers: Record<string, string>) {
  ctx.status = problem.status;
  ctx.set(headers);
  ctx.type = PROBLEM_CONTENT_TYPE;
  ctx.body = { ...problem, requestId: ctx.state.requestId as string };
}

export function problemResponses(log: Logger) {
  return async function problemResponses(ctx: Context, next: Next) {
    try {
      await next();
      const bare = BARE_STATUS[ctx.status];
      if (bare && ctx.body == null) {
        send(ctx, { type: problemType(bare.slug), title: bare.title, status: ctx.status, detail: bare.detail(ctx) }, {});
      }
    } catch (error) {
      const known = problemOf(error);
      if (known) {
        send(ctx, known.problem, known.headers);
        return;
      }
      // A bug or an outage we did not foresee: log everything, tell the client nothing but the request id.
      log.error({ err: error, requestId: ctx.state.requestId, method: ctx.method, path: ctx.path }, 'unhandled error');
      send(
        ctx,
        {
          type: problemType('internal-error'),
          title: 'Internal server error',
          status: 500,
          detail: 'the server failed to handle this request; quote the requestId when reporting it',
        },
        {},
      );
    }
  };
}
