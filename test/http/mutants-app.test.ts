// What buildApp (src/http/app.ts) adds around the routes, through app.callback() on a server in this process with the
// real database and conversion pool (docs/MUTATION.md): the request id (echoed only when short and plain), the
// security headers on every answer, the request log line and the duration metric with their route label, /metrics
// only with metrics, and routesOf. test/errors.test.ts and test/observability.test.ts see some of it in the service.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Koa from 'koa';
import { pino } from 'pino';
import postgres from 'postgres';
import * as assert from 'uvu/assert';
import { ConversionPool } from '../../src/audio/conversion-pool.js';
import { migrate } from '../../src/db/migrate.js';
import { UserConversionSlots } from '../../src/domain/user-conversion-slots.js';
import { buildApp, routesOf } from '../../src/http/app.js';
import { SpoolBudget } from '../../src/http/spool-budget.js';
import type { Logger } from '../../src/log.js';
import { ServiceMetrics } from '../../src/observability/metrics.js';
import { test } from '../support/suite.js';
import { testDatabaseUrl } from '../support/test-service.js';

const sql = postgres(testDatabaseUrl(), { max: 4, onnotice: () => {} });
let pool: ConversionPool;
let spoolDir = '';

test.before(async () => {
  await migrate(sql);
  pool = await ConversionPool.start({ threads: 1, maxQueue: 1, taskTimeoutMs: 60_000, splitMinSeconds: 0 });
  spoolDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-app-test-'));
});
test.after(async () => {
  await pool.close();
  await sql.end({ timeout: 5 });
  await rm(spoolDir, { recursive: true, force: true });
});

interface Served {
  url: string;
  logLines: Record<string, unknown>[];
  metrics: ServiceMetrics | undefined;
  app: Koa;
  close(): Promise<void>;
}

