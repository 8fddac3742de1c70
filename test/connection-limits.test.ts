// Caps on connections: one client address cannot hold more than its share, the server as a whole not more than it
// serves, and a client over a cap is told so (429 or 503, problem+json, Retry-After) instead of being cut off.
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { addressKey } from '../src/http/connection-limits.js';
import { connectFrom, parseAnswer, rawGet, type RawConnection } from './support/raw-http.js';
import { startTestService } from './support/test-service.js';

const statusOf = (head: string) => Number(head.split(' ')[1]);

async function openKeptAlive(url: string, from: string, count: number): Promise<RawConnection[]> {
  const connections: RawConnection[] = [];
  for (let i = 0; i < count; i++) {
    const connection = await connectFrom(url, from);
    assert.is(statusOf(await rawGet(connection, '/readyz')), 200, `connection ${i + 1} from ${from} is served`);
    connections.push(connection);
  }
  return connections;
}

test('when one address holds its share of connections, then its next one is answered 429 and closed, while other addresses and trusted proxies are served', async () => {
  const service = await startTestService({ serverSettings: { MAX_CONNECTIONS_PER_ADDRESS: '4', TRUSTED_PROXIES: '127.0.0.4' } });
  const open: RawConnection[] = [];
  try {
    open.push(...(await openKeptAlive(service.url, '127.0.0.2', 4)));

    const over = await connectFrom(service.url, '127.0.0.2');
    const answer = parseAnswer(await rawGet(over, '/readyz'));
    assert.is(answer.status, 429);
    assert.is(answer.headers['content-type'], 'application/problem+json');
    assert.is(answer.headers['retry-after'], '5');
    assert.is(answer.headers.connection, 'close');
    assert.match((answer.body as { type: string }).type, /too-many-connections-from-address$/);
    await over.closed;

    // Liveness still answers on a refused connection: the process is alive, only busy.
    const probe = await connectFrom(service.url, '127.0.0.2');
    assert.is(statusOf(await rawGet(probe, '/healthz')), 200);
    await probe.closed;

    open.push(...(await openKeptAlive(service.url, '127.0.0.3', 4)));
    open.push(...(await openKeptAlive(service.url, '127.0.0.4', 8)));

    // A connection given back makes room for the next one from the same address.
    open.shift()!.socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    open.push(...(await openKeptAlive(service.url, '127.0.0.2', 1)));
  } finally {
    for (const connection of open) connection.socket.destroy();
    await service.close();
  }
});

test('when the server holds MAX_CONNECTIONS, then the next connection gets 503 with Retry-After, and far past the cap connections are closed at accept', async () => {
  const service = await startTestService({ serverSettings: { MAX_CONNECTIONS: '6' } });
  const open: RawConnection[] = [];
  try {
    for (let i = 0; i < 6; i++) open.push(...(await openKeptAlive(service.url, `127.0.0.${10 + i}`, 1)));
    const over = await connectFrom(service.url, '127.0.0.20');
    const answer = parseAnswer(await rawGet(over, '/readyz'));
    assert.is(answer.status, 503);
    assert.is(answer.headers['retry-after'], '5');
    assert.match((answer.body as { type: string }).type, /\/too-many-connections$/);
    await over.closed;

    // Refused connections that stay open count towards the hard ceiling: 64 above a small cap.
    const refusedButOpen: RawConnection[] = [];
    for (let i = 0; i < 64; i++) refusedButOpen.push(await connectFrom(service.url, '127.0.0.21'));
    open.push(...refusedButOpen);
    const dropped = await connectFrom(service.url, '127.0.0.22');
    dropped.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await dropped.closed;
    assert.is(dropped.received(), '', 'closed without an answer');

    // Refused connections that never send a request are let go after a few seconds.
    const lateRequest = refusedButOpen[0]!;
    const closedAfterMs = await lateRequest.closed;
    assert.ok(closedAfterMs < 8_000, `closed after ${closedAfterMs} ms`);
  } finally {
    for (const connection of open) connection.socket.destroy();
    await service.close();
  }
});

test('when clients come over IPv6, then one /64 counts as one address; IPv4-mapped addresses count as IPv4', () => {
  assert.is(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:2:ffff:ffff:ffff:fffe'));
  assert.is(addressKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  assert.is.not(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
  assert.is(addressKey('::1'), '0:0:0:0::/64');
  assert.is(addressKey('::ffff:127.0.0.2'), '127.0.0.2');
  assert.is(addressKey('10.1.2.3'), '10.1.2.3');
});

test.run();
