// The connection caps, driven directly on a bare server in this process (docs/MUTATION.md): the key a client's
// connections count under, the hard ceiling, and which connection gets which refusal, without starting the service.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import * as assert from 'uvu/assert';
import { ANSWERED_ABOVE_CAP, addressKey, limitConnections, refuseConnectionsOverLimits, type ConnectionLimits } from '../../src/http/connection-limits.js';
import { problemResponses } from '../../src/http/errors.js';
import type { Logger } from '../../src/log.js';
import { connectFrom, parseAnswer, rawGet, type RawConnection } from '../support/raw-http.js';
import { suite } from '../support/suite.js';

const keys = suite('address keys');

keys('when the client is IPv4, or IPv4 mapped into IPv6 in any case, then its address is the key', () => {
  assert.is(addressKey('203.0.113.5'), '203.0.113.5');
  assert.is(addressKey('::ffff:203.0.113.5'), '203.0.113.5');
  assert.is(addressKey('::FFFF:203.0.113.5'), '203.0.113.5');
  assert.is(addressKey('::ffff:10.20.30.40'), '10.20.30.40');
  assert.is(addressKey('::ffff:1.2.3.4'), '1.2.3.4');
});

keys('when the client is IPv6, then the key is its /64 written short, whatever the spelling', () => {
  assert.is(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.is(addressKey('2001:0db8:0001:0000:0000:0000:0000:0001'), '2001:db8:1:0::/64');
  assert.is(addressKey('2001:DB8:A:B::1'), '2001:db8:a:b::/64');
  assert.is(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.is(addressKey('2001:00db:1000:0100::'), '2001:db:1000:100::/64');
  assert.is(addressKey('fe80::'), 'fe80:0:0:0::/64');
  assert.is(addressKey('::1'), '0:0:0:0::/64');
  assert.is(addressKey('::'), '0:0:0:0::/64');
});

keys('when the :: stands for groups inside the network half, then the groups after it land in their places', () => {
  assert.is(addressKey('1::3:4:5:6:7:8'), '1:0:3:4::/64');
  assert.is(addressKey('::2:3:4:5:6:7:8'), '0:2:3:4::/64');
  assert.is(addressKey('1:2::4:5:6:7:8'), '1:2:0:4::/64');
  assert.is(addressKey('1:2:3:4:5::8'), '1:2:3:4::/64');
});

keys('when ::ffff: is followed by something other than a dotted IPv4 address, then it is an IPv6 address', () => {
  assert.is(addressKey('::ffff:cb00:7105'), '0:0:0:0::/64');
  assert.is(addressKey('64:ff9b::ffff:1.2.3.4'), '64:ff9b:0:0::/64');
});

keys('when the cap is small, then 64 connections above it are answered; for a large cap, a tenth of it', () => {
  assert.is(ANSWERED_ABOVE_CAP(0), 64);
  assert.is(ANSWERED_ABOVE_CAP(6), 64);
  assert.is(ANSWERED_ABOVE_CAP(640), 64);
  assert.is(ANSWERED_ABOVE_CAP(641), 65);
  assert.is(ANSWERED_ABOVE_CAP(1000), 100);
  assert.is(ANSWERED_ABOVE_CAP(1001), 101);
});

keys.run();

interface Served {
  url: string;
  server: http.Server;
  refused: string[];
  connections: RawConnection[];
}

async function serve(limits: ConnectionLimits, withEvents = true): Promise<Served> {
  const app = new Koa();
  app.silent = true;
  // Cast: in Stryker's instrumented build the factory's inferred type also allows undefined.
  app.use(problemResponses({ error: () => {} } as unknown as Logger) as Koa.Middleware);
  app.use(refuseConnectionsOverLimits);
  app.use((ctx) => {
    ctx.body = `ok ${ctx.path}`;
  });
  const server = http.createServer(app.callback());
  const refused: string[] = [];
  limitConnections(server, limits, withEvents ? { refused: (reason) => refused.push(reason) } : undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, refused, connections: [] };
}

async function close(served: Served): Promise<void> {
  for (const connection of served.connections) connection.socket.destroy();
  served.server.closeAllConnections();
  await new Promise((resolve) => served.server.close(resolve));
}

/** Opens a connection from `from`, sends one GET and gives back the answer; the connection stays in `served`. */
async function get(served: Served, from: string, path = '/x'): Promise<ReturnType<typeof parseAnswer> & { connection: RawConnection }> {
  const connection = await connectFrom(served.url, from);
  served.connections.push(connection);
  await rawGet(connection, path);
  await connection.waitFor(/\r\n\r\n[\s\S]*\S/);
  return { ...parseAnswer(connection.received()), connection };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

const caps = suite('connection caps');

caps('when the server is set up, then it closes connections at accept only past the cap plus the answered margin', async () => {
  const served = await serve({ maxConnections: 3, maxPerAddress: 2, trustedProxies: [] });
  try {
    assert.is(served.server.maxConnections, 3 + 64);
  } finally {
    await close(served);
  }
});

caps('when one address holds its share, then its next connection is answered 429 and closed; a trusted proxy is not held to it', async () => {
  const served = await serve({ maxConnections: 5, maxPerAddress: 2, trustedProxies: ['127.0.0.4'] });
  try {
    assert.is((await get(served, '127.0.0.2')).status, 200);
    assert.is((await get(served, '127.0.0.2')).status, 200);
    const over = await get(served, '127.0.0.2');
    assert.is(over.status, 429);
    assert.is(over.headers.connection, 'close');
    assert.is(over.headers['retry-after'], '5');
    assert.is(over.headers['content-type'], 'application/problem+json');
    assert.equal(over.body, {
      type: '/problems/too-many-connections-from-address',
      title: 'Too many connections from your address',
      status: 429,
      detail: 'your address holds as many connections as one client may; close some and retry',
    });
    await over.connection.closed;
    assert.equal(served.refused, ['too-many-connections-from-address']);
    // Another address has a share of its own; the trusted proxy carries many clients and has none.
    assert.is((await get(served, '127.0.0.3')).status, 200);
    assert.is((await get(served, '127.0.0.4')).status, 200);
    assert.is((await get(served, '127.0.0.4')).status, 200);
  } finally {
    await close(served);
  }
});

caps('when a refused connection asks for /healthz, then it is answered (the process is alive) and then closed', async () => {
  const served = await serve({ maxConnections: 5, maxPerAddress: 1, trustedProxies: [] });
  try {
    assert.is((await get(served, '127.0.0.2')).status, 200);
    const probe = await get(served, '127.0.0.2', '/healthz');
    assert.is(probe.status, 200);
    assert.is(probe.body, 'ok /healthz');
    assert.is(probe.headers.connection, 'close');
    await probe.connection.closed;
    const ready = await get(served, '127.0.0.2', '/readyz');
    assert.is(ready.status, 429);
  } finally {
    await close(served);
  }
});

caps('when the server holds its cap, then the next connection from anyone gets 503, before any address share is counted', async () => {
  const served = await serve({ maxConnections: 3, maxPerAddress: 2, trustedProxies: ['127.0.0.4'] });
  try {
    assert.is((await get(served, '127.0.0.2')).status, 200);
    assert.is((await get(served, '127.0.0.2')).status, 200);
    assert.is((await get(served, '127.0.0.4')).status, 200);
    for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      const over = await get(served, from);
      assert.is(over.status, 503, from);
      assert.is(over.headers['retry-after'], '5');
      assert.is(over.headers.connection, 'close');
      assert.equal(over.body, {
        type: '/problems/too-many-connections',
        title: 'Too many connections',
        status: 503,
        detail: 'the server is holding as many connections as it serves at once; retry shortly',
      });
    }
    assert.equal(served.refused, ['too-many-connections', 'too-many-connections', 'too-many-connections']);
  } finally {
    await close(served);
  }
});

caps('when a connection closes, then it no longer counts, in all or for its address', async () => {
  const served = await serve({ maxConnections: 3, maxPerAddress: 2, trustedProxies: [] });
  try {
    const first = await get(served, '127.0.0.2');
    assert.is((await get(served, '127.0.0.2')).status, 200);
    first.connection.socket.destroy();
    await settle();
    assert.is((await get(served, '127.0.0.2')).status, 200, 'the address has room again');
    assert.is((await get(served, '127.0.0.2')).status, 429, 'but no more than its share');
    assert.is((await get(served, '127.0.0.3')).status, 200);
    assert.is((await get(served, '127.0.0.5')).status, 503, 'the server is full');
    for (const connection of served.connections) connection.socket.destroy();
    await settle();
    // Every address starts again from nothing.
    assert.is((await get(served, '127.0.0.2')).status, 200);
    assert.is((await get(served, '127.0.0.2')).status, 200);
    assert.is((await get(served, '127.0.0.2')).status, 429);
  } finally {
    await close(served);
  }
});

caps('when there is no per-address cap (0), then one address may take every connection the server serves', async () => {
  const served = await serve({ maxConnections: 3, maxPerAddress: 0, trustedProxies: [] }, false);
  try {
    for (let i = 0; i < 3; i++) assert.is((await get(served, '127.0.0.2')).status, 200);
    assert.is((await get(served, '127.0.0.2')).status, 503);
  } finally {
    await close(served);
  }
});

caps('when no one listens for refusals and connections are dropped at accept, then the server goes on', async () => {
  const served = await serve({ maxConnections: 1, maxPerAddress: 0, trustedProxies: [] }, false);
  try {
    assert.is((await get(served, '127.0.0.2')).status, 200);
    for (let i = 0; i < 64; i++) served.connections.push(await connectFrom(served.url, '127.0.0.3'));
    const dropped = await connectFrom(served.url, '127.0.0.6');
    served.connections.push(dropped);
    await dropped.closed;
    assert.is(dropped.received(), '');
    // Below the ceiling again, a connection over the cap is answered.
    served.connections[1]!.socket.destroy();
    await settle();
    assert.is((await get(served, '127.0.0.2')).status, 503);
  } finally {
    await close(served);
  }
});

caps('when connections pile up past the answered margin, then the next is closed at accept without a word, and counted', async () => {
  const served = await serve({ maxConnections: 1, maxPerAddress: 0, trustedProxies: [] });
  try {
    assert.is((await get(served, '127.0.0.2')).status, 200);
    for (let i = 0; i < 64; i++) served.connections.push(await connectFrom(served.url, '127.0.0.3'));
    const dropped = await connectFrom(served.url, '127.0.0.6');
    served.connections.push(dropped);
    dropped.socket.write('GET /x HTTP/1.1\r\nHost: x\r\n\r\n');
    await dropped.closed;
    assert.is(dropped.received(), '');
    assert.is(served.refused.filter((r) => r === 'too-many-connections').length, 64);
    assert.equal(served.refused.filter((r) => r === 'dropped'), ['dropped']);
  } finally {
    await close(served);
  }
});

caps.run();
