// The download body stream, driven directly (docs/MUTATION.md): pieces in order, one asked for at a time, the
// source's clean-up run when the consumer goes away, and errors from either side passed on.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as assert from 'uvu/assert';
import { onDemandStream } from '../../src/http/on-demand-stream.js';
import { suite } from '../support/suite.js';

interface Source {
  pieces: AsyncIterable<Buffer>;
  pulled: () => number;
  finished: () => boolean;
}

function source(count: number, failAt?: number): Source {
  let pulled = 0;
  let finished = false;
  async function* generate() {
    try {
      for (let i = 0; i < count; i++) {
        pulled++;
        if (i === failAt) throw new Error(`piece ${i} failed`);
        yield Buffer.from(`piece ${i};`);
      }
    } finally {
      finished = true;
    }
  }
  return { pieces: generate(), pulled: () => pulled, finished: () => finished };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

const stream = suite('on-demand stream');

stream('when the consumer reads everything, then every piece arrives in order and the stream ends', async () => {
  const from = source(3);
  const chunks: Buffer[] = [];
  for await (const chunk of onDemandStream(from.pieces)) chunks.push(chunk as Buffer);
  assert.is(Buffer.concat(chunks).toString(), 'piece 0;piece 1;piece 2;');
  assert.is(from.finished(), true);
});

stream('when the consumer stops taking pieces, then no piece beyond the one it is writing is fetched', async () => {
  const from = source(10);
  const taken: string[] = [];
  let release: (() => void) | undefined;
  // A consumer that takes one piece and then never finishes writing it.
  const stuck = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, callback) {
      taken.push(chunk.toString());
      release = callback;
    },
  });
  const body = onDemandStream(from.pieces);
  body.pipe(stuck);
  await tick();
  assert.equal(taken, ['piece 0;']);
  assert.ok(from.pulled() <= 2, `pulled ${from.pulled()}`);
  assert.is(body.readableHighWaterMark, 0);
  release?.();
  body.destroy();
  await tick();
});

stream('when the consumer goes away half way, then the source is told to end and its clean-up runs', async () => {
  const from = source(10);
  const body = onDemandStream(from.pieces);
  const first = await new Promise<Buffer>((resolve) => body.once('data', resolve));
  assert.is(first.toString(), 'piece 0;');
  body.destroy();
  await new Promise((resolve) => body.once('close', resolve));
  assert.is(from.finished(), true);
  assert.ok(from.pulled() < 10);
});

stream('when the source fails, then the stream fails with its error', async () => {
  const from = source(5, 1);
  const error = await pipeline(onDemandStream(from.pieces), new Writable({ write: (_c, _e, cb) => cb() })).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.is(error?.message, 'piece 1 failed');
});

stream('when the consumer ends it with an error, then that error is the one reported', async () => {
  const body = onDemandStream(source(5).pieces);
  const reported = new Promise<Error>((resolve) => body.once('error', resolve));
  body.destroy(new Error('client gone'));
  assert.is((await reported).message, 'client gone');
});

stream('when the source cannot end cleanly, then its error is reported; a source without clean-up ends quietly', async () => {
  const failing: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => ({ value: Buffer.from('x'), done: false }),
      return: async () => {
        throw new Error('clean-up failed');
      },
    }),
  };
  const body = onDemandStream(failing);
  const reported = new Promise<Error>((resolve) => body.once('error', resolve));
  body.destroy();
  assert.is((await reported).message, 'clean-up failed');

  const plain: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next: async () => ({ value: Buffer.from('x'), done: false }) }) };
  const quiet = onDemandStream(plain);
  let failed: Error | undefined;
  quiet.on('error', (e) => (failed = e));
  quiet.destroy();
  await new Promise((resolve) => quiet.once('close', resolve));
  assert.is(failed, undefined);
  assert.is(quiet.destroyed, true);
});

stream('when the consumer fails and the clean-up fails too, then the consumer\'s error is the one reported', async () => {
  const failing: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => ({ value: Buffer.from('x'), done: false }),
      return: async () => {
        throw new Error('clean-up failed');
      },
    }),
  };
  const body = onDemandStream(failing);
  const reported = new Promise<Error>((resolve) => body.once('error', resolve));
  body.destroy(new Error('client gone'));
  assert.is((await reported).message, 'client gone');
});

stream.run();
