/**
 * MPEG-1, -2 and -2.5 Layer III frame headers, and a walker that follows an encoder's output frame by frame as it
 * streams past, gathering what the Xing/Info + LAME tag needs (frame count, byte count, music CRC, seek table)
 * without holding the stream.
 */

export type MpegVersion = 1 | 2 | 2.5;
export type ChannelMode = 'stereo' | 'joint-stereo' | 'dual-channel' | 'mono';

export interface Mp3FrameHeader {
  version: MpegVersion;
  sampleRate: number;
  bitrateKbps: number;
  padding: boolean;
  channelMode: ChannelMode;
  /** Joint stereo's mid/side (bit 1) and intensity (bit 0) switches; 0 in other modes. */
  modeExtension: number;
  /** A 16-bit CRC follows the header, ahead of the side information. */
  hasCrc: boolean;
  samplesPerFrame: 1152 | 576;
  /** The whole frame, header included. */
  frameBytes: number;
  sideInfoBytes: number;
}

const CHANNEL_MODES: readonly ChannelMode[] = ['stereo', 'joint-stereo', 'dual-channel', 'mono'];

// Layer III bitrates by header index; index 0 (free format) and 15 (forbidden) carry no usable size.
const MPEG1_BITRATES_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320] as const;
const MPEG2_BITRATES_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160] as const;

const SAMPLE_RATES: Record<MpegVersion, readonly number[]> = {
  1: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  2.5: [11025, 12000, 8000],
};

// The two version bits of the header: 00 = 2.5, 01 reserved, 10 = 2, 11 = 1.
const VERSION_BITS: Record<MpegVersion, number> = { 1: 0b11, 2: 0b10, 2.5: 0b00 };
const LAYER_III_BITS = 0b01;

/** The Layer III bitrates a version can signal, in header-index order (index 0, free format, left out). */
export function layer3BitratesKbps(version: MpegVersion): readonly number[] {
  return (version === 1 ? MPEG1_BITRATES_KBPS : MPEG2_BITRATES_KBPS).slice(1);
}

/** The MPEG version a sample rate belongs to, or undefined for a rate MP3 cannot carry. */
export function mpegVersionForRate(sampleRate: number): MpegVersion | undefined {
  for (const version of [1, 2, 2.5] as const) if (SAMPLE_RATES[version].includes(sampleRate)) return version;
  return undefined;
}

export function samplesPerFrame(version: MpegVersion): 1152 | 576 {
  return version === 1 ? 1152 : 576;
}

export function sideInfoBytes(version: MpegVersion, channels: 1 | 2): number {
  if (version === 1) return channels === 1 ? 17 : 32;
  return channels === 1 ? 9 : 17;
}

export function frameBytes(version: MpegVersion, bitrateKbps: number, sampleRate: number, padding: boolean): number {
  // A frame holds samplesPerFrame/8 bytes per bit/s per sample/s: 144 for MPEG-1, 72 for the half-length frames.
  const bytesPerKbpsPerHz = version === 1 ? 144_000 : 72_000;
  return Math.floor((bytesPerKbpsPerHz * bitrateKbps) / sampleRate) + (padding ? 1 : 0);
}

/** Parses the 4-byte header at `offset`; undefined if those bytes are not a Layer III header with a known size. */
export function parseFrameHeader(bytes: Uint8Array, offset: number): Mp3FrameHeader | undefined {
  if (offset < 0 || offset + 4 > bytes.length) return undefined;
  const [b0, b1, b2, b3] = [bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!];
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;

  const version = versionFromBits((b1 >> 3) & 0b11);
  if (version === undefined || ((b1 >> 1) & 0b11) !== LAYER_III_BITS) return undefined;
  const bitrateKbps = (version === 1 ? MPEG1_BITRATES_KBPS : MPEG2_BITRATES_KBPS)[b2 >> 4];
  const sampleRate = SAMPLE_RATES[version][(b2 >> 2) & 0b11];
  if (!bitrateKbps || sampleRate === undefined || (b3 & 0b11) === 0b10 /* reserved emphasis */) return undefined;

  const padding = ((b2 >> 1) & 1) === 1;
  const channelMode = CHANNEL_MODES[b3 >> 6]!;
  return {
    version,
    sampleRate,
    bitrateKbps,
    padding,
    channelMode,
    modeExtension: channelMode === 'joint-stereo' ? (b3 >> 4) & 0b11 : 0,
    hasCrc: (b1 & 1) === 0,
    samplesPerFrame: samplesPerFrame(version),
    frameBytes: frameBytes(version, bitrateKbps, sampleRate, padding),
    sideInfoBytes: sideInfoBytes(version, channelMode === 'mono' ? 1 : 2),
  };
}

