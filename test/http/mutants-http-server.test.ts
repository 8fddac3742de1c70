// The server around the app (src/http/http-server.ts) with a bare Koa app in this process (docs/MUTATION.md): the
// header limit, the request timeout enforced within a quarter of it, `Expect: 100-continue` left to the app, and the
// pieces it wires in (connection caps, lingering close). The service tests reach the same through test-service.ts.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import * as assert from 'uvu/assert';
import type { Logger } from '../../src/log.js';
import { refuseConnectionsOverLimits } from '../../src/http/connection-limits.js';
import { problemResponses } from '../../src/http/errors.js';
import { createHttpServer, type HttpServerOptions } from '../../src/http/http-server.js';
import { connectFrom, parseAnswer } from '../support/raw-http.js';
import { test } from '../support/suite.js';

interface Harness {
  url: string;
  lingered: string[];
  refused: string[];
  close(): Promise<void>;
}

async function serve(options: Partial<HttpServerOptions> = {}): Promise<Harness> {
  const app = new Koa();
  app.silent = true;
  // As app.ts does: the server marks connections over a cap, the app refuses their requests.
  app.use(problemResponses({ error: () => {} } as unknown as Logger) as Koa.Middleware);
  app.use(refuseConnectionsOverLimits);
  app.use((ctx) => {
    // Never reads a body: an upload is refused on its head alone.
    ctx.set('Connection', 'close');
    ctx.body = `seen ${ctx.path}`;
  });
  const lingered: string[] = [];
  const refused: string[] = [];
  const server: http.Server = createHttpServer(app, {
    maxHeaderBytes: 2048,
    requestTimeoutMs: 60_000,
    lingering: { idleMs: 200, totalMs: 2000, maxBytes: 1_000_000 },
    connections: { maxConnections: 100, maxPerAddress: 0, trustedProxies: [] },
    transferRate: { minBytesPerSecond: 0, windowMs: 10_000 },
    events: {
      lingered: (outcome) => lingered.push(outcome),
      refused: (reason) => refused.push(reason),
      dropped: () => {},
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lingered,
    refused,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('when a request arrives, then the app answers it', async () => {
  const harness = await serve();
  try {
    const response = await fetch(`${harness.url}/hello`);
    assert.is(response.status, 200);
    assert.is(await response.text(), 'seen /hello');
  } finally {
    await harness.close();
  }
});

test('when the headers are larger than maxHeaderBytes, then the answer is 431 with a problem body', async () => {
  const harness = await serve({ maxHeaderBytes: 2048 });
  try {
    const connection = await connectFrom(harness.url);
    connection.socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`);
    const answer = parseAnswer(await connection.waitFor(/^HTTP\/1\.1 \d{3}[\s\S]*\r\n\r\n\{[\s\S]*\}$/));
    assert.is(answer.status, 431);
    connection.socket.destroy();
    // Headers within the limit pass.
    const fine = await fetch(`${harness.url}/`, { headers: { 'X-Big': 'a'.repeat(1000) } });
    assert.is(fine.status, 200);
  } finally {
    await harness.close();
  }
});

test('when a request head never completes, then it is answered 408 soon after requestTimeoutMs, not at Node`s 30 s check', async () => {
  const harness = await serve({ requestTimeoutMs: 1000 });
  try {
    const connection = await connectFrom(harness.url);
    const started = Date.now();
    connection.socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const text = await connection.waitFor(/^HTTP\/1\.1 408 /, { timeoutMs: 4000 });
    const waited = Date.now() - started;
    assert.match(text, /^HTTP\/1\.1 408 /);
    // The check runs every quarter of the timeout (250 ms here): answered within 1000 to about 1250 ms.
    assert.ok(waited >= 900 && waited < 1900, `answered after ${waited} ms`);
    connection.socket.destroy();
  } finally {
    await harness.close();
  }
});

test('when a client sends Expect: 100-continue, then the app decides: a refusal on the head comes without a 100', async () => {
  const harness = await serve();
  try {
    const connection = await connectFrom(harness.url);
    connection.socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n');
    const text = await connection.waitFor(/seen \/upload$/);
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.not.match(text, /100 Continue/);
    // Its body was never read: the close lingers (lingering-close.ts is wired in).
    connection.socket.write('x'.repeat(100));
    const deadline = Date.now() + 3000;
    while (harness.lingered.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(harness.lingered, ['idle']);
    connection.socket.destroy();
  } finally {
    await harness.close();
  }
});

test('when more connections come than maxConnections, then the one over is refused (connection-limits.ts is wired in)', async () => {
  const harness = await serve({ connections: { maxConnections: 1, maxPerAddress: 0, trustedProxies: [] } });
  try {
    const first = await connectFrom(harness.url);
    const second = await connectFrom(harness.url);
    second.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(await second.waitFor(/^HTTP\/1\.1 \d{3} /), /^HTTP\/1\.1 503 /);
    assert.equal(harness.refused, ['too-many-connections']);
    first.socket.destroy();
    second.socket.destroy();
  } finally {
    await harness.close();
  }
});

test.run();
