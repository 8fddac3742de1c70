// Why the embedded PostgreSQL could not start, in one line that says what to do about it.
import { ConfigError } from '../config.js';

export type EmbeddedPostgresProblem =
  | 'not-installed'
  | 'no-postgres-user'
  | 'binaries-unreachable'
  | 'data-dir-unreachable'
  | 'cluster-of-another-user'
  | 'initdb-failed'
  | 'start-failed';

/**
 * A ConfigError because the cure is always a change to how the service is run (another user, another DATA_DIR, a
 * DATABASE_URL), and main.ts prints a ConfigError as its message alone: the operator reads one plain line instead
 * of a stack trace.
 */
export class EmbeddedPostgresError extends ConfigError {
  override name = 'EmbeddedPostgresError';

  constructor(
    readonly code: EmbeddedPostgresProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
