// GET /metrics in the Prometheus text format, behind a token of its own: without METRICS_TOKEN it is not served.
import { createHash, timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import type { ServiceMetrics } from '../../observability/metrics.js';
import { bearerCredentials } from '../bearer-token.js';
import { HttpProblem } from '../errors.js';

// Compared as SHA-256 digests: equal lengths whatever was sent (timingSafeEqual throws on unequal ones, and a header
// of as many characters can still have more UTF-8 bytes), and nothing learnt about the token's length.
const digest = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();
const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));

export function metricsRoutes(router: Router, { metrics, token }: { metrics: ServiceMetrics; token: string | undefined }): void {
  router.get('/metrics', async (ctx) => {
    // The metrics tell anyone who can read them the traffic, the load and the process's memory. A deployment that
    // forgets the token gets a closed endpoint, not an open one on whatever network the port reaches.
    if (token === undefined) {
      throw new HttpProblem(404, 'not-found', 'Not found', 'metrics are disabled: they are served only when the service has a METRICS_TOKEN');
    }
    // The metrics token is any string the operator chose, compared as sent (unlike access tokens, never lower-cased).
    if (!sameSecret(bearerCredentials(ctx) ?? '', token)) {
      throw new HttpProblem(401, 'unauthorized', 'Authentication failed', 'send the metrics token as a Bearer header', {
        'WWW-Authenticate': 'Bearer realm="metrics"',
      });
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
}
