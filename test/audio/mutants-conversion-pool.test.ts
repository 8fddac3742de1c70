// The conversion pool (src/audio/conversion-pool.ts) called directly, with real worker threads and no service: that a
// conversion on a thread gives the bytes one in this thread gives, chunk by chunk; how refusals, a failing sink, the
// caller's abort, a full queue and the time limit come out; when a recording is split, and that the split one joins
// to the bytes of the same pieces joined in this thread; and the pool's own lines (a whole conversion goes before
// the next piece, no more conversions in pieces than threads, a piece waiting for a thread still has a time limit).
// The HTTP tests reach the same through the service, seconds per case; this file takes a few seconds in all.
import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as assert from 'uvu/assert';
import { FileArrival } from '../../src/audio/arriving-file.js';
import { AudioError } from '../../src/audio/audio-error.js';
import { ConversionPool, ConversionPoolBusyError, ConversionTimeoutError, type ConversionPoolOptions } from '../../src/audio/conversion-pool.js';
import { convertWavFile, encodeWavPiece, planConversionOf, type ConversionOptions, type ConversionSummary } from '../../src/audio/convert-wav.js';
import { convertInPieces, piecesOf } from '../../src/audio/split-conversion.js';
import { compileLameWasm } from '../../src/audio/wasm-lame-encoder.js';
import { musicLike, sine } from '../fixtures/signals.js';
import { encodeWav } from '../fixtures/wav-writer.js';
import { rejection } from '../support/domain-refusal.js';
import { test } from '../support/suite.js';
import { until } from '../support/until.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WASM: ConversionOptions = { encoder: 'wasm' };
// Long enough to split with SPLIT at 120 s: 300 s of 8 kHz mono, seven pieces that encode in a few tenths each.
const SPLIT: Partial<ConversionPoolOptions> = { splitMinSeconds: 120 };

let dir: string;
let wasm: WebAssembly.Module;
let short: string; // 2 s of 22.05 kHz stereo, a different tone per channel
let long: string; // 300 s of 8 kHz mono music
let notAudio: string;
const pools: ConversionPool[] = [];

