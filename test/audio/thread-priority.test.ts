// lowerThisThreadPriority, in real threads: it lowers the calling thread alone, and never raises one already lower.
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as assert from 'uvu/assert';
import { CONVERSION_THREAD_NICENESS } from '../../src/audio/thread-priority.js';
import { test } from '../support/suite.js';

const MODULE = new URL('../../src/audio/thread-priority.js', import.meta.url).href;

/** Runs lowerThisThreadPriority in a new thread that first sets its own nice to `start`; its nice value afterwards. */
function inThread(start: number): Promise<number> {
  const source = `
    const { parentPort } = require('node:worker_threads');
    const { readlinkSync } = require('node:fs');
    const os = require('node:os');
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    os.setPriority(tid, ${start});
    import(${JSON.stringify(MODULE)}).then(({ lowerThisThreadPriority }) => {
      lowerThisThreadPriority();
      parentPort.postMessage(os.getPriority(tid));
    });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true });
    worker.once('message', (nice: number) => {
      resolve(nice);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

test('when a thread at the process priority calls it, then that thread alone runs at the conversion niceness', async () => {
  if (process.platform !== 'linux') return;
  const before = getPriority();
  assert.is(await inThread(before), Math.max(before, CONVERSION_THREAD_NICENESS));
  assert.is(getPriority(), before, 'the calling process (this thread) is untouched');
});

test('when a thread already runs at a lower priority, then it is left there', async () => {
  if (process.platform !== 'linux') return;
  assert.is(await inThread(CONVERSION_THREAD_NICENESS + 5), CONVERSION_THREAD_NICENESS + 5);
});

test.run();
