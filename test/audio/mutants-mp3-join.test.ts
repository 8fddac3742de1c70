// The seams of mp3-join.ts on frames written by hand, without an encoder (docs/MUTATION.md): which main-data bytes of
// the next piece are copied where, across two slots, and the refusals of a seam that is not one. Frames here are 100
// bytes at offset 100·i with a 64-byte main-data slot at 36..99; the piece's bytes are numbered so that each copied
// byte shows where it came from. Then frames with real headers, for the seams that widen a frame (a higher bitrate,
// so more bytes at its end). test/audio/mp3-join.test.ts checks real encodes joined this way (about 30 s). At the
// end, the reading of the side information (`layer3Frames`): frames written by hand bit by bit from the standard's
// layout, and real LAME output, whose every frame's main data starts where the one before it ended.
import * as assert from 'uvu/assert';
import { createMp3Encoder } from 'wasm-media-encoders';
import { findSeam, joinedSegment, layer3Frames, mp3Piece, type Layer3Frame, type Mp3Piece } from '../../src/audio/mp3-join.js';
import { frameHeaderBytes, parseFrameHeader, type FrameHeaderFields } from '../../src/audio/mp3-frames.js';
import { musicLike } from '../fixtures/signals.js';
import { framedPiece, type FramedFrame } from '../support/framed-pieces.js';
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

// ---- widening: a seam where the next piece's main data does not fit as this piece leaves it ----

// Real headers now (test/support/framed-pieces.ts): 128 kbps frames of 417 bytes, a slot of 381 after 36 bytes of
// header and side information. A: frames 0..19 whose main data fills every slot, `unused` bytes left at each end.
const framedA = (unused = 0, last: Partial<FramedFrame> = {}) =>
  framedPiece(0, Array.from({ length: 20 }, (_, i) => ({ kbps: 128, begin: unused, used: 381, ...(i === 11 ? last : {}) })), () => 0xaa);
// B: frames 5..24, its bytes numbered; its frame 12 (index 7) reaches `need` bytes back.
const framedB = (need: number) =>
  framedPiece(5, Array.from({ length: 20 }, (_, i) => ({ kbps: 128, begin: i === 7 ? need : 0, used: 381 })), (at) => (at % 250) + 1);
const B_SLOT_11_END = 7 * 417; // where B's slot of frame 11 ends in its bytes

test('when the next piece reaches back further than this one leaves unused, then the frame before the seam is widened to the lowest bitrate that makes room', () => {
  // 105 bytes: 160 kbps (522 bytes) is the first bitrate above 128 with that much more.
  const segment = joinedSegment(framedA(), 0, 12, framedB(105));
  assert.is(segment.length, 12 * 417 + 105);
  const widened = parseFrameHeader(segment, 11 * 417)!;
  assert.equal([widened.bitrateKbps, widened.frameBytes, widened.padding, widened.hasCrc], [160, 522, false, false]);
  // The rest of the header, its side information and its main data as they were; B's bytes in the new end.
  const a = framedA();
  assert.equal([...segment.subarray(0, 11 * 417 + 2)], [...a.bytes.subarray(0, 11 * 417 + 2)]);
  assert.equal([...segment.subarray(11 * 417 + 3, 12 * 417)], [...a.bytes.subarray(11 * 417 + 3, 12 * 417)]);
  assert.equal([...segment.subarray(12 * 417)], [...framedB(105).bytes.subarray(B_SLOT_11_END - 105, B_SLOT_11_END)]);
  assert.equal(layer3Frames(segment).map((frame) => frame.bytes), [...Array(11).fill(417), 522]);

  // 106 bytes: 192 kbps (626 bytes, 209 more); the bytes B does not need stay zero.
  const wider = joinedSegment(framedA(), 0, 12, framedB(106));
  assert.is(parseFrameHeader(wider, 11 * 417)!.bitrateKbps, 192);
  assert.is(wider.length, 12 * 417 + 209);
  assert.ok(wider.subarray(12 * 417, 12 * 417 + 209 - 106).every((byte) => byte === 0));
  assert.equal([...wider.subarray(12 * 417 + 209 - 106)], [...framedB(106).bytes.subarray(B_SLOT_11_END - 106, B_SLOT_11_END)]);
});

