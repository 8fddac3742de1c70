// How the server closes a connection whose request body it did not read to the end (an upload refused early):
// a lingering close, as nginx's `lingering_close` does it. Node destroys such a socket as soon as the response is
// flushed; the client's kernel then gets a RST for the bytes still in flight and may throw away the answer it had
// not read yet, so a client still sending (Python's urllib, nginx as a proxy, curl mid-body) sees a broken pipe
// instead of the 401 or 429 that was sent. Here the server half-closes after the response (FIN: the answer is
// complete), reads and discards what the client still sends for a bounded time and size, and only then closes.
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

export interface LingeringCloseLimits {
  /** Longest a connection lingers in all. */
  totalMs: number;
  /** Longest it lingers with nothing arriving. */
  idleMs: number;
  /** Most request bytes read and discarded. */
  maxBytes: number;
}

export interface LingeringCloseEvents {
  /** A connection lingered; `outcome` tells how that ended, `bytes` how much was read and discarded meanwhile. */
  lingered(outcome: 'client-closed' | 'timeout' | 'idle' | 'too-many-bytes', bytes: number): void;
}

// The request a socket is serving now: what decides whether its close must linger.
const currentRequest = new WeakMap<Socket, IncomingMessage>();

export function closeConnectionsLingering(server: Server, limits: LingeringCloseLimits, events?: LingeringCloseEvents): void {
  const track = (req: IncomingMessage) => currentRequest.set(req.socket, req);
  server.prependListener('request', track);
  server.prependListener('checkContinue', track);
  server.on('connection', (socket: Socket) => {
    // Node's server calls destroySoon() after the last response of a connection (`Connection: close`). It is the
    // one place where a close can wait for the client, so it is replaced on each socket, and only lingers when the
    // request still has body bytes to come.
    const closeNow = socket.destroySoon.bind(socket);
    socket.destroySoon = () => {
      const req = currentRequest.get(socket);
      if (!req || req.complete || socket.destroyed) closeNow();
      else linger(socket, req, limits, events);
    };
  });
}

// How often a lingering connection's progress is looked at: fine enough for idle limits of a second or more.
const CHECK_EVERY_MS = 250;

function linger(socket: Socket, req: IncomingMessage, limits: LingeringCloseLimits, events?: LingeringCloseEvents): void {
  // Progress is read off the socket: once Node discards an unread body itself, the request emits no more data.
  const readAtStart = socket.bytesRead;
  const started = Date.now();
  let lastRead = readAtStart;
  let lastProgress = started;
  let done = false;
  const stop = (outcome: Parameters<LingeringCloseEvents['lingered']>[0]) => {
    if (done) return;
    done = true;
    clearInterval(watch);
    socket.destroy();
    events?.lingered(outcome, socket.bytesRead - readAtStart);
  };
  const watch = setInterval(() => {
    const now = Date.now();
    if (socket.bytesRead !== lastRead) {
      lastRead = socket.bytesRead;
      lastProgress = now;
    }
    if (lastRead - readAtStart > limits.maxBytes) stop('too-many-bytes');
    else if (now - started >= limits.totalMs) stop('timeout');
    else if (now - lastProgress >= limits.idleMs) stop('idle');
  }, Math.max(10, Math.min(CHECK_EVERY_MS, limits.idleMs))).unref();
  socket.end();
  socket.once('end', () => stop('client-closed'));
  socket.once('close', () => stop('client-closed'));
  // Whatever was reading the body (the multipart parser of a refused upload) has given up on it; flowing with no
  // reader, the rest is discarded.
  req.unpipe();
  req.resume();
}
