// Where split-plan.ts cuts a recording and where it joins the pieces, with plain calls and no encoder (docs/MUTATION.md):
// the frame grid with and without resampling, the pre-roll of at least a second and the post-roll of half of one, the
// 576-sample frames below 32 kHz, pieces started at given samples, and seams chosen short of a piece's flush, on
// frames written by hand. test/audio/mp3-join.test.ts checks real encodes joined this way (about 30 s).
import * as assert from 'uvu/assert';
import type { Layer3Frame, Mp3Piece } from '../../src/audio/mp3-join.js';
import { joinPieces, planPieces, POST_ROLL_SECONDS, PRE_ROLL_SECONDS, seamBetween, type PieceRange } from '../../src/audio/split-plan.js';
import { framedPiece } from '../support/framed-pieces.js';
import { test } from '../support/suite.js';

test('when a 44.1 kHz recording is cut in two without resampling, then the pieces meet at its middle frame with 39 frames of pre-roll and 0.5 s of post-roll', () => {
  assert.is(PRE_ROLL_SECONDS, 1);
  assert.is(POST_ROLL_SECONDS, 0.5);
  const samples = 26_460_000; // 10 minutes: 22,968.75 frames of 1152
  assert.equal(planPieces(samples, 44_100, 44_100, 2), [
    { firstFrame: 0, boundaryFrame: 0, inputStart: 0, inputEnd: 11_484 * 1152 + 22_050 },
    // 39 frames (1.019 s) is the least whole number of frames that is 1 s or more.
    { firstFrame: 11_484 - 39, boundaryFrame: 11_484, inputStart: (11_484 - 39) * 1152, inputEnd: samples },
  ]);
});

test('when a recording is cut in three, then each boundary is its share of the whole frames, rounded', () => {
  const samples = 1152 * 1000 + 17;
  const ranges = planPieces(samples, 44_100, 44_100, 3);
  assert.equal(
    ranges.map((range) => range.boundaryFrame),
    [0, 333, 667],
  );
  assert.equal(
    ranges.map((range) => range.inputEnd),
    [333 * 1152 + 22_050, 667 * 1152 + 22_050, samples],
  );
  assert.equal(
    ranges.map((range) => range.firstFrame),
    [0, 333 - 39, 667 - 39],
  );
});

test('when 48 kHz is encoded at 44.1 kHz, then boundaries fall on every 49th frame, where a frame starts on a whole input sample', () => {
  const samples = 48_000 * 600;
  const ranges = planPieces(samples, 48_000, 44_100, 4);
  // 49 frames of 1152 output samples are 61,440 input samples exactly; no fewer frames are a whole number of them.
  for (const range of ranges) {
    assert.is(range.boundaryFrame % 49, 0, `boundary ${range.boundaryFrame}`);
    assert.is(range.firstFrame % 49, 0, `first frame ${range.firstFrame}`);
    assert.ok(Number.isInteger(range.inputStart), `input start ${range.inputStart}`);
  }
  const [, second] = ranges as [PieceRange, PieceRange];
  // 22,968 whole frames in all; a quarter of them is 5,742, nearest on the grid 5,733 (117 · 49).
  assert.is(second.boundaryFrame, 5733);
  // Pre-roll: the least multiple of 49 frames that is at least 1 s at the output rate (39 frames -> 49).
  assert.is(second.boundaryFrame - second.firstFrame, 49);
  assert.is(second.inputStart, (5733 - 49) * (61_440 / 49));
  assert.is(ranges[0]!.inputEnd, 5733 * (61_440 / 49) + 24_000);
});

test('when the output rate is under 32 kHz, then frames are 576 samples; at 32 kHz they are 1152', () => {
  const low = planPieces(22_050 * 60, 22_050, 22_050, 2);
  // 2,296 frames of 576; pre-roll 39 frames of 576 (1.019 s).
  assert.equal(low[1], { firstFrame: 1148 - 39, boundaryFrame: 1148, inputStart: (1148 - 39) * 576, inputEnd: 22_050 * 60 });
  assert.is(low[0]!.inputEnd, 1148 * 576 + 11_025);
  const edge = planPieces(32_000 * 60, 32_000, 32_000, 2);
  // 1,666 frames of 1152; pre-roll 28 frames of 1152 (1.008 s).
  assert.equal(edge[1], { firstFrame: 833 - 28, boundaryFrame: 833, inputStart: (833 - 28) * 1152, inputEnd: 32_000 * 60 });
});

test('when pieces start at given samples, then each starts at the nearest frame, the first at 0, and pre-roll stops at the start', () => {
  const samples = 44_100 * 60;
  const ranges = planPieces(samples, 44_100, 44_100, [1152 * 30 + 500, 1152 * 500 + 700]);
  assert.equal(
    ranges.map((range) => [range.firstFrame, range.boundaryFrame]),
    [
      [0, 0],
      [0, 30], // 30 frames in: its pre-roll would start before the recording
      [501 - 39, 501], // 500.6 frames: rounded up
    ],
  );
  assert.equal(
    ranges.map((range) => range.inputEnd),
    [30 * 1152 + 22_050, 501 * 1152 + 22_050, samples],
  );
});

