// What Node's HTTP parser and timers refuse before the app sees a request: headers over MAX_HEADER_BYTES (431), a
// request not complete within REQUEST_TIMEOUT_MS (408), bytes that are not HTTP (400). Each gets a problem body like
// every other error, and real clients receive it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as assert from 'uvu/assert';
import { connectFrom } from './support/raw-http.js';
import { test } from './support/suite.js';
import { startTestService } from './support/test-service.js';

const run = promisify(execFile);

function problemOf(raw: string): { status: number; type: string; detail: string; contentType: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
  const contentType = /content-type: ([^\r\n]+)/i.exec(raw)?.[1] ?? '';
  const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { type: string; detail: string; status: number };
  assert.is(body.status, status, 'the body repeats the status');
  return { status, contentType, type: body.type, detail: body.detail };
}

test('when the headers exceed MAX_HEADER_BYTES, then curl, fetch and a raw socket get 431 with a problem body naming the limit', async () => {
  const service = await startTestService({ serverSettings: { MAX_HEADER_BYTES: '2048' } });
  try {
    const big = 'x'.repeat(3000);
    const raw = await connectFrom(service.url);
    raw.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${big}\r\n\r\n`);
    await raw.closed;
    const problem = problemOf(raw.received());
    assert.is(problem.status, 431);
    assert.is(problem.contentType, 'application/problem+json');
    assert.is(problem.type, '/problems/headers-too-large');
    assert.match(problem.detail, /2048 bytes \(MAX_HEADER_BYTES\)/);

    const viaFetch = await fetch(`${service.url}/healthz`, { headers: { 'X-Padding': big } });
    assert.is(viaFetch.status, 431);
    assert.is(((await viaFetch.json()) as { type: string }).type, '/problems/headers-too-large');

    const { stdout } = await run('curl', ['-s', '-H', `X-Padding: ${big}`, '-w', '\n%{http_code}', `${service.url}/healthz`]);
    const [body, code] = [stdout.slice(0, stdout.lastIndexOf('\n')), stdout.slice(stdout.lastIndexOf('\n') + 1)];
    assert.is(code, '431');
    assert.is((JSON.parse(body) as { type: string }).type, '/problems/headers-too-large');

    // Just under the limit is served.
    assert.is((await fetch(`${service.url}/healthz`, { headers: { 'X-Padding': 'x'.repeat(1500) } })).status, 200);
  } finally {
    await service.close();
  }
});

test('when a request is not complete within REQUEST_TIMEOUT_MS, then the client gets 408 with a problem body and the connection closes', async () => {
  const service = await startTestService({ serverSettings: { REQUEST_TIMEOUT_MS: '1500' } });
  try {
    const raw = await connectFrom(service.url);
    raw.socket.write('POST /user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na');
    const closedAfter = await raw.closed;
    const problem = problemOf(raw.received());
    assert.is(problem.status, 408);
    assert.is(problem.type, '/problems/request-timeout');
    assert.match(problem.detail, /REQUEST_TIMEOUT_MS/);
    // Not before the limit; and Node checks for it every quarter of the limit here, so not long after.
    assert.ok(closedAfter >= 1_400 && closedAfter < 10_000, `closed ${closedAfter} ms after connecting`);

    // A request that completes in time is answered as usual.
    const user = await fetch(`${service.url}/user`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'in time' }) });
    assert.is(user.status, 201);
  } finally {
    await service.close();
  }
});

test('when the bytes are not HTTP, then 400 with a problem body', async () => {
  const service = await startTestService();
  try {
    const raw = await connectFrom(service.url);
    raw.socket.write('HELLO THERE\r\n\r\n');
    await raw.closed;
    const problem = problemOf(raw.received());
    assert.is(problem.status, 400);
    assert.is(problem.type, '/problems/bad-request');
  } finally {
    await service.close();
  }
});

test.run();
