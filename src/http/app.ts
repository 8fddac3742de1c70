// buildApp: the Koa application with every route, ready for app.callback() or a server; it never listens.
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import Koa from 'koa';
import type { ConversionPool } from '../audio/conversion-pool.js';
import type { EncoderName } from '../audio/mp3-encoder.js';
import type { Sql } from '../db/connect.js';
import { DownloadReads } from '../domain/download-pieces.js';
import type { UserConversionSlots } from '../domain/user-conversion-slots.js';
import type { ConversionOutcomeListener } from '../domain/convert-upload.js';
import type { Logger } from '../log.js';
import type { ServiceMetrics } from '../observability/metrics.js';
import type { SpoolBudget } from './spool-budget.js';
import { refuseConnectionsOverLimits } from './connection-limits.js';
import { problemResponses } from './errors.js';
import { requestBodyFlow } from './request-body-flow.js';
import { linkOrigin } from './request-origin.js';
import { docsRoutes } from './routes/docs.js';
import { metricsRoutes } from './routes/metrics.js';
import { webPageRoutes } from './routes/web-page.js';
import { healthRoutes, type Lifecycle } from './routes/health.js';
import { libraryRoutes } from './routes/library.js';
import { recordDownloadRoutes } from './routes/record-download.js';
import { recordUploadRoutes } from './routes/record-upload.js';
import { userRoutes } from './routes/users.js';

export interface AppDeps {
  sql: Sql;
  /** Connections the sql pool may open: downloads take a third of them at most. */
  databaseConnections: number;
  pool: ConversionPool;
  log: Logger;
  encoder: EncoderName;
  spoolDir: string;
  /** Room in the spool for uploads in progress (MAX_SPOOL_BYTES, MIN_FREE_DISK_BYTES). */
  spoolBudget: SpoolBudget;
  maxUploadBytes: number;
  maxAudioSeconds: number;
  maxNameLength: number;
  /** MP3 bytes one user may store (MAX_STORAGE_BYTES_PER_USER); 0: no limit. */
  maxStorageBytesPerUser: number;
  /** Users one client address may create per hour (MAX_SIGNUPS_PER_IP_PER_HOUR); 0: no limit. */
  maxSignupsPerHour: number;
  /** Base of download links; unset, links use the scheme and host the client used (see request-origin.ts). */
  publicUrl: string | undefined;
  /** Peers whose X-Forwarded-Proto/-Host are believed (proxy-addr syntax). */
  trustedProxies: string[];
  logRequests: boolean;
  lifecycle: Lifecycle;
  conversionSlots: UserConversionSlots;
  /** Prometheus metrics; absent, /metrics is not served. */
  metrics?: ServiceMetrics;
  /** /metrics is served only when set, and wants `Authorization: Bearer <metricsToken>`; unset, it answers 404. */
  metricsToken?: string;
  conversionEvents?: ConversionOutcomeListener;
}

// A client's request id is echoed back only when it is short and plain, so it cannot forge log lines.
const CLIENT_REQUEST_ID = /^[\w.:-]{1,128}$/;

const routers = new WeakMap<Koa, Router>();

/** Every route the app serves, as [method, path] pairs; lets tests hold the OpenAPI document to the router. */
export function routesOf(app: Koa): { method: string; path: string }[] {
  const router = routers.get(app);
  if (!router) throw new Error('not an app built by buildApp');
  return router.stack.flatMap((layer) => layer.methods.map((method) => ({ method, path: String(layer.path) })));
}

export function buildApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.silent = true; // errors are logged by problemResponses, once, with their request id

  app.use(async (ctx, next) => {
    const started = performance.now();
    const given = ctx.get('X-Request-Id');
    ctx.state.requestId = CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId as string);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    ctx.set('Referrer-Policy', 'no-referrer');
    try {
      await next();
    } finally {
      const route = (ctx._matchedRoute as string | undefined) ?? 'unmatched';
      deps.metrics?.httpDuration.observe({ method: ctx.method, route, status: String(ctx.status) }, (performance.now() - started) / 1000);
      if (deps.logRequests) {
        deps.log.info(
          {
            requestId: ctx.state.requestId,
            method: ctx.method,
            route,
            status: ctx.status,
            durationMs: Math.round(performance.now() - started),
            bytes: ctx.length ?? null,
          },
          'request',
        );
      }
    }
  });
  app.use(requestBodyFlow);
  app.use(problemResponses(deps.log));
  app.use(refuseConnectionsOverLimits);

  const downloadReads = new DownloadReads(deps.databaseConnections);
  deps.metrics?.observeDownloadReads(downloadReads);
  const routeDeps = { ...deps, linkOrigin: linkOrigin(deps), downloadReads, storageQuota: { maxBytesPerUser: deps.maxStorageBytesPerUser } };
  const router = new Router();
  healthRoutes(router, routeDeps);
  userRoutes(router, routeDeps);
  recordUploadRoutes(router, routeDeps);
  recordDownloadRoutes(router, routeDeps);
  libraryRoutes(router, routeDeps);
  docsRoutes(router, deps);
  webPageRoutes(router);
  if (deps.metrics) metricsRoutes(router, { metrics: deps.metrics, token: deps.metricsToken });
  app.use(router.routes());
  app.use(router.allowedMethods());
  routers.set(app, router);
  return app;
}
