// A long recording converted in pieces on several threads at once (issue 15): cut as split-plan.ts plans, each piece
// encoded by a worker from a fresh encoder, the pieces joined at their seams (mp3-join.ts) in order as they arrive,
// with the same tags, hash and Info frame as a conversion on one thread (mp3-output.ts). A recording still being
// uploaded is converted as it arrives: each piece starts once its bytes are on disk.
import type { ArrivingFile } from './arriving-file.js';
import { mp3Piece, joinedSegment, type Mp3Piece } from './mp3-join.js';
import { Mp3Output, type ConversionPlan } from './mp3-output.js';
import { settledPlan, type ConversionSummary, type Mp3Sink } from './convert-wav.js';
import type { FrameRange } from './sample-chunks.js';
import { planPieces, seamBetween, type PieceRange } from './split-plan.js';

// Seconds of audio per piece. Shorter pieces let another upload's conversion take the next free thread sooner (a
// piece takes 2-3 s on one core); each also costs 1.5 s of pre- and post-roll, 2.5 % at this length.
export const PIECE_SECONDS = 60;
// The last pieces are shorter and shorter. What remains to encode once an upload's last byte is in is the last piece,
// and the pieces before it whose bytes came just before: short ones take a few tenths of a second each on the free
// threads. They also leave one thread busy for less time while the other has nothing left.
export const LAST_PIECES_SECONDS = [40, 20, 10];

export type PieceEncoder = (range: FrameRange, signal: AbortSignal) => Promise<Uint8Array>;

/** Whether a planned conversion can be split: sample formats only (block-coded audio is read from its start). */
export function canSplit(plan: ConversionPlan, minSeconds: number): boolean {
  const seconds = plan.format.frames / plan.format.sampleRate;
  return minSeconds > 0 && plan.options.encoder === 'wasm' && !plan.format.blocks && seconds >= Math.max(minSeconds, 2 * PIECE_SECONDS);
}

/** Where the pieces of a planned conversion start and end: about a minute each, then the short last ones. */
export function piecesOf({ format, settings }: ConversionPlan): PieceRange[] {
  const rate = format.sampleRate;
  const lastOnes = LAST_PIECES_SECONDS.reduce((sum, seconds) => sum + seconds, 0) * rate;
  const tailStart = format.frames - lastOnes;
  const count = Math.max(1, Math.round(tailStart / rate / PIECE_SECONDS));
  const starts = Array.from({ length: count - 1 }, (_, k) => ((k + 1) * tailStart) / count);
  let start = tailStart;
  for (const seconds of LAST_PIECES_SECONDS) {
    starts.push(start);
    start += seconds * rate;
  }
  return planPieces(format.frames, rate, settings.outputSampleRate, starts);
}

/**
 * Encodes the planned conversion in pieces, at most `concurrency` at a time, and hands the joined stream to `sink` in
 * order. A piece starts when another ends, so that a conversion queued meanwhile gets the thread first; at most
 * twice `concurrency` finished pieces wait for their turn to be joined.
 *
 * With `arriving`, the file may still be arriving: a piece starts once its bytes are on disk. If the file ends short of
 * what its header declared, the pieces past its end are dropped: a piece is encoded only if the one before it arrived
 * whole, and the last one kept ends where the file does.
 */
export async function convertInPieces(
  plan: ConversionPlan,
  sink: Mp3Sink,
  encode: PieceEncoder,
  concurrency: number,
  arriving?: ArrivingFile,
): Promise<ConversionSummary> {
  const { format } = plan;
  const ranges = piecesOf(plan);
  const bytesThrough = (frames: number) => format.dataOffset + frames * format.frameBytes;
  const stop = new AbortController();
  // Pieces started and not yet joined: a joined piece is let go, so memory does not grow with the recording.
  const pieces = new Map<number, Promise<Mp3Piece | undefined>>();
  let started = 0;
  let running = 0;
  let joined = 0;
  // The first piece to fail on its own (not because it was told to stop): what the conversion fails with, whichever
  // piece the join was waiting for.
  let failure: unknown;
  const startMore = () => {
    while (started < ranges.length && running < concurrency && started - joined < 2 * concurrency && !stop.signal.aborted) {
      const k = started++;
      const range = ranges[k]!;
      running++;
      const piece = (async () => {
        if (arriving) {
          const onDisk = await arriving.available(bytesThrough(range.inputEnd));
          if (k > 0 && onDisk < bytesThrough(ranges[k - 1]!.inputEnd)) return undefined;
          if (stop.signal.aborted) throw stop.signal.reason;
        }
        return mp3Piece(await encode({ from: range.inputStart, to: range.inputEnd }, stop.signal), range.firstFrame);
      })();
      piece.then(
        () => {
          running--;
          startMore();
        },
        (error: unknown) => {
          running--;
          if (stop.signal.aborted) return;
          failure = error;
          stop.abort(); // the conversion fails with this piece: no more start, the others are told
        },
      );
      pieces.set(k, piece);
    }
  };
  const piece = (k: number) => {
    const pending = pieces.get(k);
    if (!pending) throw new Error(`piece ${k} of ${ranges.length} was never started`);
    pieces.delete(k);
    return pending;
  };

  const output = new Mp3Output(plan, sink);
  try {
    startMore();
    await output.begin();
    let before = (await piece(0))!;
    let from = 0;
    for (let k = 1; k < ranges.length; k++) {
      const after = await piece(k);
      if (!after) break; // the file ended in the piece before
      const seam = seamBetween(before, after, ranges[k]!);
      await output.audio(joinedSegment(before, from, seam, after));
      joined = k;
      startMore();
      before = after;
      from = seam;
    }
    await output.audio(joinedSegment(before, from, undefined));
    return output.end(arriving ? await settledPlan(plan, arriving) : plan);
  } catch (error) {
    stop.abort();
    // The other pieces' failures are this one's consequences.
    await Promise.allSettled(pieces.values());
    throw failure ?? error;
  }
}
