// The lingering close (src/http/lingering-close.ts) on a bare http.Server in this process (docs/MUTATION.md): which
// closes linger at all (a request whose body is still coming, also one sent with `Expect: 100-continue`) and which do
// not (a complete request), each way a linger ends with the bytes it discarded, one report per linger, and a server
// that passes no listener for the reports. test/lingering-close.test.ts checks the bounds in the running service.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as assert from 'uvu/assert';
import { closeConnectionsLingering, type LingeringCloseLimits } from '../../src/http/lingering-close.js';
import { connectFrom, type RawConnection } from '../support/raw-http.js';
import { test } from '../support/suite.js';
import { until } from '../support/until.js';

type Outcome = 'client-closed' | 'timeout' | 'idle' | 'too-many-bytes';

interface Harness {
  url: string;
  lingered: { outcome: Outcome; bytes: number }[];
  /** Connections the server still has open. */
  connections(): Promise<number>;
  close(): Promise<void>;
}

/**
 * A server that refuses every request at once, without reading its body, and closes the connection after it; a
 * request to /whole is read to its end first.
 */
async function refusingServer(limits: LingeringCloseLimits, withEvents = true): Promise<Harness> {
  const lingered: Harness['lingered'] = [];
  const refuse = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const answer = () => {
      res.writeHead(401, { 'Content-Length': '7', Connection: 'close' });
      res.end('refused');
    };
    if (req.url === '/whole') req.resume().once('end', answer);
    else answer();
  };
  const server = http.createServer(refuse);
  // As http-server.ts does: with a listener, Node leaves `100 Continue` to the app, which here refuses instead.
  server.on('checkContinue', refuse);
  closeConnectionsLingering(server, limits, withEvents ? { lingered: (outcome, bytes) => lingered.push({ outcome, bytes }) } : undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lingered,
    connections: () => new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count)))),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// A body far longer than any flood below sends within a check (250 ms): at 100 MB the loopback ran past its end,
// and the parser then took the rest for a malformed request.
const UPLOAD_HEAD = 'POST /record HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000\r\n';
const ANSWERED = /^HTTP\/1\.1 401 [\s\S]*\r\n\r\nrefused$/;

/** Sends an upload's head and a little of its body, and waits for the refusal. */
async function refusedUpload(url: string, extraHead = ''): Promise<RawConnection> {
  const connection = await connectFrom(url);
  connection.socket.write(`${UPLOAD_HEAD}${extraHead}\r\nfirst bytes`);
  await connection.waitFor(ANSWERED);
  return connection;
}

/** When the server ended its linger (a client kept half-open sees the server's FIN at once, not that). */
async function lingerEnded(harness: Harness, ms = 5000): Promise<number> {
  await until('the server ends its linger', () => harness.lingered.length > 0, ms);
  return Date.now();
}

test('when a refused client sends more and goes quiet, then the server lingers until the idle limit and counts what it discarded', async () => {
  // Exactly the byte limit: reaching it is allowed, only going past it ends the linger early.
  const harness = await refusingServer({ idleMs: 200, totalMs: 5000, maxBytes: 1000 });
  try {
    const connection = await refusedUpload(harness.url);
    const answeredAt = Date.now();
    connection.socket.write('x'.repeat(1000));
    const closedAt = await lingerEnded(harness);
    assert.equal(harness.lingered, [{ outcome: 'idle', bytes: 1000 }]);
    const waited = closedAt - answeredAt;
    assert.ok(waited >= 150 && waited < 1500, `closed ${waited} ms after the answer`);
  } finally {
    await harness.close();
  }
});

test('when a refused client keeps sending, then the server lets it go at the total limit, not before', async () => {
  const harness = await refusingServer({ idleMs: 300, totalMs: 700, maxBytes: 1_000_000 });
  try {
    const connection = await refusedUpload(harness.url);
    const answeredAt = Date.now();
    const timer = setInterval(() => connection.socket.writable && connection.socket.write('y'), 50);
    const waited = (await lingerEnded(harness)) - answeredAt;
    clearInterval(timer);
    assert.is(harness.lingered[0]!.outcome, 'timeout');
    assert.ok(harness.lingered[0]!.bytes > 0);
    assert.ok(waited >= 650 && waited < 2000, `closed ${waited} ms after the answer`);
  } finally {
    await harness.close();
  }
});