export interface FrameHeaderFields {
  version: MpegVersion;
  sampleRate: number;
  bitrateKbps: number;
  channelMode: ChannelMode;
  modeExtension: number;
}

/** The 4 header bytes LAME writes: no CRC, no padding, private bit clear, not copyrighted, "original", no emphasis. */
export function frameHeaderBytes(fields: FrameHeaderFields): Uint8Array {
  const { version, sampleRate, bitrateKbps, channelMode, modeExtension } = fields;
  const bitrates: readonly number[] = version === 1 ? MPEG1_BITRATES_KBPS : MPEG2_BITRATES_KBPS;
  const bitrateIndex = bitrates.indexOf(bitrateKbps);
  const rateIndex = SAMPLE_RATES[version].indexOf(sampleRate);
  if (bitrateIndex <= 0) throw new RangeError(`MPEG-${version} Layer III has no ${bitrateKbps} kbps bitrate`);
  if (rateIndex < 0) throw new RangeError(`MPEG-${version} has no ${sampleRate} Hz sample rate`);
  if (!Number.isInteger(modeExtension) || modeExtension < 0 || modeExtension > 3) {
    throw new RangeError(`mode extension must be 0 to 3, got ${modeExtension}`);
  }
  const noCrc = 1;
  const original = 1;
  return Uint8Array.of(
    0xff,
    0xe0 | (VERSION_BITS[version] << 3) | (LAYER_III_BITS << 1) | noCrc,
    (bitrateIndex << 4) | (rateIndex << 2),
    (CHANNEL_MODES.indexOf(channelMode) << 6) | (modeExtension << 4) | (original << 2),
  );
}

function versionFromBits(bits: number): MpegVersion | undefined {
  if (bits === 0b11) return 1;
  if (bits === 0b10) return 2;
  if (bits === 0b00) return 2.5;
  return undefined;
}

/**
 * CRC-16 with polynomial x^16 + x^15 + x^2 + 1, bit-reversed (0xA001), initial value 0: the "CRC-16/ARC" LAME
 * uses for the tag's music CRC and for the CRC of the tag itself.
 */
export function crc16(bytes: Uint8Array, crc = 0): number {
  for (const byte of bytes) crc = (crc >>> 8) ^ CRC16_TABLE[(crc ^ byte) & 0xff]!;
  return crc;
}

const CRC16_TABLE = Uint16Array.from({ length: 256 }, (_, index) => {
  let crc = index;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  return crc;
});

// LAME's seek table keeps at most this many running sums, halving its resolution whenever it fills, so its memory
// is fixed whatever the length (VbrTag.c, addVbr).
const SEEK_SUMS = 400;
const TOC_ENTRIES = 100;

/**
 * Follows a Layer III stream pushed in chunks of any size. It keeps only the few bytes of a header split across
 * chunks and a fixed 400-entry seek table, so a three-hour stream costs the same memory as a three-second one.
 * Throws an Error when the bytes stop being a sequence of frames of one version, rate and channel count.
 */
export class Mp3StreamStats {
  /** Audio frames seen. */
  frames = 0;
  /** Bytes seen. */
  bytes = 0;
  /** CRC-16 over every byte pushed: LAME's "music CRC" when the pushed bytes are the audio after the tag frame. */
  musicCrc = 0;
  /** The first frame's header: the stream's version, sample rate and channel mode. */
  firstHeader: Mp3FrameHeader | undefined;
  /** LAME copies the last frame's mode extension into its tag frame's header. */
  lastModeExtension = 0;

  // Bytes of the current frame still to come; a new header starts when this reaches zero.
  private frameRemainder = 0;
  private readonly splitHeader = new Uint8Array(4);
  private splitHeaderLength = 0;

