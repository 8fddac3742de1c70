// When requests start (src/http/request-admission.ts), driven on a stand-in server whose 'connection' events this
// test emits itself, one per event-loop turn like libuv's accepts, ahead of the admission's own turn; and on a real
// server, the order of requests and a probe answered while others wait.
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as assert from 'uvu/assert';
import { admitRequests, isProbe } from '../../src/http/request-admission.js';
import { suite } from '../support/suite.js';

const admission = suite('request admission');
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const request = (url: string) => ({ url }) as IncomingMessage;
const response = {} as ServerResponse;

/** Admits `urls` at once and answers which turn each started in; with `accepting`, a connection (or a drop) comes every turn. */
async function startTurns(urls: string[], accepting: boolean, event: 'connection' | 'drop' = 'connection'): Promise<{ url: string; turn: number }[]> {
  const server = new EventEmitter() as Server;
  let turn = 0;
  let running = true;
  const tick = () => {
    turn++;
    if (accepting) server.emit(event, {});
    if (running) setImmediate(tick);
  };
  setImmediate(tick); // scheduled before the admission's first turn, so it runs first in every turn
  const started: { url: string; turn: number }[] = [];
  const handle = admitRequests(server, (req) => started.push({ url: req.url!, turn }));
  for (const url of urls) handle(request(url), response);
  while (started.length < urls.length) await nextTurn();
  running = false;
  return started;
}

admission('when nothing is being accepted, then waiting requests start four per turn, in the order they came', async () => {
  const urls = Array.from({ length: 10 }, (_, i) => `/record?id=${i}`);
  const started = await startTurns(urls, false);
  assert.equal(started.map((s) => s.url), urls);
  assert.equal(started.map((s) => s.turn), [1, 1, 1, 1, 2, 2, 2, 2, 3, 3]);
});

admission('when a connection is accepted every turn, then one request starts every third turn', async () => {
  const urls = ['/a', '/b', '/c', '/d'];
  const started = await startTurns(urls, true);
  assert.equal(started.map((s) => s.url), urls);
  assert.equal(started.map((s) => s.turn), [3, 6, 9, 12]);
});

admission('when a connection is dropped at accept every turn (over the hard ceiling), then that counts as accepting too', async () => {
  const urls = ['/a', '/b', '/c'];
  const started = await startTurns(urls, true, 'drop');
  assert.equal(started.map((s) => s.turn), [3, 6, 9]);
});

admission('when a health probe comes, then it starts at once, ahead of the requests waiting', async () => {
  const server = new EventEmitter() as Server;
  const started: string[] = [];
  const handle = admitRequests(server, (req) => started.push(req.url!));
  handle(request('/users'), response);
  handle(request('/healthz'), response);
  handle(request('/readyz?verbose=1'), response);
  assert.equal(started, ['/healthz', '/readyz?verbose=1']);
  await nextTurn();
  assert.equal(started, ['/healthz', '/readyz?verbose=1', '/users']);
});

admission('when a path only looks like a probe, then it waits like any other request', () => {
  assert.ok(isProbe(request('/healthz')));
  assert.ok(isProbe(request('/readyz?x=1')));
  assert.not.ok(isProbe(request('/healthz/x')));
  assert.not.ok(isProbe(request('/x/healthz')));
  assert.not.ok(isProbe(request('/metrics')));
  assert.not.ok(isProbe({} as IncomingMessage));
});

admission('when requests arrive over real connections, then each is answered, in order on its connection', async () => {
  const server = http.createServer();
  let count = 0;
  server.on('request', admitRequests(server, (req, res) => res.end(`${req.url} ${++count}`)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => fetch(`${url}/r${i}`).then((r) => r.text())));
    assert.equal(answers.map((a) => a.split(' ')[0]), Array.from({ length: 30 }, (_, i) => `/r${i}`));
    assert.equal(answers.map((a) => Number(a.split(' ')[1])).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1));
    assert.is(await (await fetch(`${url}/healthz`)).text(), '/healthz 31');
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

admission.run();
