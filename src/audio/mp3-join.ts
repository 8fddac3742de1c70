/**
 * Joining MP3 streams encoded in pieces into the one stream a serial encode would be, seamlessly (issue 15).
 *
 * Each piece is encoded from a start on the serial encode's frame grid (a multiple of the frame's samples, so its
 * frames cover the same samples as the serial encode's frames of the same index), with audio before that start for
 * LAME's psychoacoustic model, filter bank and resampler to settle, and audio after its end. A Layer III frame's main
 * data may start in the frames before it (the bit reservoir: `main_data_begin` bytes back, counting only main-data
 * bytes, not headers or side information), so a piece cannot simply follow the frames of the one before. Here the
 * seam between piece A and piece B is put at the first frame j of their overlap where the main-data bytes A leaves
 * unused before its frame j (after the end of frame j-1's main data) are at least B's `main_data_begin` of frame j:
 * A's frames up to j-1 are kept, the last `main_data_begin` main-data bytes before frame j are overwritten with B's
 * bytes at the same place, and B's frames follow from j on. Every frame then finds its main data where its side
 * information says, and the frames around the seam decode as B's would.
 *
 * Such a frame need not come: in VBR the two encoders make the same choices frame after frame with reservoirs a
 * constant few bytes apart, and if B's is the fuller one no frame of a second's overlap qualifies (seen in one seam
 * out of a few dozen). Any frame can still be the seam: A's frame j-1 is re-signalled at a higher bitrate, the
 * same header, side information and main data in a longer frame, whose extra bytes at its end take B's. A VBR stream
 * changes bitrate frame by frame anyway; in CBR, where the reservoirs meet soon, it is a last resort.
 */
import { frameBytes, layer3BitratesKbps, parseFrameHeader, type MpegVersion } from './mp3-frames.js';

/** Where one Layer III frame of a stream keeps its main data. */
export interface Layer3Frame {
  /** Offset of the frame's header in its stream. */
  offset: number;
  /** The whole frame, header included. */
  bytes: number;
  /** Offset in the stream where the frame's main-data slot (after header, CRC and side information) starts. */
  slotStart: number;
  /** Main-data bytes before this frame's slot where its own main data starts. */
  mainDataBegin: number;
  /** Main-data bytes its granules take (their part2_3_length, rounded up to whole bytes). */
  mainDataBytes: number;
}

/** An encoder's raw output for one piece: frames only, no tags; `firstFrame` is the serial index of its frame 0. */
export interface Mp3Piece {
  bytes: Uint8Array;
  frames: Layer3Frame[];
  firstFrame: number;
}

// The furthest back main_data_begin can point: 9 bits in MPEG-1, 8 in MPEG-2 and 2.5.
const MAX_MAIN_DATA_BEGIN: Record<MpegVersion, number> = { 1: 511, 2: 255, 2.5: 255 };

/** Reads `count` bits (≤ 24) at bit `position` of `bytes`, most significant first. */
function bitsAt(bytes: Uint8Array, start: number, position: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const bit = position + i;
    value = (value << 1) | ((bytes[start + (bit >> 3)]! >> (7 - (bit & 7))) & 1);
  }
  return value;
}

/**
 * The frames of an encoder's raw Layer III output, with where each keeps its main data. Throws where the bytes are
 * not a whole frame: this reads what our own encoder just wrote, not a client's file.
 */
export function layer3Frames(stream: Uint8Array): Layer3Frame[] {
  const frames: Layer3Frame[] = [];
  for (let offset = 0; offset < stream.length; ) {
    const header = parseFrameHeader(stream, offset);
    if (!header || offset + header.frameBytes > stream.length) throw new Error(`no whole Layer III frame at byte ${offset} of ${stream.length}`);
    const sideInfo = offset + 4 + (header.hasCrc ? 2 : 0);
    const channels = header.channelMode === 'mono' ? 1 : 2;
    // Side information: main_data_begin, private bits, (MPEG-1) scfsi, then per granule and channel a block that
    // starts with part2_3_length: 59 bits each in MPEG-1's two granules, 63 in MPEG-2's one.
    const mpeg1 = header.version === 1;
    const beginBits = mpeg1 ? 9 : 8;
    let position = beginBits + (mpeg1 ? (channels === 1 ? 5 : 3) + 4 * channels : channels);
    const granules = mpeg1 ? 2 : 1;
    const blockBits = mpeg1 ? 59 : 63;
    let mainDataBits = 0;
    for (let g = 0; g < granules * channels; g++, position += blockBits) mainDataBits += bitsAt(stream, sideInfo, position, 12);
    frames.push({
      offset,
      bytes: header.frameBytes,
      slotStart: sideInfo + header.sideInfoBytes,
      mainDataBegin: bitsAt(stream, sideInfo, 0, beginBits),
      mainDataBytes: Math.ceil(mainDataBits / 8),
    });
    offset += header.frameBytes;
  }
  return frames;
}

export function mp3Piece(bytes: Uint8Array, firstFrame: number): Mp3Piece {
  return { bytes, frames: layer3Frames(bytes), firstFrame };
}

const slotBytes = (frame: Layer3Frame) => frame.offset + frame.bytes - frame.slotStart;

