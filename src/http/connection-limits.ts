// Caps on open connections, in all and per client address, so that one client (or a crowd) cannot take every file
// descriptor and leave nothing for health checks and real users. A connection over a cap is still accepted long
// enough to answer its first request with a problem (503, or 429 for one address over its share) and is then closed;
// far over the total (the hard ceiling) sockets are closed at accept without a word, since even an answer costs.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Context, Next } from 'koa';
import proxyaddr from 'proxy-addr';
import { HttpProblem } from './errors.js';

export interface ConnectionLimits {
  /** Connections served at once; more are answered 503 and closed. */
  maxConnections: number;
  /** Connections one client address may hold at once (0: no cap); more are answered 429 and closed. */
  maxPerAddress: number;
  /** Peers not held to the per-address cap: the reverse proxy in front carries many clients on its address. */
  trustedProxies: string[];
}

export type ConnectionRefusal = 'too-many-connections' | 'too-many-connections-from-address';

export interface ConnectionEvents {
  /** A connection over a cap was accepted only to be refused; `dropped` ones were closed at accept. */
  refused(reason: ConnectionRefusal | 'dropped'): void;
}

// Over the total, connections are answered until this many more are open; past it they are dropped at accept.
export const ANSWERED_ABOVE_CAP = (max: number) => Math.max(64, Math.ceil(max / 10));
// A refused connection gets this long to send the request its refusal answers.
const REFUSED_CONNECTION_TIMEOUT_MS = 5_000;

const refusals = new WeakMap<Socket, ConnectionRefusal>();

/** Why this connection is only being answered with a refusal, if it is. */
export const connectionRefusal = (socket: Socket): ConnectionRefusal | undefined => refusals.get(socket);

/** The key a client's connections are counted under: its IPv4 address, or the /64 network of an IPv6 one. */
export function addressKey(remoteAddress: string): string {
  const address = remoteAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (!address.includes(':')) return address;
  // One IPv6 subscriber is usually given a whole /64; counting addresses would let them open 2^64 times the cap.
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...headGroups, ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export function limitConnections(server: Server, limits: ConnectionLimits, events?: ConnectionEvents): void {
  const perAddress = new Map<string, number>();
  const trusted = proxyaddr.compile(limits.trustedProxies);
  let open = 0;
  server.maxConnections = limits.maxConnections + ANSWERED_ABOVE_CAP(limits.maxConnections);
  server.on('drop', () => events?.refused('dropped'));
  server.on('connection', (socket: Socket) => {
    const remote = socket.remoteAddress ?? '';
    const key = limits.maxPerAddress > 0 && !trusted(remote, 0) ? addressKey(remote) : undefined;
    const fromAddress = key === undefined ? 0 : (perAddress.get(key) ?? 0);
    const refusal: ConnectionRefusal | undefined =
      open >= limits.maxConnections
        ? 'too-many-connections'
        : key !== undefined && fromAddress >= limits.maxPerAddress
          ? 'too-many-connections-from-address'
          : undefined;
    if (refusal) {
      refusals.set(socket, refusal);
      events?.refused(refusal);
      // Node's server destroys a socket whose timeout fires with no one listening for it.
      socket.setTimeout(REFUSED_CONNECTION_TIMEOUT_MS);
      return;
    }
    open++;
    if (key !== undefined) perAddress.set(key, fromAddress + 1);
    socket.once('close', () => {
      open--;
      if (key === undefined) return;
      const left = (perAddress.get(key) ?? 1) - 1;
      if (left === 0) perAddress.delete(key);
      else perAddress.set(key, left);
    });
  });
}

// Seconds after which a refused client may try again: by then a few connections have usually closed.
const RETRY_AFTER_SECONDS = '5';

/** Answers the requests of a connection accepted over a cap with its refusal, before any route runs. */
export async function refuseConnectionsOverLimits(ctx: Context, next: Next): Promise<void> {
  const refusal = connectionRefusal(ctx.req.socket);
  if (refusal === undefined) return next();
  ctx.set('Connection', 'close');
  // Liveness still answers: a process busy at its cap is alive, and an orchestrator told otherwise would restart it
  // and drop every upload in flight. Readiness (/readyz) is refused like the rest: send no more here for now.
  if (ctx.path === '/healthz') return next();
  if (refusal === 'too-many-connections') {
    throw new HttpProblem(503, refusal, 'Too many connections', 'the server is holding as many connections as it serves at once; retry shortly', {
      'Retry-After': RETRY_AFTER_SECONDS,
    });
  }
  throw new HttpProblem(429, refusal, 'Too many connections from your address', 'your address holds as many connections as one client may; close some and retry', {
    'Retry-After': RETRY_AFTER_SECONDS,
  });
}