test.before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-pool-'));
  wasm = await compileLameWasm();
  short = path.join(dir, 'short.wav');
  await writeFile(short, encodeWav({ sampleRate: 22_050, channels: 2 }, [sine(440, 2, 22_050), sine(660, 2, 22_050)]));
  long = path.join(dir, 'long.wav');
  await writeFile(long, encodeWav({ sampleRate: 8_000, channels: 1 }, musicLike(300, 8_000, 1)));
  notAudio = path.join(dir, 'notes.wav');
  await writeFile(notAudio, 'these are my notes, not a recording\n'.repeat(20));
});
test.after(async () => {
  // A test that failed half way may leave a thread blocked opening a FIFO, and the pool waiting for it: let every
  // FIFO go, and give the pools a few seconds, so that the process ends and the failure is reported (under Stryker,
  // a process that does not end costs its full time limit).
  for (const file of fifos) await release(file, 'r+');
  await Promise.race([Promise.all(pools.map((pool) => pool.close())), sleep(3_000)]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startPool(options: Partial<ConversionPoolOptions> = {}): Promise<ConversionPool> {
  const pool = await ConversionPool.start({ threads: 2, maxQueue: 8, taskTimeoutMs: 60_000, splitMinSeconds: 0, ...options });
  pools.push(pool);
  return pool;
}

interface Collected {
  chunks: Uint8Array[];
  bytes: () => Buffer;
  /** Sink calls that overlapped another: the pool hands chunks on one at a time. */
  overlaps: number;
  /** When the first chunk came (ms since the epoch). */
  firstAt?: number;
}

/** A sink that keeps copies of its chunks; `delayMs` makes each one slow to store. */
function collector(delayMs = 0): Collected & { sink: (bytes: Uint8Array) => Promise<void> } {
  let storing = 0;
  const collected = {
    chunks: [] as Uint8Array[],
    overlaps: 0,
    firstAt: undefined as number | undefined,
    bytes: () => Buffer.concat(collected.chunks),
    sink: async (bytes: Uint8Array) => {
      collected.firstAt ??= Date.now();
      if (storing++ > 0) collected.overlaps++;
      if (delayMs) await sleep(delayMs);
      collected.chunks.push(bytes.slice());
      storing--;
    },
  };
  return collected;
}

/** The same conversion in this thread: the bytes a pool must give. */
async function inThisThread(file: string, options: ConversionOptions = WASM): Promise<{ bytes: Buffer; summary: ConversionSummary }> {
  const out = collector();
  const summary = await convertWavFile(file, options, out.sink, wasm);
  return { bytes: out.bytes(), summary };
}

/** The same conversion split as the pool splits it, its pieces encoded and joined one after another in this thread. */
async function splitInThisThread(file: string): Promise<{ bytes: Buffer; summary: ConversionSummary }> {
  const plan = await planConversionOf(file, WASM);
  const out = collector();
  const summary = await convertInPieces(plan, out.sink, (range) => encodeWavPiece(file, plan, range, wasm), 1);
  return { bytes: out.bytes(), summary };
}

const fifos: string[] = [];

async function fifo(name: string): Promise<string> {
  const file = path.join(dir, name);
  await promisify(execFile)('mkfifo', [file]);
  fifos.push(file);
  return file;
}

/**
 * Lets a worker blocked on a FIFO go on, reading an empty file: opens the writing end, which waits until the worker
 * opens the other, and closes it. After an abort the worker may be gone before it opened the FIFO, so `r+` (reading and
 * writing, which never waits) is used there instead, and wherever the task may have run past its time limit.
 */
async function release(file: string, flags: 'w' | 'r+' = 'w'): Promise<void> {
  await (await open(file, flags)).close();
}

test('when a WAV converts on a thread, then its chunks reach the sink in order, one at a time, as the same bytes and summary as in this thread, and the pool is idle after', async () => {
  const pool = await startPool();
  const expected = await inThisThread(short);
  const out = collector(2);
  const summary = await pool.convert(short, WASM, out.sink);
  assert.ok(out.chunks.length > 2, `several chunks (${out.chunks.length})`);
  assert.is(out.overlaps, 0);
  assert.ok(out.bytes().equals(expected.bytes), 'the same MP3 bytes');
  assert.equal(summary, expected.summary);
  assert.equal(pool.stats, { threads: 2, queued: 0, running: 0 });
  assert.is(pool.isFull, false);
  assert.is(pool.workers.length, 2);
  assert.is(pool.splitConversions, 0);
});

test('when the sink is slow, then the thread waits for it after a few chunks instead of running ahead, and every chunk still arrives', async () => {
  const pool = await startPool({ threads: 1 });
  // 60 s of 44.1 kHz stereo: a dozen chunks, more than the thread may send before the sink has stored any.
  const file = path.join(dir, 'minute.wav');
  await writeFile(file, encodeWav({ sampleRate: 44_100, channels: 2 }, musicLike(60, 44_100, 2)));
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const out = collector();
  const converting = pool.convert(file, WASM, async (bytes) => {
    await gate;
    await out.sink(bytes);
  });
  // Long enough to encode the whole minute many times over (about 0.3 s on a free core; a thread that ran ahead
  // would be done and free by then even on a machine busy with other work).
  await sleep(4_000);
  assert.equal(pool.stats, { threads: 1, queued: 0, running: 1 }, 'the thread is still held, waiting for the sink');
  open();
  await converting;
  assert.ok(out.chunks.length > 9, `chunks: ${out.chunks.length}`);
  assert.ok(out.bytes().equals((await inThisThread(file)).bytes));
  assert.equal(pool.stats, { threads: 1, queued: 0, running: 0 });
});

test('when the thread fails with an error that is not a refusal, then that error comes back as it is', async () => {
  const pool = await startPool();
  const error = (await rejection(() => pool.convert(dir, WASM, async () => {}))) as Error;
  assert.not.instance(error, AudioError);
  // Cloned across the thread boundary: the message survives, the error's code does not.
  assert.match(error.message, /^EISDIR: illegal operation on a directory/);
});

test('when lamejs is asked, then the thread encodes with lamejs (the bytes lamejs gives in this thread)', async () => {
  const pool = await startPool(SPLIT);
  const expected = await inThisThread(short, { encoder: 'lamejs' });
  const out = collector();
  await pool.convert(short, { encoder: 'lamejs' }, out.sink);
  assert.ok(out.bytes().equals(expected.bytes));
  assert.not.ok(out.bytes().equals((await inThisThread(short)).bytes), 'not what LAME in WebAssembly gives');
});

test('when the file is not a WAV, then the refusal comes back as the AudioError this thread would throw, with its kind, property and message', async () => {
  for (const options of [{}, SPLIT]) {
    const pool = await startPool(options);
    const expected = (await rejection(() => inThisThread(notAudio))) as AudioError;
    const error = (await rejection(() => pool.convert(notAudio, WASM, async () => {}))) as AudioError;
    assert.instance(error, AudioError);
    assert.equal(error.toProblem(), expected.toProblem());
    assert.is(error.name, 'AudioError');
    assert.equal(pool.stats, { threads: 2, queued: 0, running: 0 });
  }
});

test('when a refusal carries a byte count (an MP3 too large for the room left), then it crosses the thread with it', async () => {
  const pool = await startPool();
  const error = (await rejection(() => pool.convert(short, { ...WASM, maxOutputBytes: 100 }, async () => {}))) as AudioError;
  assert.instance(error, AudioError);
  assert.is(error.kind, 'too-large');
  assert.ok(error.bytes! > 100, `bytes ${error.bytes}`);
  assert.equal(error.toProblem(), ((await rejection(() => inThisThread(short, { ...WASM, maxOutputBytes: 100 }))) as AudioError).toProblem());
});

test('when a file still arriving has a header the service refuses, then the refusal comes before the rest of the file, whether or not recordings are split', async () => {
  for (const [name, options] of [['splitting on', SPLIT], ['splitting off', { splitMinSeconds: 0 }]] as const) {
    const pool = await startPool(options);
    const arriving = new FileArrival(path.join(dir, `arriving-notes-${options.splitMinSeconds}.wav`));
    const text = Buffer.from('these are my notes, not a recording\n'.repeat(20));
    await writeFile(arriving.path, text);
    arriving.wrote(text.length);
    const error = await Promise.race([rejection(() => pool.convert(arriving, WASM, async () => {})), sleep(5_000).then(() => 'still waiting')]);
    assert.instance(error, AudioError, name);
    assert.is(arriving.arrivedSize, undefined, `${name}: refused while the file was still arriving`);
    arriving.ended();
  }
});

test("when the sink fails, then the conversion fails with the sink's error, the thread is free again, and the next conversion is whole", async () => {
  const pool = await startPool({ threads: 1 });
  const broken = new Error('disk on fire');
  let calls = 0;
  const error = await rejection(() =>
    pool.convert(short, WASM, async () => {
      if (++calls === 3) throw broken;
    }),
  );
  assert.is(error, broken);
  assert.equal(pool.stats, { threads: 1, queued: 0, running: 0 });
  const out = collector();
  await pool.convert(short, WASM, out.sink);
  assert.ok(out.bytes().equals((await inThisThread(short)).bytes));
});

test('when the caller aborts, then the conversion stops with its reason and the pool goes on', async () => {
  const pool = await startPool({ threads: 1 });
  const blocked = await fifo('aborted.wav');
  const stop = new AbortController();
  const running = rejection(() => pool.convert(blocked, WASM, async () => {}, stop.signal));
  await until('the conversion runs', () => pool.stats.running === 1);
  stop.abort(new Error('the client went away'));
  const error = (await running) as Error;
  await release(blocked, 'r+');
  assert.instance(error, Error);
  assert.not.instance(error, ConversionTimeoutError);
  assert.not.instance(error, ConversionPoolBusyError);
  await until('the thread is given back', () => pool.stats.running === 0);
  const out = collector();
  await pool.convert(short, WASM, out.sink);
  assert.ok(out.bytes().length > 0);
});

test('when every thread is busy and the queue is full, then isFull says so and a conversion is refused with ConversionPoolBusyError', async () => {
  const pool = await startPool({ threads: 1, maxQueue: 1 });
  const [first, second] = [await fifo('busy-1.wav'), await fifo('busy-2.wav')];
  const runs = [pool.convert(first, WASM, async () => {}).catch(() => {})];
  await until('the first conversion runs', () => pool.stats.running === 1);
  assert.equal(pool.stats, { threads: 1, queued: 0, running: 1 });
  assert.is(pool.isFull, false, 'a place in the queue is left');
  runs.push(pool.convert(second, WASM, async () => {}).catch(() => {}));
  await until('the second conversion waits', () => pool.stats.queued === 1);
  assert.equal(pool.stats, { threads: 1, queued: 1, running: 1 });
  assert.is(pool.isFull, true);
  const error = (await rejection(() => pool.convert(short, WASM, async () => {}))) as Error;
  assert.instance(error, ConversionPoolBusyError);
  assert.is(error.name, 'ConversionPoolBusyError');
  assert.is(error.message, 'every conversion thread is busy and the queue is full');
  await release(first);
  await release(second);
  await Promise.all(runs);
  assert.equal(pool.stats, { threads: 1, queued: 0, running: 0 });
});

test('when a conversion runs past the time limit, then it fails with ConversionTimeoutError naming the limit', async () => {
  const pool = await startPool({ threads: 1, taskTimeoutMs: 50 });
  const error = (await rejection(() => pool.convert(long, WASM, async () => {}))) as Error;
  assert.instance(error, ConversionTimeoutError);
  assert.is(error.name, 'ConversionTimeoutError');
  assert.is(error.message, 'the conversion ran past 50 ms');
});

test('when a file arrives slowly, then the time limit counts from its last byte, not from the start', async () => {
  const pool = await startPool({ threads: 1, taskTimeoutMs: 400 });
  const wav = encodeWav({ sampleRate: 8_000, channels: 1 }, [sine(440, 1, 8_000)]);
  const arriving = new FileArrival(path.join(dir, 'slow.wav'));
  await writeFile(arriving.path, '');
  const out = collector();
  const converting = pool.convert(arriving, WASM, out.sink);
  for (let at = 0; at < wav.length; at += 2_000) {
    const part = wav.subarray(at, at + 2_000);
    await appendFile(arriving.path, part);
    arriving.wrote(part.length);
    await sleep(100); // about a second in all, more than twice the limit
  }
  arriving.ended();
  const summary = await converting;
  assert.is(summary.input.frames, 8_000);
  assert.ok(out.bytes().equals((await inThisThread(arriving.path)).bytes));
});

test('when a recording is long enough and splitting is on, then it is encoded in pieces that join to the bytes the same pieces give in this thread', async () => {
  const pool = await startPool(SPLIT);
  const expected = await splitInThisThread(long);
  const pieces = piecesOf(await planConversionOf(long, WASM)).length;
  const out = collector();
  const summary = await pool.convert(long, WASM, out.sink);
  assert.is(pool.splitConversions, 1);
  assert.is(pool.piecesEncoded, pieces);
  assert.ok(out.bytes().equals(expected.bytes), 'the same joined MP3');
  assert.equal(summary, expected.summary);
  assert.equal(pool.stats, { threads: 2, queued: 0, running: 0 });
});

test('when a long recording arrives as it is converted, then its pieces are encoded as their bytes land and join to the same MP3', async () => {
  const pool = await startPool(SPLIT);
  const expected = await splitInThisThread(long);
  const whole = await readFile(long);
  const arriving = new FileArrival(path.join(dir, 'long-arriving.wav'));
  await writeFile(arriving.path, '');
  const out = collector();
  const converting = pool.convert(arriving, WASM, out.sink);
  const step = Math.ceil(whole.length / 10);
  for (let at = 0; at < whole.length; at += step) {
    const part = whole.subarray(at, at + step);
    await appendFile(arriving.path, part);
    arriving.wrote(part.length);
    await sleep(30);
  }
  arriving.ended();
  await converting;
  assert.is(pool.splitConversions, 1);
  assert.ok(out.bytes().equals(expected.bytes));
});

test('when a recording is shorter than the minimum, lamejs is asked, or splitting is off, then it is converted whole', async () => {
  // 130 s: long enough to split at SPLIT's 120 s, short enough for lamejs to encode in a few seconds.
  const file = path.join(dir, 'splittable.wav');
  await writeFile(file, encodeWav({ sampleRate: 8_000, channels: 1 }, musicLike(130, 8_000, 1)));
  const cases: [string, Partial<ConversionPoolOptions>, ConversionOptions][] = [
    ['shorter than the minimum', { splitMinSeconds: 131 }, WASM],
    ['lamejs', SPLIT, { encoder: 'lamejs' }],
    ['splitting off', { splitMinSeconds: 0 }, WASM],
  ];
  for (const [name, options, conversion] of cases) {
    const pool = await startPool(options);
    const out = collector();
    await pool.convert(file, conversion, out.sink);
    assert.is(pool.splitConversions, 0, name);
    assert.is(pool.piecesEncoded, 0, name);
    assert.ok(out.bytes().equals((await inThisThread(file, conversion)).bytes), name);
  }
  const pool = await startPool(SPLIT);
  await pool.convert(file, WASM, async () => {});
  assert.is(pool.splitConversions, 1, 'the same file is split when nothing of the above holds');
});

test('when a whole conversion comes while a split one holds the only thread, then it gets the thread before the next piece', async () => {
  const pool = await startPool({ threads: 1, ...SPLIT });
  const finished: string[] = [];
  const longRun = pool.convert(long, WASM, async () => {}).then(() => finished.push('long'));
  await until('a first piece is encoded', () => pool.piecesEncoded >= 1);
  const piecesBefore = pool.piecesEncoded;
  await pool.convert(short, WASM, async () => {});
  finished.push('short');
  assert.ok(pool.piecesEncoded <= piecesBefore + 1, `at most the piece running then ended meanwhile (${piecesBefore} → ${pool.piecesEncoded})`);
  await longRun;
  assert.equal(finished, ['short', 'long']);
});

test('when two split conversions hold both threads and have pieces waiting, then a whole conversion gets the next free thread before those pieces', async () => {
  const pool = await startPool({ threads: 2, ...SPLIT });
  const finished: string[] = [];
  const longRuns = [0, 1].map((k) => pool.convert(long, WASM, async () => {}).then(() => finished.push(`long ${k}`)));
  // Each wants two threads for its pieces: two pieces run, two wait in the pool's own line, not in piscina's queue.
  // Three pieces done: both conversions are past their start, each with two pieces in flight (and five to go).
  await until('both are split and pieces flow', () => pool.splitConversions === 2 && pool.piecesEncoded >= 3, 30_000);
  // piscina does not count tasks with a signal in its queue size (piscinajs/piscina#899), so the pool's own count is
  // what shows pieces handed to it beyond its threads.
  assert.is(pool.stats.queued, 0, 'waiting pieces are not queued in piscina');
  assert.is(pool.stats.running, 2, 'no more pieces handed to piscina than it has threads');
  assert.not.ok(pool.isFull, 'pieces waiting for a thread do not fill the queue');
  const piecesBefore = pool.piecesEncoded;
  await pool.convert(short, WASM, async () => {});
  finished.push('short');
  // The two pieces running when it came may end first; none that was waiting may.
  assert.ok(pool.piecesEncoded <= piecesBefore + 2, `${pool.piecesEncoded - piecesBefore} pieces ended before it`);
  await Promise.all(longRuns);
  assert.is(finished[0], 'short');
});

test('when the sink fails on the last chunk, after the thread has finished, then the conversion fails with its error', async () => {
  const pool = await startPool({ threads: 1 });
  const { length: chunks } = (await (async () => {
    const out = collector();
    await pool.convert(short, WASM, out.sink);
    return out;
  })()).chunks;
  assert.ok(chunks > 1, `${chunks} chunks`);
  const lost = new Error('the last chunk was not stored');
  let calls = 0;
  const error = await rejection(() =>
    pool.convert(short, WASM, async () => {
      // Slow enough that the thread has sent everything and reported its result before this fails.
      await sleep(20);
      if (++calls === chunks) throw lost;
    }),
  );
  assert.is(error, lost);
});

test('when the pool is closed, then its threads end', async () => {
  const pool = await startPool({ threads: 2 });
  const threads = [...pool.workers];
  assert.is(threads.length, 2);
  const exits = threads.map((thread) => new Promise((resolve) => thread.once('exit', resolve)));
  await pool.close();
  await Promise.race([Promise.all(exits), sleep(5_000).then(() => assert.unreachable('a thread is still running after close'))]);
});

test('when more long recordings come than there are threads, then the extra one waits to be split until one is done', async () => {
  const pool = await startPool({ threads: 1, ...SPLIT });
  // The first holds the one place among conversions in pieces while its bytes have not all arrived.
  const whole = await readFile(long);
  const arriving = new FileArrival(path.join(dir, 'holding.wav'));
  await writeFile(arriving.path, whole.subarray(0, 1_000));
  arriving.wrote(1_000);
  const first = collector();
  const firstRun = pool.convert(arriving, WASM, first.sink);
  await until('the first is split', () => pool.splitConversions === 1);
  const second = collector();
  let secondDone = false;
  const secondRun = pool.convert(long, WASM, second.sink).then(() => (secondDone = true));
  await sleep(300);
  assert.is(second.firstAt, undefined, 'the second has not begun');
  assert.is(pool.splitConversions, 1);
  await appendFile(arriving.path, whole.subarray(1_000));
  arriving.wrote(whole.length - 1_000);
  arriving.ended();
  await firstRun;
  await secondRun;
  assert.ok(secondDone);
  assert.is(pool.splitConversions, 2);
  assert.ok(second.bytes().equals(first.bytes()), 'both are the same joined MP3');
});

test('when a split conversion waits for a place, or its piece waits for a thread, past the time limit, then it fails with ConversionTimeoutError', async () => {
  // A whole conversion of a FIFO nobody writes holds the only thread; the split one's first piece waits for it.
  const pool = await startPool({ threads: 1, taskTimeoutMs: 200, ...SPLIT });
  const blocked = await fifo('holding-thread.wav');
  const holder = pool.convert(blocked, WASM, async () => {}).catch((error: unknown) => error);
  await until('the thread is taken', () => pool.stats.running === 1);
  const waiting = (await rejection(() => pool.convert(long, WASM, async () => {}))) as Error;
  assert.instance(waiting, ConversionTimeoutError);
  assert.is(pool.piecesEncoded, 0);
  assert.is(pool.splitConversions, 1);
  // The holder ran past the limit too, and its thread may have been stopped before it opened the FIFO.
  await release(blocked, 'r+');
  await holder;

  // A place among conversions in pieces held by one whose bytes are still arriving.
  const arriving = new FileArrival(path.join(dir, 'holding-place.wav'));
  const whole = await readFile(long);
  await writeFile(arriving.path, whole.subarray(0, 1_000));
  arriving.wrote(1_000);
  const first = pool.convert(arriving, WASM, async () => {}).catch((error: unknown) => error);
  await until('the place is taken', () => pool.splitConversions === 2);
  const second = (await rejection(() => pool.convert(long, WASM, async () => {}))) as Error;
  assert.instance(second, ConversionTimeoutError);
  assert.is(pool.splitConversions, 2, 'it never began in pieces');
  const gone = new Error('the upload stopped');
  arriving.failed(gone);
  assert.is(await first, gone, "the one still arriving fails with its upload's error");
  // The place is given back: the next long one is split.
  await pool.convert(long, WASM, async () => {}).catch(() => {});
  assert.is(pool.splitConversions, 3);
});

test.run();
