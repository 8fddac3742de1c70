// buildApp: the Koa application with every route, ready for app.callback() or a server; it never listens.
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import Koa from 'koa';
import type { ConversionPool } from '../audio/conversion-pool.js';
import type { EncoderName } from '../audio/mp3-encoder.js';
import type { Sql } from '../db/connect.js';
import type { UserConversionSlots } from '../domain/user-conversion-slots.js';
import type { Logger } from '../log.js';
import { problemResponses } from './errors.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes, type Lifecycle } from './routes/health.js';
import { libraryRoutes } from './routes/library.js';
import { recordDownloadRoutes } from './routes/record-download.js';
import { recordUploadRoutes } from './routes/record-upload.js';
import { userRoutes } from './routes/users.js';

export interface AppDeps {
  sql: Sql;
  pool: ConversionPool;
  log: Logger;
  encoder: EncoderName;
  spoolDir: string;
  maxUploadBytes: number;
  maxAudioSeconds: number;
  maxNameLength: number;
  publicUrl: string | undefined;
  logRequests: boolean;
  lifecycle: Lifecycle;
  conversionSlots: UserConversionSlots;
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
      if (deps.logRequests) {
        deps.log.info(
          {
            requestId: ctx.state.requestId,
            method: ctx.method,
            route: ctx._matchedRoute ?? null,
            status: ctx.status,
            durationMs: Math.round(performance.now() - started),
            bytes: ctx.length ?? null,
          },
          'request',
        );
      }
    }
  });
  app.use(problemResponses(deps.log));

  const router = new Router();
  healthRoutes(router, deps);
  userRoutes(router, deps);
  recordUploadRoutes(router, deps);
  recordDownloadRoutes(router, deps);
  libraryRoutes(router, deps);
  docsRoutes(router, deps);
  app.use(router.routes());
  app.use(router.allowedMethods());
  routers.set(app, router);
  return app;
}
