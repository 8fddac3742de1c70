// GET /metrics in the Prometheus text format, optionally behind a token of its own.
import { timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import type { ServiceMetrics } from '../../observability/metrics.js';
import { bearerToken } from '../bearer-token.js';
import { HttpProblem } from '../errors.js';

const sameSecret = (given: string, expected: string) =>
  given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));

export function metricsRoutes(router: Router, { metrics, token }: { metrics: ServiceMetrics; token: string | undefined }): void {
  router.get('/metrics', async (ctx) => {
    if (token !== undefined && !sameSecret(bearerToken(ctx) ?? '', token)) {
      throw new HttpProblem(401, 'unauthorized', 'Authentication failed', 'send the metrics token as a Bearer header', {
        'WWW-Authenticate': 'Bearer realm="metrics"',
      });
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
}