test('when this piece leaves some bytes unused, then only what is missing is widened for, and the padding bit is kept', () => {
  // 30 unused + 105 new = 135; the copy covers the old unused end as well as the new bytes.
  const segment = joinedSegment(framedA(30), 0, 12, framedB(135));
  assert.is(parseFrameHeader(segment, 11 * 417)!.bitrateKbps, 160);
  assert.equal([...segment.subarray(12 * 417 - 30)], [...framedB(135).bytes.subarray(B_SLOT_11_END - 135, B_SLOT_11_END)]);
  assert.is(joinedSegment(framedA(30), 0, 12, framedB(30)).length, 12 * 417, 'what fits needs no widening');
  // A padded frame (418 bytes) becomes a padded 160 kbps frame (523).
  const padded = joinedSegment(framedA(0, { padding: true }), 0, 12, framedB(105));
  assert.equal([parseFrameHeader(padded, 11 * 417)!.frameBytes, parseFrameHeader(padded, 11 * 417)!.padding], [523, true]);
  assert.is(padded.length, 12 * 417 + 1 + 105);
});

test('when the frame before the seam is at the top bitrate or carries a CRC, then it is no seam, and findSeam looks further', () => {
  const top = framedA(0, { kbps: 320, used: 1044 - 36 });
  assert.throws(() => joinedSegment(top, 0, 12, framedB(1)), /^frame 12 is not a seam of these pieces$/);
  assert.throws(() => joinedSegment(framedA(0, { crc: true }), 0, 12, framedB(1)), /^frame 12 is not a seam of these pieces$/);
  // B reaches back 100 bytes at every frame: nothing fits as A is, and widening finds the first frame it can widen.
  const reaching = framedPiece(5, Array.from({ length: 20 }, () => ({ kbps: 128, begin: 100, used: 381 })), () => 1);
  assert.is(findSeam(framedA(), reaching, 8, 18), undefined);
  assert.is(findSeam(framedA(), reaching, 8, 18, true), 8);
  assert.is(findSeam(top, reaching, 12, 18, true), 13, 'frame 11 is at 320 kbps: 12 is no seam, 13 is');
  assert.is(findSeam(framedA(0, { crc: true }), reaching, 12, 18, true), 13);
  // Frames written without a real header cannot be widened either.
  assert.is(findSeam(a, piece(5, 20, () => 200, () => 64, () => 1), 8, 18, true), undefined);
});

// ---- layer3Frames: where each frame keeps its main data ----

/** Bits written most significant first; everything not written explicitly is 1, so a read off by a bit shows. */
function sideInfo(bytes: number, fields: Array<[value: number, bits: number] | number>): Uint8Array {
  const out = new Uint8Array(bytes).fill(0xff);
  let position = 0;
  for (const field of fields) {
    if (typeof field === 'number') {
      position += field;
      continue;
    }
    const [value, bits] = field;
    for (let i = 0; i < bits; i++, position++) {
      const bit = (value >> (bits - 1 - i)) & 1;
      out[position >> 3] = (out[position >> 3]! & ~(0x80 >> (position & 7))) | (bit << (7 - (position & 7)));
    }
  }
  assert.ok(position <= bytes * 8);
  return out;
}

interface HandFrame {
  header: FrameHeaderFields;
  size: number;
  crc: boolean;
  mainDataBegin: number;
  part23: number[];
}

/**
 * One frame: the header (its protection bit cleared when `crc`, then two CRC bytes of ones), the side information
 * as ISO 11172-3 and 13818-3 lay it out, then zeros. MPEG-1: main_data_begin (9 bits), private bits (5 mono, 3
 * stereo), scfsi (4 per channel), then per granule and channel 59 bits starting with part2_3_length (12). MPEG-2 and
 * 2.5: 8 bits, private bits (1 mono, 2 stereo), one granule of 63 bits per channel.
 */
function handFrame({ header, size, crc, mainDataBegin, part23 }: HandFrame): Uint8Array {
  const mpeg1 = header.version === 1;
  const mono = header.channelMode === 'mono';
  const fields: Array<[number, number] | number> = [[mainDataBegin, mpeg1 ? 9 : 8], mpeg1 ? (mono ? 5 : 3) + (mono ? 4 : 8) : mono ? 1 : 2];
  for (const length of part23) fields.push([length, 12], mpeg1 ? 47 : 51);
  const side = sideInfo(mpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17, fields);
  const frame = new Uint8Array(size);
  frame.set(frameHeaderBytes(header));
  if (crc) frame[1] = frame[1]! & 0xfe;
  frame.set(crc ? [0xff, 0xff, ...side] : side, 4);
  return frame;
}

