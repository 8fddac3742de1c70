// The bookkeeping of a file that is still arriving (src/audio/arriving-file.ts) and of the pool's waiting lines
// (src/audio/waiting-line.ts): who is let go, when, and with what.
import { getEventListeners } from 'node:events';
import * as assert from 'uvu/assert';
import { FileArrival, wholeFile } from '../../src/audio/arriving-file.js';
import { WaitingLine } from '../../src/audio/waiting-line.js';
import { suite } from '../support/suite.js';

const arrival = suite('a file arriving');

/** What `promise` rejects with; fails if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.unreachable('it resolved'),
    (error: unknown) => error,
  );
}

/** Whether `promise` has settled after the microtasks queued now have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

arrival('when bytes reach the disk, then a wait for them resolves once all are there, with the bytes on disk', async () => {
  const file = new FileArrival('/spool/a.upload');
  const waiting = file.available(100);
  file.wrote(60);
  assert.not.ok(await settled(waiting), 'not at 60 of 100');
  file.wrote(39);
  assert.not.ok(await settled(waiting), 'not at 99 of 100');
  file.wrote(41);
  assert.is(await waiting, 140);
  assert.is(await file.available(140), 140, 'bytes already there: at once');
  const exact = file.available(200);
  file.wrote(60);
  assert.ok(await settled(exact), 'a wait resolves when the bytes reach exactly what it asked for');
  assert.is(await exact, 200);
  assert.is(file.arrivedSize, undefined, 'still arriving');
});

arrival('when the file ends short of a wait, then the wait resolves with what is there, and the size is known', async () => {
  const file = new FileArrival('/spool/b.upload');
  const far = file.available(1_000);
  const whole = file.complete();
  file.wrote(300);
  assert.not.ok(await settled(whole));
  file.ended();
  assert.is(await far, 300);
  assert.is(await whole, 300);
  assert.is(file.arrivedSize, 300);
  assert.is(await file.available(5_000), 300, 'after the end: at once');
  file.failed(new Error('too late'));
  assert.not.ok(file.hasFailed, 'a file that ended cannot fail afterwards');
});

arrival('when the upload fails, then every wait, now and later, rejects with its error', async () => {
  const file = new FileArrival('/spool/c.upload');
  file.wrote(10);
  const waiting = file.available(20);
  const broken = new Error('the client went away');
  file.failed(broken);
  assert.ok(file.hasFailed);
  assert.is(await rejection(waiting), broken);
  assert.is(await rejection(file.available(5)), broken);
  assert.is(await rejection(file.complete()), broken);
  file.ended();
  assert.is(await rejection(file.complete()), broken, 'a failed file stays failed');
});

arrival('when a file is whole on disk, then it is available at once', async () => {
  const file = wholeFile('/spool/d.wav', 1234);
  assert.is(file.arrivedSize, 1234);
  assert.not.ok(file.hasFailed);
  assert.is(await file.available(10_000), 1234);
  assert.is(await file.complete(), 1234);
});

arrival.run();

const line = suite('a waiting line');

line('when callers wait, then they go one at a time, first come first served', async () => {
  const waiting = new WaitingLine();
  const order: number[] = [];
  const signal = new AbortController().signal;
  const all = [1, 2, 3].map((n) => waiting.wait(signal).then(() => order.push(n)));
  assert.is(waiting.length, 3);
  assert.ok(waiting.next());
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(order, [1]);
  assert.ok(waiting.next());
  assert.ok(waiting.next());
  await Promise.all(all);
  assert.equal(order, [1, 2, 3]);
  assert.is(waiting.length, 0);
  assert.not.ok(waiting.next(), 'nobody left');
});

line('when a caller aborts, then it leaves the line with the reason and the next one is let go instead', async () => {
  const waiting = new WaitingLine();
  const leaving = new AbortController();
  const first = waiting.wait(leaving.signal);
  const second = waiting.wait(new AbortController().signal);
  leaving.abort(new Error('gave up'));
  assert.match(String(await rejection(first)), /gave up/);
  assert.is(waiting.length, 1);
  assert.ok(waiting.next());
  await second;
  assert.match(String(await rejection(waiting.wait(leaving.signal))), /gave up/, 'an aborted signal does not queue');
  assert.is(waiting.length, 0);
});

line('when a caller is let go or leaves, then its signal keeps no listener of the line', async () => {
  // A conversion's signal can outlive its wait by minutes; a listener left on it would hold the line's closure.
  const waiting = new WaitingLine();
  const kept = new AbortController();
  const served = waiting.wait(kept.signal);
  assert.is(getEventListeners(kept.signal, 'abort').length, 1, 'while it waits');
  assert.ok(waiting.next());
  await served;
  assert.is(getEventListeners(kept.signal, 'abort').length, 0, 'once let go');
  const leaving = new AbortController();
  const left = waiting.wait(leaving.signal);
  leaving.abort(new Error('gave up'));
  await rejection(left);
  assert.is(getEventListeners(leaving.signal, 'abort').length, 0, 'once it left');
});

line.run();
