/**
 * The Xing/Info + LAME tag frame, built the way LAME 3.100 builds it (libmp3lame/VbrTag.c), for streams from encoders
 * that leave it out: LAME compiled to WebAssembly and lamejs. The tag tells gapless decoders (mpg123, ffmpeg, foobar)
 * how many samples of encoder delay to drop at the start and how much padding at the end, so the decoded length is
 * the source's. Tests compare our frames with native lame's, byte for byte.
 */
import {
  crc16,
  frameBytes,
  frameHeaderBytes,
  layer3BitratesKbps,
  mpegVersionForRate,
  sideInfoBytes,
  type MpegVersion,
  type Mp3StreamStats,
} from './mp3-frames.js';

/** Samples LAME puts ahead of the signal (ENCDELAY): the MDCT's overlap plus the polyphase filter bank's delay. */
export const LAME_ENCODER_DELAY = 576;

export interface InfoFrameSpec {
  /** The MP3's sample rate. */
  sampleRate: number;
  channels: 1 | 2;
  /** CBR bitrate of the stream, as LAME rounded it (lameCbrBitrateKbps); null for VBR. */
  bitrateKbps: number | null;
  /** LAME VBR quality, 0 (best) to under 10; used when bitrateKbps is null (LAME's default is 4). */
  vbrQuality: number | null;
  /** Rate of the PCM handed to the encoder, if it resampled; LAME records it in two tag fields. Default sampleRate. */
  inputSampleRate?: number;
  /** How a 2-channel stream is coded: LAME's default is joint stereo, lamejs writes plain stereo. Default joint. */
  stereoMode?: 'joint-stereo' | 'stereo';
}

export interface InfoFrameStats {
  /** Audio frames after the tag frame. */
  frames: number;
  /** Bytes of those frames. */
  audioBytes: number;
  /** 100-entry Xing seek table (Mp3StreamStats.xingToc()). */
  toc: Uint8Array;
  /** CRC-16 of the audio bytes (Mp3StreamStats.musicCrc). */
  musicCrc: number;
  /** Samples for a decoder to drop at the start; 0 to 4095. */
  encoderDelay: number;
  /** Samples for a decoder to drop at the end; 0 to 4095. */
  padding: number;
  /** LAME copies the last frame's mode extension into the tag frame's header; decoders ignore it. Default 0. */
  modeExtension?: number;
}

// "Xing"/"Info" (4) + flags (4) + frames (4) + bytes (4) + TOC (100) + quality (4), then LAME's 36-byte extension.
const XING_FIELDS_BYTES = 120;
const LAME_EXTENSION_BYTES = 36;
const XING_FLAGS_ALL = 0x0f; // frame count, byte count, TOC and quality all present
const LAME_VERSION = 'LAME3.100';
// A 12-bit field each in the tag.
const MAX_DELAY_OR_PADDING = 0xfff;

/** Size of the tag frame; the placeholder written ahead of the audio must have exactly this size. */
export function infoFrameBytes(spec: InfoFrameSpec): number {
  return tagFrameLayout(spec).frameBytes;
}

/**
 * Without stats: a placeholder of the final size that decoders already skip as a tag frame (the "Info"/"Xing" marker
 * with no fields), so a stream read before the real tag is written plays without an extra frame of silence.
 * With stats: the finished tag frame, to write over the placeholder.
 */