const HAND_FRAMES: HandFrame[] = [
  { header: { version: 1, sampleRate: 44_100, bitrateKbps: 128, channelMode: 'joint-stereo', modeExtension: 2 }, size: 417, crc: false, mainDataBegin: 511, part23: [4095, 1, 2, 8] },
  { header: { version: 1, sampleRate: 44_100, bitrateKbps: 128, channelMode: 'mono', modeExtension: 0 }, size: 417, crc: true, mainDataBegin: 300, part23: [7, 4000] },
  { header: { version: 2, sampleRate: 22_050, bitrateKbps: 64, channelMode: 'stereo', modeExtension: 0 }, size: 208, crc: false, mainDataBegin: 255, part23: [4095, 4095] },
  { header: { version: 2.5, sampleRate: 8_000, bitrateKbps: 8, channelMode: 'mono', modeExtension: 0 }, size: 72, crc: true, mainDataBegin: 1, part23: [9] },
  { header: { version: 2, sampleRate: 16_000, bitrateKbps: 32, channelMode: 'mono', modeExtension: 0 }, size: 144, crc: false, mainDataBegin: 128, part23: [2048] },
];

test('when side information is read, then each frame`s slot, main_data_begin and main-data bytes are those written, in every version and mode, with and without CRC', () => {
  const stream = Buffer.concat(HAND_FRAMES.map(handFrame));
  let offset = 0;
  const expected = HAND_FRAMES.map(({ header, size, crc, mainDataBegin, part23 }) => {
    const side = header.version === 1 ? (header.channelMode === 'mono' ? 17 : 32) : header.channelMode === 'mono' ? 9 : 17;
    const frame = { offset, bytes: size, slotStart: offset + 4 + (crc ? 2 : 0) + side, mainDataBegin, mainDataBytes: Math.ceil(part23.reduce((a, b) => a + b) / 8) };
    offset += size;
    return frame;
  });
  assert.equal(expected.map((frame) => frame.mainDataBytes), [514, 501, 1024, 2, 256]);
  assert.equal(layer3Frames(new Uint8Array(stream)), expected);
  const piece = mp3Piece(new Uint8Array(stream), 7);
  assert.equal([piece.firstFrame, piece.frames, piece.bytes.length], [7, expected, stream.length]);
});

test('when the bytes end inside a frame or are no frame, then layer3Frames says where', () => {
  const stream = new Uint8Array(Buffer.concat(HAND_FRAMES.slice(0, 2).map(handFrame)));
  assert.throws(() => layer3Frames(stream.subarray(0, stream.length - 1)), (error: unknown) => (error as Error).message === `no whole Layer III frame at byte 417 of ${stream.length - 1}`);
  const junk = new Uint8Array(stream);
  junk[417] = 0;
  assert.throws(() => layer3Frames(junk), (error: unknown) => (error as Error).message === `no whole Layer III frame at byte 417 of ${stream.length}`);
  assert.equal(layer3Frames(new Uint8Array(0)), []);
});

test('when LAME encodes, then every frame`s main data starts exactly where the frame before left off, within the stream', async () => {
  // Measured on wasm LAME: CBR and VBR, MPEG-1 and -2, mono and stereo, never a gap or an overlap.
  const cases: Array<[number, 1 | 2, { bitrate: 128 | 64 } | { vbrQuality: number }]> = [
    [44_100, 2, { bitrate: 128 }],
    [22_050, 2, { bitrate: 64 }],
    [16_000, 1, { vbrQuality: 5 }],
  ];
  for (const [rate, channels, settings] of cases) {
    const encoder = await createMp3Encoder();
    encoder.configure({ sampleRate: rate, channels, ...settings });
    const encoded = Buffer.from(encoder.encode(musicLike(2, rate, channels)));
    const stream = new Uint8Array(Buffer.concat([encoded, Buffer.from(encoder.finalize())]));
    const frames = layer3Frames(stream);
    assert.ok(frames.length > 30);
    let slotsBefore = 0;
    let usedUpTo = 0;
    for (const [i, frame] of frames.entries()) {
      const where = `${rate} Hz ${channels} ch ${JSON.stringify(settings)}, frame ${i}`;
      assert.is(slotsBefore - frame.mainDataBegin, usedUpTo, `${where}: starts where the one before ended`);
      usedUpTo += frame.mainDataBytes;
      slotsBefore += frame.offset + frame.bytes - frame.slotStart;
      assert.ok(usedUpTo <= slotsBefore, `${where}: ends within its slot`);
      assert.ok(frame.mainDataBytes > 0, `${where}: holds main data`);
    }
    const last = frames.at(-1)!;
    assert.is(last.offset + last.bytes, stream.length);
  }
});

test.run();
