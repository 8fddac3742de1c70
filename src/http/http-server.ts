// The HTTP server around the app, as main.ts runs it and the tests start it: header and request limits, caps on
// connections and a minimum transfer rate, the `Expect: 100-continue` decision left to the app, and the lingering
// close of half-read requests, and problem bodies for what Node's parser refuses.
import http from 'node:http';
import type Koa from 'koa';
import { answerClientErrors } from './client-errors.js';
import { limitConnections, type ConnectionEvents, type ConnectionLimits } from './connection-limits.js';
import { closeConnectionsLingering, type LingeringCloseEvents, type LingeringCloseLimits } from './lingering-close.js';
import { admitRequests } from './request-admission.js';
import { enforceMinimumTransferRate, type TransferRateEvents, type TransferRateLimits } from './transfer-rate-guard.js';

export interface HttpServerOptions {
  maxHeaderBytes: number;
  requestTimeoutMs: number;
  lingering: LingeringCloseLimits;
  connections: ConnectionLimits;
  transferRate: TransferRateLimits;
  events?: LingeringCloseEvents & ConnectionEvents & TransferRateEvents;
}

export function createHttpServer(app: Koa, options: HttpServerOptions): http.Server {
  const server = http.createServer({
    maxHeaderSize: options.maxHeaderBytes,
    requestTimeout: options.requestTimeoutMs,
    // Node looks for requests past their time every 30 s by default; a shorter timeout gets a closer look.
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, options.requestTimeoutMs / 4)),
  });
  const handle = admitRequests(server, app.callback());
  server.on('request', handle);
  answerClientErrors(server, options);
  // With a listener here, Node no longer sends `100 Continue` by itself: the app sends it when it starts reading the
  // body (request-body-flow.ts), after the checks that the headers alone can decide.
  server.on('checkContinue', handle);
  limitConnections(server, options.connections, options.events);
  enforceMinimumTransferRate(server, options.transferRate, options.events);
  closeConnectionsLingering(server, options.lingering, options.events);
  return server;
}