test('when a piece starts less than its post-roll before the end, then the piece before it ends at the end, not past it', () => {
  const samples = 44_100 * 10;
  const ranges = planPieces(samples, 44_100, 44_100, [samples - 1152]);
  assert.is(ranges[0]!.inputEnd, samples);
  assert.is(ranges[1]!.inputEnd, samples);
});

/**
 * A piece of `count` frames written by hand, 100 bytes each with a 64-byte main-data slot, from serial frame `first`:
 * every frame fills its slot (nothing left unused) and its main data starts `begins(serial)` bytes back.
 */
function piece(first: number, count: number, begins: (serial: number) => number, fill: number): Mp3Piece {
  const frames: Layer3Frame[] = Array.from({ length: count }, (_, i) => ({
    offset: i * 100,
    bytes: 100,
    slotStart: i * 100 + 36,
    mainDataBegin: begins(first + i),
    mainDataBytes: 64 - 8 + begins(first + i + 1),
  }));
  return { bytes: new Uint8Array(count * 100).fill(fill), frames, firstFrame: first };
}

test('when a seam is sought, then it is the first frame from the boundary where the main data fits, and never in the last 4 frames', () => {
  // A: frames 0..29, each leaves 8 bytes unused (a slot of 64, 56 + what the next frame reaches back). B: frames 5..40.
  const a = piece(0, 30, () => 0, 0xaa);
  const rangeFrom = (boundaryFrame: number): PieceRange => ({ firstFrame: 5, boundaryFrame, inputStart: 0, inputEnd: 0 });
  const bNeeding = (fitsAt: number) => piece(5, 36, (serial) => (serial === fitsAt ? 8 : 100), 0xbb);
  assert.is(seamBetween(a, bNeeding(15), rangeFrom(12)), 15);
  assert.is(seamBetween(a, bNeeding(12), rangeFrom(12)), 12);
  // A's last 4 frames (26..29) are shaped by its encoder's flush: 25 is the last seam allowed.
  assert.is(seamBetween(a, bNeeding(25), rangeFrom(12)), 25);
  assert.throws(() => seamBetween(a, bNeeding(26), rangeFrom(12)), /^no seam after frame 12 within the overlap of two pieces$/);
  // Before the boundary does not count.
  assert.throws(() => seamBetween(a, bNeeding(11), rangeFrom(12)), /^no seam after frame 12 within the overlap of two pieces$/);
});

test('when no frame of the overlap fits as the pieces are, then the seam is the first where the frame before it can be widened', () => {
  // Real headers (test/support/framed-pieces.ts): A's 128 kbps frames fill their slots, leaving nothing unused.
  const frames = (count: number, kbps: number, begin: (serial: number) => number, first: number) =>
    Array.from({ length: count }, (_, i) => ({ kbps, begin: begin(first + i), used: kbps === 320 ? 1008 : 381 }));
  const a = framedPiece(0, frames(30, 128, () => 0, 0), () => 0xaa);
  const rangeFrom = (boundaryFrame: number): PieceRange => ({ firstFrame: 5, boundaryFrame, inputStart: 0, inputEnd: 0 });
  const b = (fitsAt?: number) => framedPiece(5, frames(36, 128, (serial) => (serial === fitsAt ? 0 : 100), 5), () => 0xbb);
  assert.is(seamBetween(a, b(), rangeFrom(12)), 12);
  // A frame that fits as it is comes first, even after one that could be widened.
  assert.is(seamBetween(a, b(20), rangeFrom(12)), 20);
  assert.is(seamBetween(a, b(26), rangeFrom(12)), 12, 'past the flush frames a fitting frame does not count');
  // At 320 kbps no frame can be widened.
  const top = framedPiece(0, frames(30, 320, () => 0, 0), () => 0xaa);
  assert.throws(() => seamBetween(top, b(), rangeFrom(12)), /^no seam after frame 12 within the overlap of two pieces$/);
});

test('when pieces are joined, then each gives its frames from the seam before it to the seam after it', () => {
  const a = piece(0, 30, () => 0, 0xaa);
  const b = piece(5, 36, () => 0, 0xbb);
  const c = piece(25, 20, () => 0, 0xcc);
  const ranges: PieceRange[] = [
    { firstFrame: 0, boundaryFrame: 0, inputStart: 0, inputEnd: 0 },
    { firstFrame: 5, boundaryFrame: 12, inputStart: 0, inputEnd: 0 },
    { firstFrame: 25, boundaryFrame: 30, inputStart: 0, inputEnd: 0 },
  ];
  const { segments, seams } = joinPieces([a, b, c], ranges);
  assert.equal(seams, [12, 30]);
  assert.equal(
    segments.map((segment) => segment.length),
    [12 * 100, (30 - 12) * 100, 20 * 100 - 5 * 100],
  );
  assert.ok(segments[0]!.every((byte) => byte === 0xaa));
  assert.ok(segments[1]!.every((byte) => byte === 0xbb));
  assert.ok(segments[2]!.every((byte) => byte === 0xcc));
  const alone = joinPieces([a], ranges.slice(0, 1));
  assert.equal(alone.seams, []);
  assert.is(alone.segments.length, 1);
  assert.is(alone.segments[0]!.length, 3000);
});

test.run();
