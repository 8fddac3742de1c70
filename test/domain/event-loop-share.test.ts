// The per-turn budget downloads share (src/domain/event-loop-share.ts): which event-loop turn each take resolves in,
// counted by an immediate that runs once per turn ahead of the share's own.
import * as assert from 'uvu/assert';
import { EventLoopShare } from '../../src/domain/event-loop-share.js';
import { test } from '../support/suite.js';
import { countTurns } from '../support/turn-counter.js';

/** Runs `takes` against a fresh share and answers, in the order they resolved, each take's index and turn. */
async function turnsOf(unitsPerTurn: number, takes: number[]): Promise<{ index: number; turn: number }[]> {
  const turns = countTurns();
  const share = new EventLoopShare(unitsPerTurn);
  const resolved: { index: number; turn: number }[] = [];
  await Promise.all(takes.map((units, index) => share.take(units).then(() => resolved.push({ index, turn: turns.turn }))));
  turns.stop();
  return resolved;
}

test('when takes fit the budget together, then they resolve in the turn they were asked in', async () => {
  const resolved = await turnsOf(100, [40, 60]);
  assert.equal(resolved, [
    { index: 0, turn: 0 },
    { index: 1, turn: 0 },
  ]);
});

test('when the budget is spent, then the next takes wait for later turns, as many per turn as fit, in the order asked', async () => {
  const resolved = await turnsOf(100, [60, 60, 60, 30, 80, 20]);
  assert.equal(resolved.map((r) => r.index), [0, 1, 2, 3, 4, 5]);
  assert.equal(resolved.map((r) => r.turn), [0, 1, 2, 2, 3, 3]);
});

test('when a small take comes behind one that waits, then it waits too, though it would fit the turn it was asked in', async () => {
  const resolved = await turnsOf(100, [60, 60, 10]);
  assert.equal(resolved.map((r) => r.turn), [0, 1, 1]);
});

test('when a take is larger than the budget, then it goes alone in its turn', async () => {
  const resolved = await turnsOf(100, [250, 10, 250, 250]);
  assert.equal(resolved.map((r) => r.turn), [0, 1, 2, 3]);
});

test('when a thousand takes of a whole budget each wait, then each gets a turn of its own, in order', async () => {
  const resolved = await turnsOf(64, Array.from({ length: 1000 }, () => 64));
  assert.equal(resolved.map((r) => r.index), Array.from({ length: 1000 }, (_, i) => i));
  assert.equal(resolved.map((r) => r.turn), Array.from({ length: 1000 }, (_, i) => i));
});

test('when a turn passes with nothing taken, then the next take starts a fresh budget', async () => {
  const share = new EventLoopShare(100);
  await share.take(100);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  let resolvedAt = -1;
  let turn = 0;
  setImmediate(() => turn++);
  await share.take(100).then(() => (resolvedAt = turn));
  assert.is(resolvedAt, 0);
});

test('when the budget is not positive, then the share refuses to exist', () => {
  assert.throws(() => new EventLoopShare(0), /positive/);
  assert.throws(() => new EventLoopShare(Number.NaN), /positive/);
});

test.run();
