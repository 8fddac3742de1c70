// Pieces of Layer III frames written by hand with real headers (MPEG-1, 44.1 kHz, joint stereo), for the seams
// that rewrite a frame's header: the frames' sizes follow their bitrates, and everything after each header is `fill`.
import { frameBytes, frameHeaderBytes, sideInfoBytes } from '../../src/audio/mp3-frames.js';
import type { Layer3Frame, Mp3Piece } from '../../src/audio/mp3-join.js';

export interface FramedFrame {
  kbps: number;
  /** main_data_begin. */
  begin: number;
  /** Main-data bytes the frame's granules take. */
  used: number;
  padding?: boolean;
  crc?: boolean;
}

export function framedPiece(firstFrame: number, frames: FramedFrame[], fill: (at: number) => number): Mp3Piece {
  const sizes = frames.map((f) => frameBytes(1, f.kbps, 44_100, f.padding ?? false));
  const bytes = Uint8Array.from({ length: sizes.reduce((sum, size) => sum + size, 0) }, (_, at) => fill(at));
  const layer3: Layer3Frame[] = [];
  let offset = 0;
  frames.forEach((f, i) => {
    const header = frameHeaderBytes({ version: 1, sampleRate: 44_100, bitrateKbps: f.kbps, channelMode: 'joint-stereo', modeExtension: 0 });
    if (f.padding) header[2]! |= 0b10;
    if (f.crc) header[1]! &= 0xfe; // the protection bit clear: a CRC follows
    bytes.set(header, offset);
    layer3.push({ offset, bytes: sizes[i]!, slotStart: offset + 4 + (f.crc ? 2 : 0) + sideInfoBytes(1, 2), mainDataBegin: f.begin, mainDataBytes: f.used });
    offset += sizes[i]!;
  });
  return { bytes, frames: layer3, firstFrame };
}
