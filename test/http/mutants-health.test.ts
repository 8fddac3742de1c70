// The health probes (src/http/routes/health.ts) on a Koa app in this process (docs/MUTATION.md): liveness always,
// readiness against the real database, 503 while draining, and 503 within the probe's 2 s when the database does
// not answer (a TCP server that accepts connections and never replies).
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import postgres from 'postgres';
import * as assert from 'uvu/assert';
import type { Sql } from '../../src/db/connect.js';
import { problemResponses } from '../../src/http/errors.js';
import { healthRoutes, type Lifecycle } from '../../src/http/routes/health.js';
import type { Logger } from '../../src/log.js';
import { test } from '../support/suite.js';
import { testDatabaseUrl } from '../support/test-service.js';

async function serve(sql: Sql, lifecycle: Lifecycle): Promise<{ url: string; close(): Promise<void> }> {
  const app = new Koa();
  app.silent = true;
  app.use(problemResponses({ error: () => {} } as unknown as Logger) as Koa.Middleware);
  const router = new Router();
  healthRoutes(router, { sql, lifecycle });
  app.use(router.routes());
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('when the database answers, then /healthz is ok and /readyz ready; while draining, /readyz is 503 with a retry time', async () => {
  const sql = postgres(testDatabaseUrl(), { max: 2, onnotice: () => {} });
  const lifecycle: Lifecycle = { draining: false };
  const served = await serve(sql, lifecycle);
  try {
    const live = await fetch(`${served.url}/healthz`);
    assert.equal([live.status, await live.json()], [200, { status: 'ok' }]);
    const ready = await fetch(`${served.url}/readyz`);
    assert.equal([ready.status, await ready.json()], [200, { status: 'ready' }]);
    lifecycle.draining = true;
    const draining = await fetch(`${served.url}/readyz`);
    assert.is(draining.status, 503);
    assert.is(draining.headers.get('retry-after'), '5');
    const body = (await draining.json()) as { type: string; detail: string };
    assert.equal([body.type, body.detail], ['/problems/shutting-down', 'the service is shutting down; use another instance']);
    // Liveness does not depend on draining.
    assert.is((await fetch(`${served.url}/healthz`)).status, 200);
  } finally {
    await served.close();
    await sql.end({ timeout: 5 });
  }
});

test('when the database does not answer, then /readyz is 503 after about 2 s, with a retry time, and /healthz still 200', async () => {
  const silent = net.createServer(() => {}); // accepts, never replies
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as AddressInfo;
  const sql = postgres({ host: '127.0.0.1', port, user: 'postgres', database: 'test', max: 1, connect_timeout: 30, onnotice: () => {} });
  const served = await serve(sql, { draining: false });
  try {
    const started = Date.now();
    const ready = await fetch(`${served.url}/readyz`);
    const waited = Date.now() - started;
    assert.is(ready.status, 503);
    assert.ok(waited >= 1900 && waited < 4000, `answered after ${waited} ms`);
    assert.is(ready.headers.get('retry-after'), '5');
    const body = (await ready.json()) as { type: string; detail: string };
    assert.equal([body.type, body.detail], ['/problems/database-unavailable', 'the database does not answer']);
    assert.is((await fetch(`${served.url}/healthz`)).status, 200);
  } finally {
    await served.close();
    await sql.end({ timeout: 0 }).catch(() => {});
    silent.close();
  }
});

test.run();
