// The coordination of a split conversion (src/audio/split-conversion.ts), with pieces encoded in this thread: where
// the pieces are cut, how many run at once and wait to be joined, the order they start in, what happens when a piece
// or the sink fails, and a file still arriving: pieces wait for their bytes, a file cut short keeps what arrived.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { encodeWavPiece, planConversionOf } from '../../src/audio/convert-wav.js';
import type { ConversionPlan } from '../../src/audio/mp3-output.js';
import { FileArrival } from '../../src/audio/arriving-file.js';
import { canSplit, convertInPieces, piecesOf, type PieceEncoder } from '../../src/audio/split-conversion.js';
import { compileLameWasm } from '../../src/audio/wasm-lame-encoder.js';
import { encodeWav } from '../fixtures/wav-writer.js';
import { musicLike } from '../fixtures/signals.js';
import { suite } from '../support/suite.js';

interface Context {
  dir: string;
  file: string;
  plan: ConversionPlan;
  wasm: WebAssembly.Module;
}

const split = suite<Context>('split conversion, coordinated', {} as Context);

split.before(async (context) => {
  context.dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-split-unit-'));
  context.file = path.join(context.dir, 'in.wav');
  // 300 s of 8 kHz mono: five one-minute pieces that encode quickly.
  await writeFile(context.file, encodeWav({ sampleRate: 8_000, channels: 1 }, musicLike(300, 8_000, 1)));
  context.plan = await planConversionOf(context.file, { encoder: 'wasm' });
  context.wasm = await compileLameWasm();
});

split.after(async (context) => {
  await rm(context.dir, { recursive: true, force: true });
});

interface Watched {
  encode: PieceEncoder;
  starts: number[];
  maxRunning: number;
  /** Pieces in the encoder now. */
  running: number;
  abortedAtEnd: boolean[];
}

/** Encodes pieces for real, noting when each starts, how many run at once, and whether it was told to stop. */
function watched(context: Context, fail?: { piece: number; error: Error }, file?: string): Watched {
  const watch: Watched = { encode: async () => new Uint8Array(), starts: [], maxRunning: 0, running: 0, abortedAtEnd: [] };
  watch.encode = async (range, signal) => {
    const index = watch.starts.length;
    watch.starts.push(range.from);
    watch.maxRunning = Math.max(watch.maxRunning, ++watch.running);
    try {
      // The first piece of each pair starts late, so that a failing second one fails while the first still runs.
      await new Promise((resolve) => setTimeout(resolve, 50 * ((index + 1) % 2)));
      if (fail && fail.piece === index) throw fail.error;
      // As the pool's tasks do: a piece told to stop before it is done fails with an AbortError.
      if (signal.aborted) throw new DOMException('stopped', 'AbortError');
      return await encodeWavPiece(file ?? context.file, context.plan, range, context.wasm);
    } finally {
      watch.running--;
      watch.abortedAtEnd[index] = signal.aborted;
    }
  };
  return watch;
}

split('when a recording is split, then its pieces start in order, never more at once than allowed, and all are joined', async (context) => {
  const watch = watched(context);
  const parts: Uint8Array[] = [];
  const summary = await convertInPieces(context.plan, (bytes) => void parts.push(bytes), watch.encode, 2);
  assert.is(watch.starts.length, 7); // four pieces of about a minute, then 40, 20 and 10 s
  assert.equal(watch.starts, [...watch.starts].sort((a, b) => a - b));
  assert.is(watch.maxRunning, 2);
  assert.is(summary.output.bytes, parts.reduce((sum, p) => sum + p.length, 0));
  assert.is(summary.input.frames, 300 * 8_000);
});

split('when a piece fails, then the conversion fails with its error (not the stop of the piece it waited for) and the pieces still running are told to stop', async (context) => {
  const watch = watched(context, { piece: 1, error: new Error('piece 1 broke') });
  try {
    await convertInPieces(context.plan, () => undefined, watch.encode, 2);
    assert.unreachable('the conversion succeeded');
  } catch (error) {
    assert.is((error as Error).message, 'piece 1 broke');
  }
  // Piece 0 was still running and was told to stop; none started after the failure; the failure came once it had.
  assert.is(watch.starts.length, 2);
  assert.is(watch.abortedAtEnd[0], true);
  assert.is(watch.running, 0, 'no piece is still in the encoder when the conversion fails');
});

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

split('when the recording is planned, then it is cut about every minute, then 40, 20 and 10 s before its end, with 1 s before and 0.5 s after each cut', ({ plan }) => {
  const rate = plan.format.sampleRate;
  // 8 kHz: MPEG 2.5 frames of 576 samples; a cut falls on a frame, within 0.072 s of its aim.
  const frameSeconds = 576 / rate;
  const pieces = piecesOf(plan);
  const cuts = pieces.map((p) => (p.boundaryFrame * 576) / rate);
  const aims = [0, 57.5, 115, 172.5, 230, 270, 290];
  assert.is(cuts.length, aims.length);
  cuts.forEach((cut, k) => assert.ok(Math.abs(cut - aims[k]!) <= frameSeconds, `cut ${k} at ${cut} s, aimed at ${aims[k]} s`));
  pieces.forEach((piece, k) => {
    if (k > 0) assert.is(piece.inputStart, (piece.boundaryFrame - Math.ceil(rate / 576)) * 576, `piece ${k} starts 1 s (whole frames) early`);
    const next = pieces[k + 1];
    assert.is(piece.inputEnd, next ? next.boundaryFrame * 576 + rate / 2 : 300 * rate, `piece ${k} ends 0.5 s after the next cut`);
  });
});