async function serve(options: { logRequests?: boolean; withMetrics?: boolean; metricsToken?: string } = {}): Promise<Served> {
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level: 'info', base: undefined }, sink) as unknown as Logger;
  const metrics = options.withMetrics ? new ServiceMetrics({ stats: () => pool.stats, splitConversions: () => pool.splitConversions }, 4) : undefined;
  const app = buildApp({
    sql,
    databaseConnections: 4,
    pool,
    log,
    encoder: 'wasm',
    spoolDir,
    spoolBudget: new SpoolBudget({ dir: spoolDir, maxBytes: 1024 ** 3, minFreeBytes: 0 }),
    maxUploadBytes: 1024 ** 3,
    maxAudioSeconds: 3600,
    maxNameLength: 100,
    maxStorageBytesPerUser: 0,
    maxSignupsPerHour: 0,
    publicUrl: undefined,
    trustedProxies: [],
    logRequests: options.logRequests ?? false,
    lifecycle: { draining: false },
    conversionSlots: new UserConversionSlots(2),
    metrics,
    metricsToken: options.metricsToken,
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logLines,
    metrics,
    app,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('when a client sends a short, plain request id, then it is echoed; a long or odd one, or none, is replaced by a UUID', async () => {
  const served = await serve();
  try {
    const idOf = async (given?: string) =>
      (await fetch(`${served.url}/healthz`, { headers: given === undefined ? {} : { 'X-Request-Id': given } })).headers.get('x-request-id');
    for (const plain of ['a', 'client_id-4.2:7', 'x'.repeat(128)]) assert.is(await idOf(plain), plain);
    for (const odd of ['x'.repeat(129), 'two words', 'line"quote', 'é', '']) assert.match((await idOf(odd))!, UUID_V4, odd);
    const generated = await idOf();
    assert.match(generated!, UUID_V4);
    assert.is.not(await idOf(), generated, 'each request gets its own id');
  } finally {
    await served.close();
  }
});

test('when any answer is sent, found or not, then it carries the security headers', async () => {
  const served = await serve();
  try {
    for (const [where, status] of [
      ['/healthz', 200],
      ['/no-such-page', 404],
    ] as const) {
      const response = await fetch(`${served.url}${where}`);
      assert.is(response.status, status);
      assert.is(response.headers.get('x-content-type-options'), 'nosniff');
      assert.is(response.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'");
      assert.is(response.headers.get('referrer-policy'), 'no-referrer');
    }
    // A method the route does not have is answered by the router, not as a missing page.
    const wrong = await fetch(`${served.url}/healthz`, { method: 'DELETE' });
    assert.is(wrong.status, 405);
    assert.match(wrong.headers.get('allow') ?? '', /GET/);
  } finally {
    await served.close();
  }
});

test('when requests are logged, then each gets one line with its id, method, route, status, duration and bytes', async () => {
  const served = await serve({ logRequests: true });
  try {
    const sentAt = performance.now();
    const found = await fetch(`${served.url}/healthz`, { headers: { 'X-Request-Id': 'logged-1' } });
    const body = await found.text();
    const tookMs = performance.now() - sentAt;
    await (await fetch(`${served.url}/nothing/here`, { headers: { 'X-Request-Id': 'logged-2' } })).text();
    const lines = served.logLines.filter((line) => line.msg === 'request');
    assert.is(lines.length, 2);
    const [first, second] = lines as [Record<string, unknown>, Record<string, unknown>];
    assert.equal(
      { requestId: first.requestId, method: first.method, route: first.route, status: first.status, bytes: first.bytes },
      { requestId: 'logged-1', method: 'GET', route: '/healthz', status: 200, bytes: Buffer.byteLength(body) },
    );
    assert.equal(
      { requestId: second.requestId, route: second.route, status: second.status },
      { requestId: 'logged-2', route: 'unmatched', status: 404 },
    );
    for (const line of lines) assert.ok(Number.isInteger(line.durationMs) && (line.durationMs as number) >= 0, String(line.durationMs));
    // The server's time for the request is within the client's for the whole exchange.
    assert.ok((first.durationMs as number) <= Math.ceil(tookMs), `${String(first.durationMs)} ms logged, ${tookMs} ms seen by the client`);
  } finally {
    await served.close();
  }
});

test('when requests are not logged, then no request line is written', async () => {
  const served = await serve({ logRequests: false });
  try {
    await (await fetch(`${served.url}/healthz`)).text();
    assert.equal(served.logLines.filter((line) => line.msg === 'request'), []);
  } finally {
    await served.close();
  }
});

test('when metrics are kept, then each request is timed in seconds under its route, or "unmatched"', async () => {
  const served = await serve({ withMetrics: true, metricsToken: 'secret' });
  try {
    await (await fetch(`${served.url}/healthz`)).text();
    await (await fetch(`${served.url}/nothing/here`)).text();
    const text = await served.metrics!.registry.metrics();
    assert.match(text, /http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 1\n/);
    assert.match(text, /http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1\n/);
    const sum = Number(/http_request_duration_seconds_sum\{method="GET",route="\/healthz",status="200"\} (\S+)/.exec(text)?.[1]);
    assert.ok(sum > 0 && sum < 1, `${sum} s for a health probe`);
    const scraped = await fetch(`${served.url}/metrics`, { headers: { Authorization: 'Bearer secret' } });
    assert.is(scraped.status, 200);
    assert.match(await scraped.text(), /http_request_duration_seconds_count/);
  } finally {
    await served.close();
  }
});

test('when no metrics are kept, then /metrics is not a route', async () => {
  const served = await serve({ withMetrics: false, metricsToken: 'secret' });
  try {
    const response = await fetch(`${served.url}/metrics`, { headers: { Authorization: 'Bearer secret' } });
    assert.is(response.status, 404);
    assert.not.ok(routesOf(served.app).some((route) => route.path === '/metrics'));
  } finally {
    await served.close();
  }
});

test('when routesOf is asked, then it lists the routes of an app buildApp made, and refuses any other app', async () => {
  const served = await serve({ withMetrics: true });
  try {
    const routes = routesOf(served.app);
    for (const [method, route] of [
      ['GET', '/healthz'],
      ['GET', '/readyz'],
      ['POST', '/user'],
      ['POST', '/record'],
      ['GET', '/record'],
      ['GET', '/records'],
      ['GET', '/metrics'],
    ]) {
      assert.ok(routes.some((r) => r.method === method && r.path === route), `${method} ${route}`);
    }
    assert.throws(() => routesOf(new Koa()), /^not an app built by buildApp$/);
  } finally {
    await served.close();
  }
});

test.run();
