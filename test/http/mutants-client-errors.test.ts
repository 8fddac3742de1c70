// Requests Node's parser or timers refuse, answered by answerClientErrors on a bare server in this process
// (docs/MUTATION.md): the exact status line, headers and problem body of each kind of refusal.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as assert from 'uvu/assert';
import { answerClientErrors } from '../../src/http/client-errors.js';
import { connectFrom } from '../support/raw-http.js';
import { suite } from '../support/suite.js';

interface Context {
  url: string;
  server: http.Server;
}

const refusals = suite<Context>('client errors', {} as Context);

refusals.before(async (context) => {
  // requestTimeout 1,400 ms is reported as 1 s: whole seconds, rounded.
  context.server = http.createServer({ maxHeaderSize: 1024, requestTimeout: 1_400, connectionsCheckingInterval: 100 }, (req, res) => {
    if (req.url !== '/slow') return res.end('ok');
    // A response under way when the next bytes on the connection turn out not to be HTTP.
    res.writeHead(200, { 'Content-Length': '10' });
    res.write('12345');
    setTimeout(() => res.end('67890'), 300);
  });
  answerClientErrors(context.server, { maxHeaderBytes: 1024, requestTimeoutMs: 1_400 });
  await new Promise<void>((resolve) => context.server.listen(0, '127.0.0.1', resolve));
  context.url = `http://127.0.0.1:${(context.server.address() as AddressInfo).port}`;
});
refusals.after(async ({ server }) => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends `bytes`, waits for the server to close, and gives back everything it answered. */
async function exchange(url: string, bytes: string): Promise<string> {
  const connection = await connectFrom(url);
  connection.socket.write(bytes);
  await connection.closed;
  connection.socket.destroy();
  return connection.received();
}

function expectAnswer(text: string, status: string, body: Record<string, unknown>) {
  const json = JSON.stringify(body);
  assert.is(
    text,
    `HTTP/1.1 ${status}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

refusals('when the bytes are not HTTP, then 400 with the parser\'s code in the detail', async ({ url }) => {
  expectAnswer(await exchange(url, 'HELLO THERE\r\n\r\n'), '400 Bad Request', {
    type: '/problems/bad-request',
    title: 'Bad request',
    status: 400,
    detail: 'the request is not valid HTTP/1.1 (HPE_INVALID_METHOD)',
  });
});

refusals('when the headers are over MAX_HEADER_BYTES, then 431 naming the limit', async ({ url }) => {
  expectAnswer(await exchange(url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`), '431 Request Header Fields Too Large', {
    type: '/problems/headers-too-large',
    title: 'Request headers too large',
    status: 431,
    detail: 'the request line and headers exceed 1024 bytes (MAX_HEADER_BYTES)',
  });
});

refusals('when a request is not complete in time, then 408 naming the limit in whole seconds', async ({ url }) => {
  expectAnswer(await exchange(url, 'GET / HTTP/1.1\r\nHost: x\r\n'), '408 Request Timeout', {
    type: '/problems/request-timeout',
    title: 'Request timeout',
    status: 408,
    detail: 'the request was not complete within 1 s (REQUEST_TIMEOUT_MS)',
  });
});

refusals('when a response is already under way, then no refusal is written into it: the connection is closed', async ({ url }) => {
  const connection = await connectFrom(url);
  connection.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  await connection.waitFor(/12345$/);
  connection.socket.write('HELLO THERE\r\n\r\n');
  await connection.closed;
  connection.socket.destroy();
  const text = connection.received();
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.not.match(text, /400 Bad Request|problems/);
});

refusals.run();
