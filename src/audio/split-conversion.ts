// A long recording converted in pieces on several threads at once (issue 15): cut as split-plan.ts plans, each piece
// encoded by a worker from a fresh encoder, the pieces joined at their seams (mp3-join.ts) in order as they arrive,
// with the same tags, hash and Info frame as a conversion on one thread (mp3-output.ts).
import { mp3Piece, joinedSegment, type Mp3Piece } from './mp3-join.js';
import { Mp3Output, type ConversionPlan } from './mp3-output.js';
import type { ConversionSummary, Mp3Sink } from './convert-wav.js';
import type { FrameRange } from './sample-chunks.js';
import { planPieces, seamBetween } from './split-plan.js';

// Seconds of audio per piece. Shorter pieces let another upload's conversion take the next free thread sooner (a
// piece takes 2-3 s on one core); each also costs 3 s of pre- and post-roll, 5 % at this length.
export const PIECE_SECONDS = 60;

export type PieceEncoder = (range: FrameRange, signal: AbortSignal) => Promise<Uint8Array>;

/** Whether a planned conversion can be split: sample formats only (block-coded audio is read from its start). */
export function canSplit(plan: ConversionPlan, minSeconds: number): boolean {
  const seconds = plan.format.frames / plan.format.sampleRate;
  return minSeconds > 0 && plan.options.encoder === 'wasm' && !plan.format.blocks && seconds >= Math.max(minSeconds, 2 * PIECE_SECONDS);
}

/**
 * Encodes the planned conversion in pieces, at most `concurrency` at a time, and hands the joined stream to `sink` in
 * order. A piece starts when another ends, so that a conversion queued meanwhile gets the thread first; at most
 * twice `concurrency` finished pieces wait for their turn to be joined.
 */
export async function convertInPieces(plan: ConversionPlan, sink: Mp3Sink, encode: PieceEncoder, concurrency: number): Promise<ConversionSummary> {
  const { format, settings } = plan;
  const count = Math.max(2, Math.round(format.frames / format.sampleRate / PIECE_SECONDS));
  const ranges = planPieces(format.frames, format.sampleRate, settings.outputSampleRate, count);
  const stop = new AbortController();
  const pieces: Promise<Mp3Piece>[] = [];
  let running = 0;
  let joined = 0;
  // The first piece to fail on its own (not because it was told to stop): what the conversion fails with, whichever
  // piece the join was waiting for.
  let failure: unknown;
  const startMore = () => {
    while (pieces.length < ranges.length && running < concurrency && pieces.length - joined < 2 * concurrency && !stop.signal.aborted) {
      const range = ranges[pieces.length]!;
      running++;
      const piece = encode({ from: range.inputStart, to: range.inputEnd }, stop.signal).then((bytes) => mp3Piece(bytes, range.firstFrame));
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
      pieces.push(piece);
    }
  };
  const piece = (k: number) => {
    if (!pieces[k]) throw new Error(`piece ${k} of ${ranges.length} was never started`);
    return pieces[k]!;
  };

  const output = new Mp3Output(plan, sink);
  try {
    startMore();
    await output.begin();
    let before = await piece(0);
    let from = 0;
    for (let k = 1; k < ranges.length; k++) {
      const after = await piece(k);
      const seam = seamBetween(before, after, ranges[k]!);
      await output.audio(joinedSegment(before, from, seam, after));
      joined = k;
      startMore();
      before = after;
      from = seam;
    }
    await output.audio(joinedSegment(before, from, undefined));
    return output.end();
  } catch (error) {
    stop.abort();
    // The other pieces' failures are this one's consequences.
    await Promise.allSettled(pieces);
    throw failure ?? error;
  }
}