export function buildInfoFrame(spec: InfoFrameSpec, stats?: InfoFrameStats): Uint8Array {
  const layout = tagFrameLayout(spec);
  const frame = new Uint8Array(layout.frameBytes);
  const channelMode = spec.channels === 1 ? 'mono' : (spec.stereoMode ?? 'joint-stereo');
  frame.set(
    frameHeaderBytes({
      version: layout.version,
      sampleRate: spec.sampleRate,
      bitrateKbps: layout.bitrateKbps,
      channelMode,
      modeExtension: channelMode === 'joint-stereo' ? (stats?.modeExtension ?? 0) : 0,
    }),
  );
  const view = new DataView(frame.buffer);
  let offset = 4 + sideInfoBytes(layout.version, spec.channels);
  writeAscii(frame, offset, spec.bitrateKbps === null ? 'Xing' : 'Info');
  if (stats === undefined) return frame;

  checkStats(stats);
  const settings = lameSettings(spec, layout.version);
  const streamBytes = layout.frameBytes + stats.audioBytes;
  view.setUint32(offset + 4, XING_FLAGS_ALL);
  view.setUint32(offset + 8, stats.frames);
  view.setUint32(offset + 12, streamBytes);
  frame.set(stats.toc, offset + 16);
  view.setUint32(offset + 116, settings.quality);
  offset += XING_FIELDS_BYTES;

  writeAscii(frame, offset, LAME_VERSION);
  frame[offset + 9] = settings.vbrMethod; // high nibble: tag revision 0
  frame[offset + 10] = settings.lowpassHundredsHz;
  // offset + 11..18: peak amplitude and radio/audiophile ReplayGain, all "not computed" (0), as the library leaves them.
  frame[offset + 19] = settings.athType | (1 << 4) /* nspsytune */ | (settings.safeJoint ? 1 << 5 : 0);
  frame[offset + 20] = Math.min(settings.bitrateByteKbps, 255);
  frame[offset + 21] = stats.encoderDelay >> 4;
  frame[offset + 22] = ((stats.encoderDelay & 0x0f) << 4) | (stats.padding >> 8);
  frame[offset + 23] = stats.padding & 0xff;
  frame[offset + 24] =
    settings.noiseShaping | (settings.stereoModeCode << 2) | (settings.nonOptimal ? 1 << 5 : 0) | (settings.sourceRateCode << 6);
  // offset + 25: MP3Gain adjustment, none.
  view.setUint16(offset + 26, settings.preset); // the 5 bits above the 11-bit preset (surround info, unused) stay 0
  view.setUint32(offset + 28, streamBytes); // "music length", which LAME fills with the same byte count
  view.setUint16(offset + 32, stats.musicCrc);
  view.setUint16(offset + 34, crc16(frame.subarray(0, offset + 34)));
  return frame;
}

/** The tag's fields that come from the encoded audio (`audio` after finish()), for `outputSamples` of signal. */
export function infoFrameStats(audio: Mp3StreamStats, samplesPerFrame: number, outputSamples: number): InfoFrameStats {
  return {
    frames: audio.frames,
    audioBytes: audio.bytes,
    toc: audio.xingToc(),
    musicCrc: audio.musicCrc,
    encoderDelay: LAME_ENCODER_DELAY,
    padding: padding(audio.frames, samplesPerFrame, outputSamples, LAME_ENCODER_DELAY),
    modeExtension: audio.lastModeExtension,
  };
}

/** Padding a decoder must drop so that `frames` frames yield exactly `outputSamples` after `delay`. */
export function padding(frames: number, samplesPerFrame: number, outputSamples: number, delay: number): number {
  const result = frames * samplesPerFrame - delay - outputSamples;
  if (result < 0 || result > MAX_DELAY_OR_PADDING) {
    throw new RangeError(
      `${frames} frames of ${samplesPerFrame} samples cannot hold ${outputSamples} samples after a delay of ${delay} ` +
        `with 0 to ${MAX_DELAY_OR_PADDING} samples of padding (it would take ${result})`,
    );
  }
  return result;
}

/**
 * The CBR bitrate LAME actually encodes when asked for `requestedKbps` at `sampleRate`: the nearest its table for
 * that MPEG version offers, ties going down (FindNearestBitrate). Note LAME caps MPEG-2.5 (under 16 kHz) at 64 kbps.
 */
export function lameCbrBitrateKbps(requestedKbps: number, sampleRate: number): number {
  const version = checkedVersion(sampleRate);
  let nearest = lameBitratesKbps(version)[0]!;
  for (const candidate of lameBitratesKbps(version)) {
    if (Math.abs(candidate - requestedKbps) < Math.abs(nearest - requestedKbps)) nearest = candidate;
  }
  return nearest;
}

interface TagFrameLayout {
  version: MpegVersion;
  bitrateKbps: number;
  frameBytes: number;
}