split('when the sink holds the first piece, then at most twice the threads of pieces are started ahead of the join', async (context) => {
  const watch = watched(context);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let calls = 0;
  const done = convertInPieces(context.plan, async () => (++calls === 1 ? gate : undefined), watch.encode, 2);
  for (let i = 0; i < 500 && !(watch.starts.length >= 4 && watch.running === 0); i++) await wait(10);
  await wait(100);
  assert.is(watch.starts.length, 4, 'two running and two finished waiting to be joined, no more');
  open();
  await done;
  assert.is(watch.starts.length, 7);
});

split('when the file is still arriving, then a piece starts only once its bytes are on disk, and the conversion ends with the file', async (context) => {
  const { format } = context.plan;
  const bytesThrough = (frames: number) => format.dataOffset + frames * format.frameBytes;
  const [first, second] = piecesOf(context.plan);
  const arriving = new FileArrival(context.file);
  const watch = watched(context);
  const done = convertInPieces(context.plan, () => undefined, watch.encode, 2, arriving);
  arriving.wrote(bytesThrough(first!.inputEnd) - 1);
  await wait(100);
  assert.equal(watch.starts, [], 'one byte short of the first piece');
  arriving.wrote(1);
  for (let i = 0; i < 100 && watch.starts.length === 0; i++) await wait(10);
  await wait(100);
  assert.equal(watch.starts, [first!.inputStart], 'the first piece, not the second');
  arriving.wrote(bytesThrough(second!.inputEnd) - bytesThrough(first!.inputEnd));
  for (let i = 0; i < 100 && watch.starts.length === 1; i++) await wait(10);
  assert.equal(watch.starts, [first!.inputStart, second!.inputStart]);
  arriving.wrote(format.dataOffset + format.dataBytes - bytesThrough(second!.inputEnd));
  arriving.ended();
  const summary = await done;
  assert.is(summary.input.frames, 300 * 8_000);
  assert.is(summary.input.truncated, false);
});

split('when the file ends short of its header, then the pieces past its end are dropped and the conversion keeps what arrived', async (context) => {
  const { format } = context.plan;
  const cutAt = format.dataOffset + 200 * 8_000 * format.frameBytes;
  const short = path.join(context.dir, 'short.wav');
  await writeFile(short, (await readFile(context.file)).subarray(0, cutAt));
  const arriving = new FileArrival(short);
  const watch = watched(context, undefined, short);
  const done = convertInPieces(context.plan, () => undefined, watch.encode, 2, arriving);
  arriving.wrote(cutAt);
  arriving.ended();
  const summary = await done;
  // Pieces cut at 0, 57.5, 115 and 172.5 s: the fourth reaches past 200 s and ends with the file; the fifth (230 s) is dropped.
  assert.is(watch.starts.length, 4);
  assert.is(summary.input.frames, 200 * 8_000);
  assert.is(summary.input.truncated, true);
  assert.is(summary.input.declaredDurationSeconds, 300);
});

split('when the upload stops half way, then the conversion fails with its error', async (context) => {
  const arriving = new FileArrival(context.file);
  const watch = watched(context);
  const done = convertInPieces(context.plan, () => undefined, watch.encode, 2, arriving);
  arriving.wrote(1000);
  arriving.failed(new Error('the client went away'));
  await done.then(
    () => assert.unreachable('the conversion succeeded'),
    (error: unknown) => assert.is((error as Error).message, 'the client went away'),
  );
  assert.equal(watch.starts, []);
});

split("when the sink fails, then the conversion fails with the sink's error and stops its pieces", async (context) => {
  const watch = watched(context);
  let calls = 0;
  try {
    await convertInPieces(
      context.plan,
      () => {
        if (++calls === 3) throw new Error('the database went away');
      },
      watch.encode,
      2,
    );
    assert.unreachable('the conversion succeeded');
  } catch (error) {
    assert.is((error as Error).message, 'the database went away');
  }
  assert.ok(watch.starts.length < 5, `${watch.starts.length} pieces started`);
  assert.ok(watch.abortedAtEnd.some((aborted) => aborted), 'a piece in flight saw the stop');
});

split('when a plan is short, block-coded, for lamejs or splitting is off, then it is not split', (context) => {
  assert.ok(canSplit(context.plan, 180));
  assert.not.ok(canSplit(context.plan, 0), 'off');
  assert.ok(canSplit(context.plan, 300), 'exactly the minimum');
  assert.not.ok(canSplit(context.plan, 301), 'shorter than the minimum');
  assert.not.ok(canSplit({ ...context.plan, options: { encoder: 'lamejs' } }, 180), 'lamejs');
  assert.not.ok(canSplit({ ...context.plan, format: { ...context.plan.format, frames: 100 * 8_000 } }, 60), 'under two pieces');
  const blocks = { codec: 'ima-adpcm', blockAlign: 256, framesPerBlock: 505 } as unknown as NonNullable<ConversionPlan['format']['blocks']>;
  assert.not.ok(canSplit({ ...context.plan, format: { ...context.plan.format, blocks } }, 180), 'block-coded');
});

split.run();
