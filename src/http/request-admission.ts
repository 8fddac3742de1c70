// When requests start while connections arrive faster than they are served. libuv accepts one connection per
// event-loop turn (since libuv 1.45: libuv/libuv#3696), so a health probe that arrives behind a burst of 50 new
// connections is accepted only 50 turns later; when each of those turns also runs a whole request (about a
// millisecond: parsing, a refusal, its answer), the probe waited 60-150 ms in the listen queue while the event loop
// itself never stalled (docs/LIMITS.md). Here requests wait in a queue instead, and while connections are being
// accepted only every third turn starts one, so the turns that accept stay short and the listen queue drains first.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

// Answered the moment they are parsed: an orchestrator uses them to tell a busy process from a dead one.
const PROBE_PATHS = new Set(['/healthz', '/readyz']);
// While the listen queue has connections in it, one request starts per this many turns.
const TURNS_PER_START_WHILE_ACCEPTING = 3;
// Requests started in a turn that accepted nothing: a bound on the turn, so a probe arriving meanwhile waits little.
const STARTS_PER_QUIET_TURN = 4;

export const isProbe = (request: IncomingMessage): boolean => PROBE_PATHS.has((request.url ?? '').split('?', 1)[0]!);

/** Wraps `handle` so that requests other than health probes start in the order they came, a few per turn. */
export function admitRequests(server: Server, handle: Handler): Handler {
  const waiting: [IncomingMessage, ServerResponse][] = [];
  let acceptedThisTurn = false;
  let turnsSinceStart = 0;
  let turnScheduled = false;

  // A connection dropped at accept (over the hard ceiling, connection-limits.ts) was accepted all the same.
  const accepted = () => {
    acceptedThisTurn = true;
  };
  server.on('connection', accepted);
  server.on('drop', accepted);

  // Runs in the check phase, after the poll phase that accepted (or did not) this turn's connection.
  const turn = () => {
    turnScheduled = false;
    const accepting = acceptedThisTurn;
    acceptedThisTurn = false;
    turnsSinceStart++;
    const starts = !accepting ? STARTS_PER_QUIET_TURN : turnsSinceStart >= TURNS_PER_START_WHILE_ACCEPTING ? 1 : 0;
    for (let i = 0; i < starts && waiting.length > 0; i++) {
      const [request, response] = waiting.shift()!;
      turnsSinceStart = 0;
      handle(request, response);
    }
    if (waiting.length > 0) scheduleTurn();
  };
  const scheduleTurn = () => {
    if (turnScheduled) return;
    turnScheduled = true;
    setImmediate(turn);
  };

  return (request, response) => {
    if (isProbe(request)) return handle(request, response);
    waiting.push([request, response]);
    scheduleTurn();
  };
}