  // LAME's TOC is built from running sums of frame bitrates (proportional to bytes at a fixed sample rate), sampled
  // every `framesPerSum` frames. Doing the same keeps our TOC byte-identical with native lame's.
  private readonly bitrateSums = new Int32Array(SEEK_SUMS);
  private sumCount = 0;
  private bitrateTotal = 0;
  private framesSinceSum = 0;
  private framesPerSum = 1;

  push(chunk: Uint8Array): void {
    this.musicCrc = crc16(chunk, this.musicCrc);
    const chunkStart = this.bytes;
    this.bytes += chunk.length;

    let index = 0;
    while (index < chunk.length) {
      if (this.frameRemainder > 0) {
        const skipped = Math.min(this.frameRemainder, chunk.length - index);
        this.frameRemainder -= skipped;
        index += skipped;
        continue;
      }
      if (this.splitHeaderLength > 0 || chunk.length - index < 4) {
        const taken = Math.min(4 - this.splitHeaderLength, chunk.length - index);
        this.splitHeader.set(chunk.subarray(index, index + taken), this.splitHeaderLength);
        this.splitHeaderLength += taken;
        index += taken;
        if (this.splitHeaderLength < 4) break;
        this.splitHeaderLength = 0;
        this.frameRemainder = this.acceptFrame(this.splitHeader, 0, chunkStart + index - 4) - 4;
        continue;
      }
      this.frameRemainder = this.acceptFrame(chunk, index, chunkStart + index);
    }
  }

  /** Throws if the stream stopped inside a frame. Call once the encoder has flushed. */
  finish(): void {
    if (this.frameRemainder > 0 || this.splitHeaderLength > 0) {
      const missing = this.frameRemainder > 0 ? `${this.frameRemainder} bytes` : 'part of a header';
      throw new Error(`MP3 stream ends inside frame ${this.frames}: ${missing} missing`);
    }
  }

  /** The Xing table of contents: entry i is the byte position, in 256ths of the audio, of i % of the playing time. */
  xingToc(): Uint8Array {
    const toc = new Uint8Array(TOC_ENTRIES);
    if (this.sumCount === 0) return toc;
    for (let i = 1; i < TOC_ENTRIES; i++) {
      // LAME computes the position in single precision; fround keeps the rounding, and so the bytes, the same.
      const fraction = Math.fround(i / TOC_ENTRIES);
      const sumIndex = Math.min(Math.floor(Math.fround(fraction * this.sumCount)), this.sumCount - 1);
      const reached = Math.fround(this.bitrateSums[sumIndex]!);
      toc[i] = Math.min(255, Math.trunc((256 * reached) / Math.fround(this.bitrateTotal)));
    }
    return toc;
  }

  /** Checks the header at `offset` and records the frame; returns its size. `position` is its offset in the stream. */
  private acceptFrame(bytes: Uint8Array, offset: number, position: number): number {
    const header = parseFrameHeader(bytes, offset);
    if (header === undefined) {
      const found = Array.from(bytes.subarray(offset, offset + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new Error(`no MPEG Layer III frame header at stream byte ${position} (frame ${this.frames}): ${found}`);
    }
    const first = (this.firstHeader ??= header);
    if (
      header.version !== first.version ||
      header.sampleRate !== first.sampleRate ||
      (header.channelMode === 'mono') !== (first.channelMode === 'mono')
    ) {
      throw new Error(
        `MP3 frame ${this.frames} at stream byte ${position} is MPEG-${header.version} ${header.sampleRate} Hz ` +
          `${header.channelMode}, but the stream began MPEG-${first.version} ${first.sampleRate} Hz ${first.channelMode}`,
      );
    }
    this.frames++;
    this.lastModeExtension = header.modeExtension;
    this.addToSeekTable(header.bitrateKbps);
    return header.frameBytes;
  }

  private addToSeekTable(bitrateKbps: number): void {
    this.bitrateTotal += bitrateKbps;
    if (++this.framesSinceSum < this.framesPerSum) return;
    if (this.sumCount < SEEK_SUMS) {
      this.bitrateSums[this.sumCount++] = this.bitrateTotal;
      this.framesSinceSum = 0;
    }
    if (this.sumCount === SEEK_SUMS) {
      for (let i = 1; i < SEEK_SUMS; i += 2) this.bitrateSums[i >> 1] = this.bitrateSums[i]!;
      this.framesPerSum *= 2;
      this.sumCount /= 2;
    }
  }
}
