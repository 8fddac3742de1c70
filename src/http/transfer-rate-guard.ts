// A minimum transfer rate for request bodies and responses, as Kestrel's MinRequestBodyDataRate/MinResponseDataRate
// and nginx's client_body_timeout/send_timeout have it. A client that trickles its upload (1 byte every few seconds)
// or stops reading a download would otherwise hold its socket, its spool file and its buffered response for as long
// as the request timeout allows; here it is dropped once it moved fewer than `minBytesPerSecond` over a whole window.
//
// Only time the server is waiting on the client counts: a body is measured while Node reads it off the socket (not
// while the spool pushes back, not once it has all arrived), including the discarding read of a lingering close; a response
// while bytes wait in the socket for the client to take them (not while the database is slow to produce them).
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

export interface TransferRateLimits {
  /** Fewest bytes per second a client must send or take while the server waits on it (0: no minimum). */
  minBytesPerSecond: number;
  /** The span the rate is measured over; a client below it for this long is dropped. */
  windowMs: number;
}

export interface TransferRateEvents {
  /** A connection was closed for moving too slowly in `direction`. */
  dropped(direction: 'request' | 'response'): void;
}

// How often connections are sampled; the window is a whole number of these.
const TICK_MS = 1_000;
// Connections reset per event-loop turn. 500 stalled downloads found slow in one sample and reset together (each
// tearing down its response, its stream of pieces and its metrics) took one turn of 160-210 ms, and health probes
// waited behind it.
const DROPS_PER_TURN = 20;

interface Watched {
  request: IncomingMessage | undefined;
  lastRead: number;
  lastSent: number;
  // Bytes moved in each recent tick while the server waited on the client, or undefined when it did not wait.
  reads: (number | undefined)[];
  sends: (number | undefined)[];
}

/** Bytes the kernel has taken from this socket: written minus what still waits in Node's buffers. */
const bytesSent = (socket: Socket) => socket.bytesWritten - socket.writableLength;

/** True when every tick of a full window waited on the client and together they moved too little. */
function tooSlow(samples: (number | undefined)[], ticks: number, minBytes: number): boolean {
  if (samples.length < ticks) return false;
  let moved = 0;
  for (const bytes of samples) {
    if (bytes === undefined) return false;
    moved += bytes;
  }
  return moved < minBytes;
}

function record(samples: (number | undefined)[], value: number | undefined, ticks: number): void {
  samples.push(value);
  if (samples.length > ticks) samples.shift();
}

export function enforceMinimumTransferRate(server: Server, limits: TransferRateLimits, events?: TransferRateEvents): void {
  if (limits.minBytesPerSecond <= 0) return;
  const ticks = Math.max(1, Math.round(limits.windowMs / TICK_MS));
  const minBytes = limits.minBytesPerSecond * ticks * (TICK_MS / 1000);
  const watched = new Map<Socket, Watched>();
  const doomed: [Socket, 'request' | 'response'][] = [];
  let dropping = false;

  const dropSome = () => {
    for (const [socket, direction] of doomed.splice(0, DROPS_PER_TURN)) {
      if (socket.destroyed) continue; // gone by itself meanwhile
      // A reset, not a close: a closed socket keeps the bytes the client never took in the kernel (megabytes per
      // socket on a fast link) and goes on offering them as an orphan; a reset frees them at once.
      socket.resetAndDestroy();
      events?.dropped(direction);
    }
    dropping = doomed.length > 0;
    if (dropping) setImmediate(dropSome);
  };

  const track = (req: IncomingMessage) => {
    const entry = watched.get(req.socket);
    if (entry) entry.request = req;
  };
  server.prependListener('request', track);
  server.prependListener('checkContinue', track);
  server.on('connection', (socket: Socket) => {
    watched.set(socket, { request: undefined, lastRead: socket.bytesRead, lastSent: bytesSent(socket), reads: [], sends: [] });
    socket.once('close', () => watched.delete(socket));
  });

  const sample = () => {
    for (const [socket, entry] of watched) {
      const read = socket.bytesRead;
      const sent = bytesSent(socket);
      const req = entry.request;
      // Waiting on the client's body: it has not all arrived and the request's buffer has room, so Node is reading the
      // socket. (A full buffer means no one is taking the body yet, or the spool pushes back: then Node stops reading
      // and the client is not at fault. Whether the reader flows or pulls on 'readable', as the lingering close's drain does, does
      // not matter.)
      const awaitingBody = req !== undefined && !req.complete && req.readableLength < req.readableHighWaterMark;
      // Waiting on the client to read: bytes sit in the socket that the kernel would not take.
      const awaitingReader = socket.writableLength > 0;
      record(entry.reads, awaitingBody ? read - entry.lastRead : undefined, ticks);
      record(entry.sends, awaitingReader ? sent - entry.lastSent : undefined, ticks);
      entry.lastRead = read;
      entry.lastSent = sent;
      const slow = tooSlow(entry.reads, ticks, minBytes) ? 'request' : tooSlow(entry.sends, ticks, minBytes) ? 'response' : undefined;
      if (slow) {
        watched.delete(socket);
        doomed.push([socket, slow]);
      }
    }
    if (doomed.length > 0 && !dropping) {
      dropping = true;
      setImmediate(dropSome);
    }
  };
  const timer = setInterval(sample, TICK_MS).unref();
  server.once('close', () => clearInterval(timer));
}
