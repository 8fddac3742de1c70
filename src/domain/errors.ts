// The errors use cases throw. Each has a stable `code`; http/errors.ts alone turns them into statuses.

export type DomainErrorCode =
  | 'validation-failed'
  | 'unauthorized'
  | 'not-found'
  | 'unsupported-audio'
  | 'invalid-audio'
  | 'unsupported-option'
  | 'audio-too-long'
  | 'service-busy'
  | 'too-many-conversions'
  | 'too-many-signups'
  | 'storage-quota-exceeded'
  | 'conversion-timeout'
  | 'database-unavailable'
  | 'shutting-down';

export interface FieldProblem {
  /** The field at fault, e.g. "name", "bitrate", "file". */
  field: string;
  message: string;
}

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly extra: {
      fields?: FieldProblem[];
      property?: string;
      retryAfterSeconds?: number;
      /** Numbers the client can act on, added to the problem body as they are (e.g. usedBytes, allowedBytes). */
      facts?: Record<string, number>;
    } = {},
  ) {
    super(message);
  }
}

export const validationFailed = (fields: FieldProblem[]) =>
  new DomainError('validation-failed', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });

/** One message for a missing user, a wrong token and a missing token: the answer must not reveal which. */
export const unauthorized = () =>
  new DomainError('unauthorized', 'the user id and token do not match a user; send the token you got from POST /user');

export const notFound = (what: string) => new DomainError('not-found', `${what} was not found`);
