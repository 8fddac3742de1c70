import type Router from '@koa/router';
import type { Sql } from '../../db/connect.js';
import { DomainError } from '../../domain/errors.js';

// /readyz must answer quickly even when the database hangs, so that orchestrators can act on it.
const READINESS_QUERY_TIMEOUT_MS = 2_000;

/** Set by the shutdown routine: from then on /readyz says 503 so balancers stop sending new work. */
export interface Lifecycle {
  draining: boolean;
}

export function healthRoutes(router: Router, { sql, lifecycle }: { sql: Sql; lifecycle: Lifecycle }): void {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    if (lifecycle.draining) throw new DomainError('shutting-down', 'the service is shutting down; use another instance', { retryAfterSeconds: 5 });
    const probe = sql`select 1`.execute();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('readiness probe timed out'), { code: 'CONNECT_TIMEOUT' })), READINESS_QUERY_TIMEOUT_MS);
    });
    try {
      await Promise.race([probe, timedOut]);
    } catch {
      probe.cancel();
      throw new DomainError('database-unavailable', 'the database does not answer', { retryAfterSeconds: 5 });
    } finally {
      clearTimeout(timer);
    }
    ctx.body = { status: 'ready' };
  });
}
