// The frame headers of an MP3 stream, read independently of the service's own parser (src/audio/mp3-frames.ts), so
// that tests can check what the encoder actually wrote: each frame's bitrate, not the bitrate the answer echoes.

export interface FrameHeader {
  offset: number;
  bytes: number;
  bitrateKbps: number;
  sampleRate: number;
  /** The first frame carries the Xing/Info (LAME) tag instead of audio. */
  isTag: boolean;
}

const MPEG1_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/** Layer III frames from the first sync word after any ID3v2 tag to the end; throws at a byte that is not a frame. */
export function mp3FrameHeaders(mp3: Uint8Array): FrameHeader[] {
  let offset = 0;
  if (mp3[0] === 0x49 && mp3[1] === 0x44 && mp3[2] === 0x33) {
    offset = 10 + (((mp3[6]! & 0x7f) << 21) | ((mp3[7]! & 0x7f) << 14) | ((mp3[8]! & 0x7f) << 7) | (mp3[9]! & 0x7f));
  }
  const frames: FrameHeader[] = [];
  while (offset + 4 <= mp3.length) {
    const [b0, b1, b2] = [mp3[offset]!, mp3[offset + 1]!, mp3[offset + 2]!];
    const version = (b1 >> 3) & 0x3;
    if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0 || ((b1 >> 1) & 0x3) !== 1 || version === 1) {
      throw new Error(`no Layer III frame header at byte ${offset} of ${mp3.length}`);
    }
    const bitrateKbps = (version === 3 ? MPEG1_KBPS : MPEG2_KBPS)[b2 >> 4]!;
    const sampleRate = RATES[version]![(b2 >> 2) & 0x3];
    if (!bitrateKbps || !sampleRate) throw new Error(`a frame header at byte ${offset} has no bitrate or sample rate`);
    const bytes = Math.floor(((version === 3 ? 144_000 : 72_000) * bitrateKbps) / sampleRate) + ((b2 >> 1) & 1);
    const body = Buffer.from(mp3.subarray(offset, offset + Math.min(bytes, 64))).toString('latin1');
    frames.push({ offset, bytes, bitrateKbps, sampleRate, isTag: frames.length === 0 && /Xing|Info/.test(body) });
    offset += bytes;
  }
  return frames;
}
