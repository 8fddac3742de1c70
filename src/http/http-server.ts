// The HTTP server around the app, as main.ts runs it and the tests start it: header and request limits, the
// `Expect: 100-continue` decision left to the app, and the lingering close of half-read requests.
import http from 'node:http';
import type Koa from 'koa';
import { closeConnectionsLingering, type LingeringCloseEvents, type LingeringCloseLimits } from './lingering-close.js';

export interface HttpServerOptions {
  maxHeaderBytes: number;
  requestTimeoutMs: number;
  lingering: LingeringCloseLimits;
  lingeringEvents?: LingeringCloseEvents;
}

export function createHttpServer(app: Koa, options: HttpServerOptions): http.Server {
  const handle = app.callback();
  const server = http.createServer({ maxHeaderSize: options.maxHeaderBytes, requestTimeout: options.requestTimeoutMs }, handle);
  // With a listener here, Node no longer sends `100 Continue` by itself: the app sends it when it starts reading the
  // body (request-body-flow.ts), after the checks that the headers alone can decide.
  server.on('checkContinue', handle);
  closeConnectionsLingering(server, options.lingering, options.lingeringEvents);
  return server;
}
