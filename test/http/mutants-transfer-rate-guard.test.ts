// The minimum transfer rate, driven directly on a bare server in this process (docs/MUTATION.md): a trickling upload
// and a download nobody reads are dropped within a window or two; a fast client, one sending just enough, an idle
// kept-alive connection and a body the server itself is not reading are left alone. Each case takes a few seconds
// of real time (the guard samples once a second), so they run side by side.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as assert from 'uvu/assert';
import { enforceMinimumTransferRate } from '../../src/http/transfer-rate-guard.js';
import { connectFrom, type RawConnection } from '../support/raw-http.js';
import { suite } from '../support/suite.js';
import { countTurns } from '../support/turn-counter.js';

// One body for every download: Node writes it without copying, so fifty downloads cost one buffer.
const DOWNLOAD = Buffer.alloc(32 * 1024 * 1024);

interface Guarded {
  url: string;
  server: http.Server;
  dropped: string[];
}

async function guarded(minBytesPerSecond: number, onDropped?: () => void): Promise<Guarded> {
  const server = http.createServer((req, res) => {
    if (req.url === '/upload') {
      req.on('data', () => {});
      req.on('end', () => res.end('done'));
    } else if (req.url === '/ignore') {
      // Never reads the body: the request's buffer fills and Node stops reading the socket.
    } else {
      res.end(DOWNLOAD);
    }
  });
  const dropped: string[] = [];
  enforceMinimumTransferRate(server, { minBytesPerSecond, windowMs: 1_000 }, {
    dropped: (direction) => {
      dropped.push(direction);
      onDropped?.();
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, dropped };
}

async function stop({ server }: Guarded): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

const uploadHead = (length: number) => `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n\r\n`;

/** Sends `bytes` bytes every 100 ms until `ms` have passed or the server closes; resolves with whether it closed. */
async function trickle(connection: RawConnection, bytes: number, ms: number): Promise<boolean> {
  let closed = false;
  void connection.closed.then(() => (closed = true));
  const until = Date.now() + ms;
  while (Date.now() < until && !closed) {
    if (!connection.socket.destroyed) connection.socket.write('a'.repeat(bytes));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return closed;
}

const guard = suite('minimum transfer rate');

guard('when clients move too little while the server waits on them, then they are dropped; the others are left alone', async () => {
  const served = await guarded(1_000);
  try {
    const slowUpload = await connectFrom(served.url);
    slowUpload.socket.write(uploadHead(1_000_000));
    const steadyUpload = await connectFrom(served.url);
    steadyUpload.socket.write(uploadHead(1_000_000));
    const idle = await connectFrom(served.url);
    const ignored = await connectFrom(served.url, '127.0.0.2');
    ignored.socket.write(`POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n${'a'.repeat(200_000)}`);
    const unread = await connectFrom(served.url, '127.0.0.3');
    unread.socket.pause();
    unread.socket.write('GET /download HTTP/1.1\r\nHost: x\r\n\r\n');

    // 10 bytes every 100 ms is 100 B/s, below 1,000; 200 every 100 ms is 2,000 B/s, above it.
    const [slowClosed, steadyClosed] = await Promise.all([trickle(slowUpload, 10, 3_500), trickle(steadyUpload, 200, 3_500)]);
    assert.is(slowClosed, true, 'the trickling upload is dropped');
    assert.is(steadyClosed, false, 'the steady upload is served');
    // The unread download's client is paused, so it would not notice the reset: the server's count says it.
    for (let waited = 0; served.dropped.length < 2 && waited < 2_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    let idleClosed = false;
    void idle.closed.then(() => (idleClosed = true));
    let ignoredClosed = false;
    void ignored.closed.then(() => (ignoredClosed = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.is(idleClosed, false, 'an idle kept-alive connection is not the client\'s fault');
    assert.is(ignoredClosed, false, 'a body the server does not read is not the client\'s fault');
    assert.equal([...served.dropped].sort(), ['request', 'response']);
  } finally {
    await stop(served);
  }
}, { timeLimitMs: 20_000 });

guard('when the minimum is 0, then nothing is watched and a trickling upload is served', async () => {
  const served = await guarded(0);
  try {
    const slowUpload = await connectFrom(served.url);
    slowUpload.socket.write(uploadHead(1_000_000));
    assert.is(await trickle(slowUpload, 10, 2_500), false);
    assert.equal(served.dropped, []);
  } finally {
    await stop(served);
  }
}, { timeLimitMs: 20_000 });

guard('when fifty stalled downloads are found slow at once, then they are reset twenty per event-loop turn', async () => {
  const counter = countTurns();
  const turns: number[] = [];
  const served = await guarded(1_000, () => turns.push(counter.turn));
  const stalled: RawConnection[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      const connection = await connectFrom(served.url, `127.0.0.${10 + (i % 10)}`);
      connection.socket.pause();
      connection.socket.write('GET /download HTTP/1.1\r\nHost: x\r\n\r\n');
      stalled.push(connection);
    }
    for (let waited = 0; served.dropped.length < 50 && waited < 6_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.is(served.dropped.length, 50);
    const perTurn = new Map<number, number>();
    for (const t of turns) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    assert.ok(Math.max(...perTurn.values()) <= 20, `resets per turn: ${[...perTurn.values()].join(' ')}`);
    assert.ok(perTurn.size >= 3, `resets per turn: ${[...perTurn.values()].join(' ')}`);
  } finally {
    counter.stop();
    for (const c of stalled) c.socket.destroy();
    await stop(served);
  }
}, { timeLimitMs: 20_000 });

guard.run();
