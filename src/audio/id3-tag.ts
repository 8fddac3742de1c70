// The ID3v2.4 tag written ahead of the MP3 audio: the recording's title and its length.

export interface Id3Fields {
  title: string;
  /** Playing time in milliseconds; players show it before they have scanned the file. */
  lengthMs: number;
}

const HEADER_BYTES = 10;
const FRAME_HEADER_BYTES = 10;
const UTF8 = 3; // ID3v2.4 text encoding byte
const MAX_SYNCSAFE = 2 ** 28 - 1;

/**
 * An ID3v2.4 tag holding TIT2 (title) and TLEN (length), without extended header or unsynchronisation, padded with
 * zeros to `sizeBytes` when that is more than it needs (to replace a tag already written, in its place).
 */
export function buildId3v24Tag(fields: Id3Fields, sizeBytes = 0): Uint8Array {
  if (!Number.isFinite(fields.lengthMs) || fields.lengthMs < 0) {
    throw new RangeError(`lengthMs must be a finite number of milliseconds, at least 0, got ${fields.lengthMs}`);
  }
  // In v2.4 a NUL separates the values of a multi-valued text frame; one inside a title would split it in two.
  const title = fields.title.replaceAll('\0', '');
  const frames = [textFrame('TIT2', title), textFrame('TLEN', String(Math.round(fields.lengthMs)))];
  const bodyBytes = Math.max(
    frames.reduce((sum, frame) => sum + frame.length, 0),
    sizeBytes - HEADER_BYTES,
  );

  const tag = new Uint8Array(HEADER_BYTES + bodyBytes);
  tag.set([0x49, 0x44, 0x33, 4, 0, 0]); // "ID3", version 2.4.0, no flags
  tag.set(syncsafe(bodyBytes, 'ID3 tag'), 6);
  let offset = HEADER_BYTES;
  for (const frame of frames) {
    tag.set(frame, offset);
    offset += frame.length;
  }
  return tag;
}

function textFrame(id: string, text: string): Uint8Array {
  const encoded = new TextEncoder().encode(text);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + 1 + encoded.length);
  for (let i = 0; i < 4; i++) frame[i] = id.charCodeAt(i);
  // v2.4 frame sizes are syncsafe too (v2.3's were plain 32-bit), so readers can resynchronise on a frame boundary.
  frame.set(syncsafe(1 + encoded.length, `${id} frame`), 4);
  // Bytes 8 and 9: no frame flags.
  frame[FRAME_HEADER_BYTES] = UTF8;
  frame.set(encoded, FRAME_HEADER_BYTES + 1);
  return frame;
}

/** Seven bits per byte, so no size byte can look like the 0xFF that starts an MPEG frame sync. */
function syncsafe(value: number, what: string): Uint8Array {
  if (value > MAX_SYNCSAFE) throw new RangeError(`${what} of ${value} bytes exceeds ID3v2's ${MAX_SYNCSAFE}-byte limit`);
  return Uint8Array.of((value >> 21) & 0x7f, (value >> 14) & 0x7f, (value >> 7) & 0x7f, value & 0x7f);
}
