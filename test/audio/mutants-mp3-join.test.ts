// The seams of mp3-join.ts on frames written by hand, without an encoder (docs/MUTATION.md): which main-data bytes of
// the next piece are copied where, across two slots, and the refusals of a seam that is not one. Frames here are 100
// bytes at offset 100·i with a 64-byte main-data slot at 36..99; the piece's bytes are numbered so that each copied
// byte shows where it came from. test/audio/mp3-join.test.ts checks real encodes joined this way (about 30 s).
import * as assert from 'uvu/assert';
import { findSeam, joinedSegment, type Layer3Frame, type Mp3Piece } from '../../src/audio/mp3-join.js';
import { test } from '../support/suite.js';

/** Frames whose main data starts `begin(i)` bytes back and takes `used(i)` bytes, i its index in the piece. */
function piece(first: number, count: number, begin: (i: number) => number, used: (i: number) => number, bytes: (at: number) => number): Mp3Piece {
  const frames: Layer3Frame[] = Array.from({ length: count }, (_, i) => ({
    offset: i * 100,
    bytes: 100,
    slotStart: i * 100 + 36,
    mainDataBegin: begin(i),
    mainDataBytes: used(i),
  }));
  return { bytes: Uint8Array.from({ length: count * 100 }, (_, at) => bytes(at)), frames, firstFrame: first };
}

// A: frames 0..19, all 0xaa; its frame 11 (and every other) starts its main data 100 bytes back and takes 20, so 144
// main-data bytes are unused before each frame: all 64 of the previous slot and the last 80 of the one before.
const a = piece(0, 20, () => 100, () => 20, () => 0xaa);
// B: frames 5..24, its bytes numbered (at % 250 + 1); its frame 12 (index 7) reaches 100 bytes back.
const b = piece(5, 20, (i) => (i === 7 ? 100 : 0), () => 64, (at) => (at % 250) + 1);

test('when a seam needs main data from before it, then the next piece`s last bytes before it fill the unused end of this one, across two slots', () => {
  const segment = joinedSegment(a, 0, 12, b);
  assert.is(segment.length, 1200);
  const expected = new Uint8Array(1200).fill(0xaa);
  // B's slot of frame 11 (its index 6, bytes 636..699) into A's slot of frame 11 (1136..1199);
  expected.set(b.bytes.subarray(636, 700), 1136);
  // and the last 36 bytes of B's slot of frame 10 (564..599) into the end of A's slot of frame 10 (1064..1099).
  expected.set(b.bytes.subarray(564, 600), 1064);
  assert.equal([...segment], [...expected]);
});

test('when the segment starts later, then its bytes are placed relative to its own start', () => {
  const segment = joinedSegment(a, 3, 12, b);
  assert.is(segment.length, 900);
  assert.equal([...segment.subarray(836, 900)], [...b.bytes.subarray(636, 700)]);
  assert.equal([...segment.subarray(764, 800)], [...b.bytes.subarray(564, 600)]);
  assert.ok(segment.subarray(0, 764).every((byte) => byte === 0xaa));
  assert.ok(segment.subarray(800, 836).every((byte) => byte === 0xaa));
});

test('when a seam needs no main data from before it, then the segment is this piece`s frames as they are', () => {
  const plain = piece(5, 20, () => 0, () => 64, (at) => (at % 250) + 1);
  const segment = joinedSegment(a, 2, 12, plain);
  assert.is(segment.length, 1000);
  assert.ok(segment.every((byte) => byte === 0xaa));
});

test('when the last piece is given, then it runs from its frame to its end', () => {
  assert.equal([...joinedSegment(b, 12, undefined)], [...b.bytes.subarray(700)]);
  assert.equal([...joinedSegment(b, 12, 15)], [...b.bytes.subarray(700)], 'no next piece: nothing to cut at');
  assert.equal([...joinedSegment(b, 12, undefined, a)], [...b.bytes.subarray(700)], 'no seam: nothing to cut at');
});

test('when the main data would reach back before the segment, or past what this piece leaves unused, then it is refused', () => {
  // From frame 11 on, the copy reaches into frame 10.
  assert.throws(() => joinedSegment(a, 11, 12, b), /^the main data of frame 12 reaches back before frame 11$/);
  const greedy = piece(5, 20, (i) => (i === 7 ? 145 : 0), () => 64, () => 1);
  assert.throws(() => joinedSegment(a, 0, 12, greedy), /^frame 12 is not a seam of these pieces$/);
  // 144 unused bytes: a next frame that needs exactly that many fits.
  const exact = piece(5, 20, (i) => (i === 7 ? 144 : 0), () => 64, () => 1);
  assert.is(joinedSegment(a, 0, 12, exact).length, 1200);
  assert.throws(() => joinedSegment(a, 20, 22, b), /^frame 20 is not in the piece that starts at frame 0$/);
  assert.throws(() => joinedSegment(a, 0, 20, b), /^frame 20 is not in the piece that starts at frame 0$/);
});

test('when a seam is sought, then it is the first frame from `from` where this piece leaves enough unused, within both pieces', () => {
  // A leaves 144 bytes before each frame; B's frames reach back 200 bytes except at the given frame.
  const needing = (fitsAt: number, reach = 144, elsewhere = 200) =>
    piece(5, 20, (i) => (i + 5 === fitsAt ? reach : elsewhere), () => 64, () => 1);
  assert.is(findSeam(a, needing(9), 8, 18), 9);
  assert.is(findSeam(a, needing(8), 8, 18), 8);
  assert.is(findSeam(a, needing(17), 8, 18), 17);
  assert.is(findSeam(a, needing(18), 8, 18), undefined);
  assert.is(findSeam(a, needing(9, 145), 8, 18), undefined);
  // Not before B's first frame, nor at A's first (nothing before it to leave room).
  assert.is(findSeam(a, needing(5), 0, 18), 5);
  const both = piece(0, 20, (i) => (i === 0 ? 0 : 200), () => 64, () => 1);
  assert.is(findSeam(a, both, 0, 18), undefined);
  // Past the end of either piece: none. A's end (its frame 20 does not exist) is no seam, however well B fits there.
  assert.is(findSeam(a, needing(21), 8, 30), undefined);
  assert.is(findSeam(a, needing(20), 8, 30), undefined);
  // B (frames 5..14) ends first: none, rather than reading past B's frames.
  const short = piece(5, 10, () => 200, () => 64, () => 1);
  assert.is(findSeam(a, short, 8, 18), undefined);
  // MPEG-1 allows 511 bytes back, so a frame A leaves 600 unused before is capped there.
  const roomy = piece(0, 20, () => 600, () => 20, () => 0);
  assert.is(findSeam(roomy, needing(9, 511, 600), 8, 18), 9);
  assert.is(findSeam(roomy, needing(9, 512, 600), 8, 18), undefined);
});

test.run();