test('when a refused client sends more than the byte limit, then it is let go at once, with more than that counted', async () => {
  const harness = await refusingServer({ idleMs: 2000, totalMs: 5000, maxBytes: 64 * 1024 });
  try {
    const connection = await refusedUpload(harness.url);
    const answeredAt = Date.now();
    const block = Buffer.alloc(16 * 1024, 0x7a);
    const send = () => {
      while (connection.socket.writable && connection.socket.write(block));
    };
    connection.socket.on('drain', send);
    send();
    const waited = (await lingerEnded(harness)) - answeredAt;
    assert.is(harness.lingered[0]!.outcome, 'too-many-bytes');
    assert.ok(harness.lingered[0]!.bytes > 64 * 1024);
    assert.ok(waited < 1500, `closed ${waited} ms after the answer`);
  } finally {
    await harness.close();
  }
});

test('when a refused client closes its side, then the linger ends at once, reported once as client-closed', async () => {
  const harness = await refusingServer({ idleMs: 3000, totalMs: 5000, maxBytes: 1_000_000 });
  try {
    const connection = await refusedUpload(harness.url);
    connection.socket.write('z'.repeat(10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const endedAt = Date.now();
    connection.socket.end();
    assert.ok((await lingerEnded(harness)) - endedAt < 1000);
    // Both 'end' and 'close' follow; only the first may report.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(harness.lingered, [{ outcome: 'client-closed', bytes: 10 }]);
  } finally {
    await harness.close();
  }
});

test('when a refused client resets the connection, then the linger ends at once, reported as client-closed', async () => {
  const harness = await refusingServer({ idleMs: 3000, totalMs: 5000, maxBytes: 1_000_000 });
  try {
    const connection = await refusedUpload(harness.url);
    connection.socket.write('r'.repeat(20));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const resetAt = Date.now();
    // A reset, not a FIN: the server's socket closes without an 'end'.
    connection.socket.resetAndDestroy();
    assert.ok((await lingerEnded(harness)) - resetAt < 1000);
    assert.equal(harness.lingered, [{ outcome: 'client-closed', bytes: 20 }]);
  } finally {
    await harness.close();
  }
});

test('when a refused request came with Expect: 100-continue, then its close lingers too', async () => {
  const harness = await refusingServer({ idleMs: 200, totalMs: 5000, maxBytes: 1_000_000 });
  try {
    const connection = await connectFrom(harness.url);
    connection.socket.write(`${UPLOAD_HEAD}Expect: 100-continue\r\n\r\n`);
    await connection.waitFor(ANSWERED);
    assert.not.match(connection.received(), /100 Continue/);
    // A client that did not wait for the 100 sends its body anyway.
    connection.socket.write('w'.repeat(500));
    await lingerEnded(harness);
    assert.equal(harness.lingered, [{ outcome: 'idle', bytes: 500 }]);
  } finally {
    await harness.close();
  }
});

test('when a request was read whole, then its connection closes after the answer without lingering', async () => {
  const harness = await refusingServer({ idleMs: 200, totalMs: 5000, maxBytes: 1_000_000 });
  try {
    const connection = await connectFrom(harness.url);
    const closed = new Promise<void>((resolve) => connection.socket.once('close', () => resolve()));
    connection.socket.write('POST /whole HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc');
    await connection.waitFor(ANSWERED);
    // Node's own close: the server ends and closes its side, and the client closes in turn.
    connection.socket.end();
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(harness.lingered, []);
  } finally {
    await harness.close();
  }
});

test('when no listener for the reports is given, then a linger still ends at its limit', async () => {
  const harness = await refusingServer({ idleMs: 100, totalMs: 5000, maxBytes: 1_000_000 }, false);
  const crashes: unknown[] = [];
  const onCrash = (error: unknown) => crashes.push(error);
  process.on('uncaughtException', onCrash);
  try {
    await refusedUpload(harness.url);
    const answeredAt = Date.now();
    let open = await harness.connections();
    while (open > 0 && Date.now() - answeredAt < 2000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      open = await harness.connections();
    }
    assert.is(open, 0, 'the connection was still open');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(crashes, []);
  } finally {
    process.off('uncaughtException', onCrash);
    await harness.close();
  }
});

test.run();