function tagFrameLayout(spec: InfoFrameSpec): TagFrameLayout {
  const version = checkedVersion(spec.sampleRate);
  if (spec.channels !== 1 && spec.channels !== 2) throw new RangeError(`channels must be 1 or 2, got ${spec.channels}`);
  const needed = 4 + sideInfoBytes(version, spec.channels) + XING_FIELDS_BYTES + LAME_EXTENSION_BYTES;
  const sizeAt = (kbps: number) => frameBytes(version, kbps, spec.sampleRate, false);

  let bitrateKbps: number;
  if (spec.bitrateKbps !== null) {
    if (!layer3BitratesKbps(version).includes(spec.bitrateKbps)) {
      throw new RangeError(
        `MPEG-${version} (${spec.sampleRate} Hz) has no ${spec.bitrateKbps} kbps bitrate; it has ${layer3BitratesKbps(version).join(', ')}`,
      );
    }
    // The stream's own bitrate keeps every frame the same size, as CBR players expect. Where that frame is too small
    // for the tag, LAME writes no tag at all; we take the smallest bitrate that fits, as a VBR tag frame would.
    bitrateKbps = sizeAt(spec.bitrateKbps) >= needed ? spec.bitrateKbps : smallestFitting(version, needed, sizeAt);
  } else {
    // LAME's fixed choice for VBR (XING_BITRATE1/2/25), kept so our tag frames match native lame's byte for byte.
    bitrateKbps = version === 1 ? 128 : version === 2 ? 64 : 32;
  }
  return { version, bitrateKbps, frameBytes: sizeAt(bitrateKbps) };
}

function smallestFitting(version: MpegVersion, needed: number, sizeAt: (kbps: number) => number): number {
  const fitting = layer3BitratesKbps(version).find((kbps) => sizeAt(kbps) >= needed);
  if (fitting === undefined) throw new RangeError(`no MPEG-${version} frame holds a ${needed}-byte tag`);
  return fitting;
}

/**
 * What LAME 3.100 records about its own settings, derived as lame_init_params derives them for an encoder configured
 * like ours (library defaults; only rate, channels and bitrate or VBR quality set). Decoders ignore these fields;
 * tag readers display them.
 */
interface LameSettings {
  quality: number;
  vbrMethod: number;
  lowpassHundredsHz: number;
  athType: number;
  safeJoint: boolean;
  bitrateByteKbps: number;
  noiseShaping: number;
  stereoModeCode: number;
  nonOptimal: boolean;
  sourceRateCode: number;
  preset: number;
}

// optimum_bandwidth(): lowpass by CBR bitrate, over LAME's "full" bitrate list (nearestBitrateFullIndex).
const CBR_LOWPASS_HZ: ReadonlyArray<readonly [kbps: number, hz: number]> = [
  [8, 2000], [16, 3700], [24, 3900], [32, 5500], [40, 7000], [48, 7500], [56, 10000], [64, 11000], [80, 13500],
  [96, 15100], [112, 15600], [128, 17000], [160, 17500], [192, 18600], [224, 19400], [256, 19700], [320, 20500],
];
// VBR (mtrh, LAME's default) lowpass by quality 0..10, interpolated for fractional qualities.
const VBR_LOWPASS_HZ = [24000, 19500, 18500, 18000, 17500, 17000, 16500, 15600, 15200, 7230, 3950] as const;
const LAME_DEFAULT_QUALITY = 3; // the -q setting; VBR forces it to 0
const LAME_DEFAULT_VBR_QUALITY = 4;

