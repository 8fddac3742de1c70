// The coordination of a split conversion (src/audio/split-conversion.ts), with pieces encoded in this thread: how
// many run at once, the order they start in, and what happens when a piece or the sink fails.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { encodeWavPiece, planConversionOf } from '../../src/audio/convert-wav.js';
import type { ConversionPlan } from '../../src/audio/mp3-output.js';
import { canSplit, convertInPieces, type PieceEncoder } from '../../src/audio/split-conversion.js';
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
  abortedAtEnd: boolean[];
}

/** Encodes pieces for real, noting when each starts, how many run at once, and whether it was told to stop. */
function watched(context: Context, fail?: { piece: number; error: Error }): Watched {
  const watch: Watched = { encode: async () => new Uint8Array(), starts: [], maxRunning: 0, abortedAtEnd: [] };
  let running = 0;
  watch.encode = async (range, signal) => {
    const index = watch.starts.length;
    watch.starts.push(range.from);
    watch.maxRunning = Math.max(watch.maxRunning, ++running);
    try {
      // The first piece of each pair starts late, so that a failing second one fails while the first still runs.
      await new Promise((resolve) => setTimeout(resolve, 50 * ((index + 1) % 2)));
      if (fail && fail.piece === index) throw fail.error;
      // As the pool's tasks do: a piece told to stop before it is done fails with an AbortError.
      if (signal.aborted) throw new DOMException('stopped', 'AbortError');
      return await encodeWavPiece(context.file, context.plan, range, context.wasm);
    } finally {
      running--;
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
  // Piece 0 was still running and was told to stop; none started after the failure.
  assert.is(watch.starts.length, 2);
  assert.is(watch.abortedAtEnd[0], true);
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
  assert.not.ok(canSplit(context.plan, 301), 'shorter than the minimum');
  assert.not.ok(canSplit({ ...context.plan, options: { encoder: 'lamejs' } }, 180), 'lamejs');
  assert.not.ok(canSplit({ ...context.plan, format: { ...context.plan.format, frames: 100 * 8_000 } }, 60), 'under two pieces');
  const blocks = { codec: 'ima-adpcm', blockAlign: 256, framesPerBlock: 505 } as unknown as NonNullable<ConversionPlan['format']['blocks']>;
  assert.not.ok(canSplit({ ...context.plan, format: { ...context.plan.format, blocks } }, 180), 'block-coded');
});

split.run();