/** Main-data bytes that A's frames before its frame `index` (its own numbering) leave unused at their end. */
function unusedBefore(frames: Layer3Frame[], index: number): number {
  const previous = frames[index - 1]!;
  return slotBytes(previous) + previous.mainDataBegin - previous.mainDataBytes;
}

/**
 * The first serial frame index in [from, until) where `b` can take over from `a`, or undefined if none can. Both
 * pieces must hold frames on either side of it. With `widening`, a frame qualifies also where `a`'s frame before it
 * can be widened enough.
 */
export function findSeam(a: Mp3Piece, b: Mp3Piece, from: number, until: number, widening = false): number | undefined {
  const version = parseFrameHeader(a.bytes, 0)?.version ?? 1;
  for (let seam = Math.max(from, a.firstFrame + 1, b.firstFrame); seam < until; seam++) {
    const inA = seam - a.firstFrame;
    const inB = seam - b.firstFrame;
    if (inA >= a.frames.length || inB >= b.frames.length) return undefined;
    const unused = Math.min(unusedBefore(a.frames, inA), MAX_MAIN_DATA_BEGIN[version]);
    const missing = b.frames[inB]!.mainDataBegin - unused;
    if (missing <= 0 || (widening && widened(a.bytes, a.frames[inA - 1]!, missing))) return seam;
  }
  return undefined;
}

/**
 * The bytes `piece` contributes to the joined stream: its frames from serial index `from` up to `to` (exclusive; its
 * last frame when `next` is undefined), with the main data `next` needs before its frame `to` written into their
 * unused end. Where that end is too short (`to` is not a seam findSeam would choose), frame `to` - 1 is widened.
 */
export function joinedSegment(piece: Mp3Piece, from: number, to: number | undefined, next?: Mp3Piece): Uint8Array {
  const first = piece.frames[from - piece.firstFrame];
  if (!first) throw new RangeError(`frame ${from} is not in the piece that starts at frame ${piece.firstFrame}`);
  if (to === undefined || !next) return piece.bytes.slice(first.offset);
  const end = piece.frames[to - piece.firstFrame];
  if (!end) throw new RangeError(`frame ${to} is not in the piece that starts at frame ${piece.firstFrame}`);
  const nextIndex = to - next.firstFrame;
  let remaining = next.frames[nextIndex]!.mainDataBegin;
  let intoFrame = to - piece.firstFrame - 1;
  if (intoFrame < from - piece.firstFrame) throw new RangeError(`the main data of frame ${to} reaches back before frame ${from}`);
  const last = piece.frames[intoFrame]!;
  const widening = widened(piece.bytes, last, remaining - unusedBefore(piece.frames, to - piece.firstFrame));
  if (!widening) throw new RangeError(`frame ${to} is not a seam of these pieces`);
  // Zero-filled: a widened frame's new bytes are unused, apart from those next's bytes go into below.
  const segment = new Uint8Array(end.offset - first.offset + widening.extraBytes);
  segment.set(piece.bytes.subarray(first.offset, end.offset));
  segment[last.offset - first.offset + 2] = widening.bitrateByte;
  // Copy the last `remaining` main-data bytes before frame `to`, slot by slot backwards, from next into the segment.
  let fromFrame = nextIndex - 1;
  let fromEnd = slotBytes(next.frames[fromFrame]!);
  let intoEnd = slotBytes(last) + widening.extraBytes;
  while (remaining > 0) {
    if (fromEnd === 0) fromEnd = slotBytes(next.frames[--fromFrame]!);
    if (intoEnd === 0) intoEnd = slotBytes(piece.frames[--intoFrame]!);
    const count = Math.min(remaining, fromEnd, intoEnd);
    const source = next.frames[fromFrame]!.slotStart + fromEnd - count;
    const target = piece.frames[intoFrame]!.slotStart + intoEnd - count - first.offset;
    if (target < 0) throw new RangeError(`the main data of frame ${to} reaches back before frame ${from}`);
    segment.set(next.bytes.subarray(source, source + count), target);
    remaining -= count;
    fromEnd -= count;
    intoEnd -= count;
  }
  return segment;
}

/**
 * The third header byte (bitrate index, sample rate, padding, private bit) of `frame` re-signalled at the lowest
 * bitrate that makes it at least `missing` bytes longer, and how much longer that is (as it is when nothing is
 * missing); undefined if no bitrate does (the frame is at the top one already).
 */
function widened(stream: Uint8Array, frame: Layer3Frame, missing: number): { bitrateByte: number; extraBytes: number } | undefined {
  const byte = stream[frame.offset + 2]!;
  if (missing <= 0) return { bitrateByte: byte, extraBytes: 0 };
  const header = parseFrameHeader(stream, frame.offset);
  // A CRC covers the bitrate's header bits; our encoder writes none, so that is not worth a path of its own.
  if (!header || header.hasCrc) return undefined;
  const bitrates = layer3BitratesKbps(header.version);
  for (let index = 0; index < bitrates.length; index++) {
    const extraBytes = frameBytes(header.version, bitrates[index]!, header.sampleRate, header.padding) - frame.bytes;
    // Header index 0 is free format, which layer3BitratesKbps leaves out.
    if (extraBytes >= missing) return { bitrateByte: ((index + 1) << 4) | (byte & 0x0f), extraBytes };
  }
  return undefined;
}