function lameSettings(spec: InfoFrameSpec, version: MpegVersion): LameSettings {
  const inputRate = spec.inputSampleRate ?? spec.sampleRate;
  const stereo = spec.channels === 2;
  const common = {
    stereoModeCode: !stereo ? 0 : spec.stereoMode === 'stereo' ? 1 : 3, // LAME's codes: mono 0, stereo 1, joint 3
    nonOptimal: inputRate <= 32000, // LAME flags every input at or under 32 kHz as "non-optimal"
    sourceRateCode: inputRate <= 32000 ? 0 : inputRate < 48000 ? 1 : inputRate === 48000 ? 2 : 3,
  };
  const nyquistHz = Math.trunc(spec.sampleRate / 2);

  if (spec.bitrateKbps !== null) {
    const presetIndex = nearestFullBitrateIndex(spec.bitrateKbps);
    const lowpassHz = CBR_LOWPASS_HZ[presetIndex]![1] * (stereo ? 1 : 1.5);
    const highBitratePreset = CBR_LOWPASS_HZ[presetIndex]![0] >= 160;
    return {
      ...common,
      quality: 100 - 10 * LAME_DEFAULT_VBR_QUALITY - LAME_DEFAULT_QUALITY,
      vbrMethod: 1,
      lowpassHundredsHz: lowpassByte(Math.min(Math.trunc(lowpassHz), 20500, nyquistHz)),
      athType: 4,
      // The ABR/CBR presets turn safe joint stereo on from 160 kbps and drop to plain noise shaping from 192.
      safeJoint: stereo && highBitratePreset,
      noiseShaping: CBR_LOWPASS_HZ[presetIndex]![0] >= 192 ? 1 : 2,
      bitrateByteKbps: spec.bitrateKbps,
      preset: spec.bitrateKbps,
    };
  }

  // lame_set_VBR_quality() keeps the integer part and a single-precision fraction.
  const quality = Math.min(Math.max(spec.vbrQuality ?? LAME_DEFAULT_VBR_QUALITY, 0), 9.999);
  const whole = Math.trunc(quality);
  const fraction = Math.fround(Math.fround(quality) - whole);
  const lowpassHz = VBR_LOWPASS_HZ[whole]! + fraction * (VBR_LOWPASS_HZ[whole + 1]! - VBR_LOWPASS_HZ[whole]!);
  return {
    ...common,
    quality: 100 - 10 * whole,
    vbrMethod: 4, // vbr_mtrh
    lowpassHundredsHz: lowpassByte(Math.min(Math.trunc(lowpassHz), 24000, nyquistHz)),
    athType: 5,
    safeJoint: stereo && whole <= 7,
    noiseShaping: 1,
    bitrateByteKbps: lameBitratesKbps(version)[0]!, // the VBR minimum: 32 kbps for MPEG-1, 8 otherwise
    preset: 500 - 10 * whole,
  };
}

function lowpassByte(lowpassHz: number): number {
  return Math.min(255, Math.trunc(lowpassHz / 100 + 0.5));
}

/** nearestBitrateFullIndex(): the closer of the two list entries around `kbps`, ties going up. */
function nearestFullBitrateIndex(kbps: number): number {
  const upper = CBR_LOWPASS_HZ.findIndex(([entry]) => entry > kbps);
  if (upper <= 0) return upper === 0 ? 0 : CBR_LOWPASS_HZ.length - 1;
  const lower = upper - 1;
  return CBR_LOWPASS_HZ[upper]![0] - kbps > kbps - CBR_LOWPASS_HZ[lower]![0] ? lower : upper;
}

/** LAME's own bitrate table: the standard's, except that it stops MPEG-2.5 at 64 kbps. */
function lameBitratesKbps(version: MpegVersion): readonly number[] {
  const bitrates = layer3BitratesKbps(version);
  return version === 2.5 ? bitrates.filter((kbps) => kbps <= 64) : bitrates;
}

function checkedVersion(sampleRate: number): MpegVersion {
  const version = mpegVersionForRate(sampleRate);
  if (version === undefined) throw new RangeError(`${sampleRate} Hz is not an MP3 sample rate`);
  return version;
}

function checkStats(stats: InfoFrameStats): void {
  for (const field of ['encoderDelay', 'padding'] as const) {
    const value = stats[field];
    if (!Number.isInteger(value) || value < 0 || value > MAX_DELAY_OR_PADDING) {
      throw new RangeError(`${field} must be an integer from 0 to ${MAX_DELAY_OR_PADDING}, got ${value}`);
    }
  }
  if (stats.toc.length !== 100) throw new RangeError(`the Xing TOC has 100 entries, got ${stats.toc.length}`);
}

function writeAscii(target: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) target[offset + i] = text.charCodeAt(i);
}

