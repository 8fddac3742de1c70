// GET /metrics (src/http/routes/metrics.ts) on a Koa app in this process, no service: closed without a token, the
// token compared exactly as configured, each refusal's problem body, and the Prometheus text when the token matches.
// test/observability.test.ts checks the same through the service started as a process, which Stryker's mutants do
// not reach (the process gets a clean environment).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import * as assert from 'uvu/assert';
import { problemResponses } from '../../src/http/errors.js';
import { metricsRoutes } from '../../src/http/routes/metrics.js';
import type { Logger } from '../../src/log.js';
import { ServiceMetrics } from '../../src/observability/metrics.js';
import { test } from '../support/suite.js';

const TOKEN = 'Metrics-Secret-0123456789';

async function withMetricsApp(token: string | undefined, run: (url: string) => Promise<void>): Promise<void> {
  const app = new Koa();
  app.silent = true;
  app.use(problemResponses({ error: () => {} } as unknown as Logger) as Koa.Middleware);
  const router = new Router();
  const metrics = new ServiceMetrics({ stats: () => ({ queued: 0, running: 0, threads: 1 }), splitConversions: () => 0 }, 4);
  metrics.conversionsStarted.inc(3);
  metricsRoutes(router, { metrics, token });
  app.use(router.routes());
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

test('when no METRICS_TOKEN is set, then /metrics is 404 with the problem that says how to open it, whatever is sent', async () => {
  await withMetricsApp(undefined, async (url) => {
    for (const headers of [{}, bearer(TOKEN), bearer('')]) {
      const response = await fetch(url, { headers });
      assert.is(response.status, 404);
      assert.equal(await response.json(), {
        type: '/problems/not-found',
        title: 'Not found',
        status: 404,
        detail: 'metrics are disabled: they are served only when the service has a METRICS_TOKEN',
      });
    }
  });
});

test('when the token is missing, wrong, differs only in case or length, then 401 with a Bearer challenge of the metrics realm', async () => {
  await withMetricsApp(TOKEN, async (url) => {
    for (const headers of [{}, bearer('wrong'), bearer(TOKEN.toLowerCase()), bearer(`${TOKEN}0`), bearer(TOKEN.slice(0, -1)), { Authorization: TOKEN }]) {
      const response = await fetch(url, { headers });
      assert.is(response.status, 401, JSON.stringify(headers));
      assert.is(response.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      assert.equal(await response.json(), {
        type: '/problems/unauthorized',
        title: 'Authentication failed',
        status: 401,
        detail: 'send the metrics token as a Bearer header',
      });
    }
  });
});

test('when the token matches exactly, then the Prometheus text of the registry comes back', async () => {
  await withMetricsApp(TOKEN, async (url) => {
    const response = await fetch(url, { headers: bearer(TOKEN) });
    assert.is(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    assert.match(text, /^conversions_started_total 3$/m);
    assert.match(text, /^conversion_queue_depth 0$/m);
  });
});

test.run();
