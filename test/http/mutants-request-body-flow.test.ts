// Expect: 100-continue and Connection: close for unread bodies, driven on a bare Koa app in this process
// (docs/MUTATION.md): the interim 100 only when a route starts reading, and a connection not reused when its
// request's body was left unread.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import * as assert from 'uvu/assert';
import { requestBodyFlow } from '../../src/http/request-body-flow.js';
import { connectFrom } from '../support/raw-http.js';
import { suite } from '../support/suite.js';

interface Context {
  url: string;
  server: http.Server;
}

const flow = suite<Context>('request body flow', {} as Context);

flow.before(async (context) => {
  const app = new Koa();
  app.use(requestBodyFlow);
  app.use(async (ctx) => {
    if (ctx.path === '/read') {
      // Flowing mode, as the body parsers read: that is what emits 'resume'.
      const bytes = await new Promise<number>((resolve, reject) => {
        let count = 0;
        ctx.req.on('data', (chunk: Buffer) => (count += chunk.length)).once('end', () => resolve(count)).once('error', reject);
      });
      ctx.body = `read ${bytes}`;
    } else {
      ctx.body = 'refused unread';
    }
  });
  const handle = app.callback();
  context.server = http.createServer(handle);
  // As http-server.ts does: with a listener, Node leaves the 100 to the app.
  context.server.on('checkContinue', handle);
  await new Promise<void>((resolve) => context.server.listen(0, '127.0.0.1', resolve));
  context.url = `http://127.0.0.1:${(context.server.address() as AddressInfo).port}`;
});
flow.after(async ({ server }) => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends the head (and `body`, once a 100 or a final answer came, or at once), returns what came back. */
async function exchange(url: string, head: string, body = '', waitForContinue = false): Promise<string> {
  const connection = await connectFrom(url);
  connection.socket.write(head);
  if (waitForContinue) await connection.waitFor(/^HTTP\/1\.1 \d{3}/);
  if (body) connection.socket.write(body);
  const text = await connection.waitFor(/\r\n\r\n(?:read \d+|refused unread)$/);
  connection.socket.destroy();
  return text;
}

flow('when a client waits for 100 Continue and the route reads the body, then it gets the 100 first', async ({ url }) => {
  for (const expect of ['100-continue', '100-CONTINUE']) {
    const text = await exchange(url, `POST /read HTTP/1.1\r\nHost: x\r\nExpect: ${expect}\r\nContent-Length: 5\r\n\r\n`, 'abcde', true);
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/, expect);
    assert.match(text, /read 5$/);
    assert.not.match(text, /connection: close/i, 'the body was read: the connection can be used again');
  }
});

flow('when the route answers without reading, then no 100 is sent, and the connection is closed after the answer', async ({ url }) => {
  const text = await exchange(url, 'POST /refuse HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n', '', true);
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(text, /\r\nConnection: close\r\n/i);
});

flow('when Expect is something else, then no 100 is sent by the app', async ({ url }) => {
  const text = await exchange(url, 'POST /read HTTP/1.1\r\nHost: x\r\nExpect: 100-continue-please\r\nContent-Length: 5\r\n\r\nabcde');
  assert.not.match(text, /100 Continue/);
});

flow('when an unread body is declared by length or sent chunked, then Connection: close; with no body or an empty one, not', async ({ url }) => {
  assert.match(await exchange(url, 'POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n'), /\r\nConnection: close\r\n/i);
  assert.match(await exchange(url, 'POST /refuse HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'), /\r\nConnection: close\r\n/i);
  assert.not.match(await exchange(url, 'POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n'), /connection: close/i);
  assert.not.match(await exchange(url, 'GET /refuse HTTP/1.1\r\nHost: x\r\n\r\n'), /connection: close/i);
  assert.not.match(await exchange(url, 'POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc'), /connection: close/i);
});

flow.run();
