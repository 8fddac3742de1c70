// Where a recording is cut to be encoded in pieces on several threads, and how the pieces' output becomes one stream
// (the seams: mp3-join.ts). The conversion pool splits long recordings when threads are idle (conversion-pool.ts).
import { findSeam, joinedSegment, type Mp3Piece } from './mp3-join.js';

export interface PieceRange {
  /** Serial index of the first frame the piece's encoder produces. */
  firstFrame: number;
  /** Serial index of the frame from which on it may take over from the piece before it (its boundary). */
  boundaryFrame: number;
  /** Input samples (per channel) the piece's encoder is given: [inputStart, inputEnd). */
  inputStart: number;
  inputEnd: number;
}

// Audio before a piece's boundary for LAME's psychoacoustic model, filter bank, resampler and bit reservoir to
// settle, and after it for the seam to find a frame where the reservoir allows it as the pieces are (within 15
// frames in 415 of 432 seams measured; otherwise the frame before the seam is widened). Issue 15 began with 2 s and
// 1 s; half of each measured as well on every signal and setting tried (docs/SPLIT-ENCODE.md), at half the cost.
export const PRE_ROLL_SECONDS = 1;
export const POST_ROLL_SECONDS = 0.5;
// Frames near a piece's end are shaped by its encoder's flush: seams stay this many frames short of it.
const FLUSH_FRAMES = 4;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Cuts `inputSamples` samples at `inputRate`, encoded at `outputRate`, into `pieces` ranges of about equal length, or
 * into pieces starting near the given input samples (each after the first). Each boundary is a frame whose first
 * output sample falls on a whole input sample, so a piece's frames cover the same samples as a serial encode's frames
 * of the same index (with resampling that is every `grid`-th frame).
 */
export function planPieces(inputSamples: number, inputRate: number, outputRate: number, pieces: number | readonly number[]): PieceRange[] {
  const samplesPerFrame = outputRate >= 32_000 ? 1152 : 576;
  const grid = outputRate / gcd(outputRate, samplesPerFrame * inputRate);
  const inputPerFrame = (samplesPerFrame * inputRate) / outputRate;
  const totalFrames = Math.floor(inputSamples / inputPerFrame);
  const preFrames = Math.ceil((PRE_ROLL_SECONDS * outputRate) / samplesPerFrame / grid) * grid;
  const postSamples = Math.ceil(POST_ROLL_SECONDS * inputRate);
  const onGrid = (frame: number) => Math.round(frame / grid) * grid;
  const boundaries =
    typeof pieces === 'number'
      ? Array.from({ length: pieces }, (_, k) => onGrid((k * totalFrames) / pieces))
      : [0, ...pieces.map((start) => onGrid(start / inputPerFrame))];
  return boundaries.map((boundaryFrame, k) => {
    const firstFrame = Math.max(0, boundaryFrame - preFrames);
    const next = boundaries[k + 1];
    return {
      firstFrame,
      boundaryFrame,
      inputStart: firstFrame * inputPerFrame,
      inputEnd: next === undefined ? inputSamples : Math.min(inputSamples, next * inputPerFrame + postSamples),
    };
  });
}

/**
 * Where `after` (encoded for `afterRange`) takes over from `before`: the first frame of their overlap where it fits
 * as the pieces are, else the first where joinedSegment can widen the frame before it. Throws if neither comes.
 */
export function seamBetween(before: Mp3Piece, after: Mp3Piece, afterRange: PieceRange): number {
  const until = before.firstFrame + before.frames.length - FLUSH_FRAMES;
  const seam = findSeam(before, after, afterRange.boundaryFrame, until) ?? findSeam(before, after, afterRange.boundaryFrame, until, true);
  if (seam === undefined) throw new Error(`no seam after frame ${afterRange.boundaryFrame} within the overlap of two pieces`);
  return seam;
}

/** The joined stream's bytes, a segment per piece, and the seams chosen. */
export function joinPieces(encoded: Mp3Piece[], ranges: PieceRange[]): { segments: Uint8Array[]; seams: number[] } {
  const seams: number[] = [];
  for (let k = 1; k < encoded.length; k++) seams.push(seamBetween(encoded[k - 1]!, encoded[k]!, ranges[k]!));
  const segments = encoded.map((piece, k) => joinedSegment(piece, k === 0 ? 0 : seams[k - 1]!, seams[k], encoded[k + 1]));
  return { segments, seams };
}
