// MAX_CONNECTIONS against the file-descriptor limit, computed directly (docs/MUTATION.md): no test reached this file
// before (main.ts calls it at start-up). 256 descriptors are kept for the process, each connection may need 2, and the
// answered margin above the cap (64, or a tenth of a large cap) needs descriptors too.
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { connectionsWithinLimit, openFileLimit } from '../../src/http/descriptor-limit.js';
import { suite } from '../support/suite.js';

const limit = suite('descriptor limit');

limit('when the wanted connections fit the limit, then they are kept', () => {
  assert.is(connectionsWithinLimit(100, 1024), 100);
  // (1024 - 256 - 64) / 2 = 352: exactly enough.
  assert.is(connectionsWithinLimit(352, 1024), 352);
});

limit('when they do not fit, then as many as fit with every one uploading, rounded down', () => {
  assert.is(connectionsWithinLimit(353, 1024), 352);
  // A large cap answers a tenth more above it: (1024 - 256 - 100) / 2 = 334.
  assert.is(connectionsWithinLimit(1000, 1024), 334);
  assert.is(connectionsWithinLimit(1000, 1025), 334);
  assert.is(connectionsWithinLimit(1000, 1026), 335);
});

limit('when the limit leaves room for none, then one connection is still served', () => {
  assert.is(connectionsWithinLimit(100, 300), 1);
  assert.is(connectionsWithinLimit(100, 0), 1);
  // (256 + 64 + 2) / 2 leaves exactly one.
  assert.is(connectionsWithinLimit(100, 322), 1);
  assert.is(connectionsWithinLimit(100, 324), 2);
});

limit('when no limit is given, then this process\'s soft limit on open files is read from /proc', () => {
  const soft = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  assert.ok(soft, 'this test needs /proc and a numeric soft limit');
  assert.is(openFileLimit(), Number(soft));
  assert.is(connectionsWithinLimit(1), 1);
  assert.is(connectionsWithinLimit(10 ** 9), connectionsWithinLimit(10 ** 9, Number(soft)));
});

limit.run();
