// The block-coded WAV formats: IMA ADPCM, Microsoft ADPCM and GSM 6.10. `blockLayout` checks a file's fmt fields
// against each other and describes its blocks as plain data (it crosses the worker boundary like WavFormat);
// `createBlockDecoder` turns that description into a decoder.
import { invalid, unsupported } from './audio-error.js';
import { createGsm610Decoder, GSM_BLOCK_BYTES, GSM_FRAMES_PER_BLOCK } from './gsm610.js';
import { createImaAdpcmDecoder, IMA_GROUP_BYTES, IMA_HEADER_BYTES, imaFramesIn } from './ima-adpcm.js';
import { createMsAdpcmDecoder, MS_HEADER_BYTES, msFramesIn } from './ms-adpcm.js';

export interface BlockDecoder {
  /** Bytes of one block. */
  readonly blockAlign: number;
  /** Samples per channel in one full block. */
  readonly framesPerBlock: number;
  /**
   * Decodes one block into interleaved 16-bit samples out[0 .. frames·channels) and returns the frames written
   * (`out` must hold framesPerBlock·channels). Only the file's last block may be shorter than blockAlign: it yields
   * the whole samples it holds, as in ffmpeg (whole 8-sample groups for IMA ADPCM; nothing for GSM, and nothing when
   * the block headers are incomplete). Bytes past blockAlign are ignored.
   */
  decodeBlock(block: Uint8Array, out: Int16Array): number;
}

export type BlockCodec = 'ima-adpcm' | 'ms-adpcm' | 'gsm610';

export const BLOCK_CODEC_TAGS: Readonly<Record<number, BlockCodec>> = {
  0x0002: 'ms-adpcm',
  0x0011: 'ima-adpcm',
  0x0031: 'gsm610',
};

/** The fmt chunk fields that describe a block-coded file. */
export interface BlockFmt {
  formatTag: number;
  channels: number;
  blockAlign: number;
  bitsPerSample: number;
  /** The bytes after cbSize (cbSize of them, or fewer when the chunk ends sooner), little-endian as in RIFF. */
  extension: Uint8Array;
}

interface CommonLayout {
  blockAlign: number;
  /** Samples per channel in one full block. */
  framesPerBlock: number;
  channels: number;
}

export type BlockLayout =
  | (CommonLayout & { codec: 'ima-adpcm' })
  | (CommonLayout & { codec: 'ms-adpcm'; /** The file's coefficient pairs, at least the standard seven. */ coefficients: Array<[number, number]> })
  | (CommonLayout & { codec: 'gsm610' });

const IMA_MAX_CHANNELS = 8;
// A block's predictor index is one byte: pairs past the 256th can never be chosen.
const MAX_USABLE_COEFFICIENTS = 256;
const STANDARD_COEFFICIENT_COUNT = 7;

const uint16At = (bytes: Uint8Array, at: number) => bytes[at]! | (bytes[at + 1]! << 8);
const int16At = (bytes: Uint8Array, at: number) => (uint16At(bytes, at) << 16) >> 16;

function checkChannels(channels: number, max: number, name: string): void {
  if (channels === 0) throw invalid('channels', 'the header declares 0 channels; a WAV needs at least 1');
  if (channels > max) {
    throw unsupported('channels', `${name} with ${channels} channels is not supported; supported: 1 to ${max} channels`);
  }
}

function checkFourBits(bitsPerSample: number, name: string): void {
  if (bitsPerSample === 0) throw invalid('bits per sample', 'the header declares 0 bits per sample');
  if (bitsPerSample !== 4) {
    throw unsupported('bits per sample', `${bitsPerSample}-bit ${name} is not supported; supported: 4 bits`);
  }
}

/** The extension's samples-per-block field, when the file has one, must agree with the block align. */
function checkSamplesPerBlock(extension: Uint8Array, framesPerBlock: number, blockAlign: number): void {
  if (extension.length < 2) return;
  const declared = uint16At(extension, 0);
  if (declared !== framesPerBlock) {
    throw invalid(
      'samples per block',
      `the fmt chunk declares ${declared} samples per block, but blocks of ${blockAlign} bytes hold ${framesPerBlock}`,
    );
  }
}

function imaLayout({ channels, blockAlign, bitsPerSample, extension }: BlockFmt): BlockLayout {
  checkChannels(channels, IMA_MAX_CHANNELS, 'IMA ADPCM');
  checkFourBits(bitsPerSample, 'IMA ADPCM');
  const headerBytes = IMA_HEADER_BYTES * channels;
  const groupRowBytes = IMA_GROUP_BYTES * channels;
  if (blockAlign < headerBytes) {
    throw invalid('block align', `a block align of ${blockAlign} bytes cannot hold the ${IMA_HEADER_BYTES}-byte header of each of ${channels} channels`);
  }
  if ((blockAlign - headerBytes) % groupRowBytes !== 0) {
    throw invalid(
      'block align',
      `an IMA ADPCM block of ${channels} channels is ${headerBytes} header bytes plus a multiple of ${groupRowBytes}; ${blockAlign} is not`,
    );
  }
  const framesPerBlock = imaFramesIn(blockAlign, channels);
  checkSamplesPerBlock(extension, framesPerBlock, blockAlign);
  return { codec: 'ima-adpcm', blockAlign, framesPerBlock, channels };
}

function msLayout({ channels, blockAlign, bitsPerSample, extension }: BlockFmt): BlockLayout {
  // Microsoft's codec defines mono and stereo only, and decoders disagree on the layout of more channels (ffmpeg
  // stores them one after the other, SoX interleaves them): refusing beats guessing.
  checkChannels(channels, 2, 'Microsoft ADPCM');
  checkFourBits(bitsPerSample, 'Microsoft ADPCM');
  const headerBytes = MS_HEADER_BYTES * channels;
  if (blockAlign < headerBytes) {
    throw invalid('block align', `a block align of ${blockAlign} bytes cannot hold the ${MS_HEADER_BYTES}-byte header of each of ${channels} channels`);
  }
  if (extension.length < 4) {
    throw invalid('coefficients', 'the fmt chunk lacks the Microsoft ADPCM extension (samples per block and coefficient table)');
  }
  const framesPerBlock = msFramesIn(blockAlign, channels);
  checkSamplesPerBlock(extension, framesPerBlock, blockAlign);
  const count = uint16At(extension, 2);
  if (count < STANDARD_COEFFICIENT_COUNT) {
    throw invalid('coefficients', `the fmt chunk declares ${count} coefficient pairs; Microsoft ADPCM needs at least the standard ${STANDARD_COEFFICIENT_COUNT}`);
  }
  if (extension.length < 4 + 4 * count) {
    throw invalid('coefficients', `the fmt chunk declares ${count} coefficient pairs (${4 * count} bytes) but holds ${extension.length - 4} bytes of them`);
  }
  const coefficients = Array.from({ length: Math.min(count, MAX_USABLE_COEFFICIENTS) }, (_, i): [number, number] => [
    int16At(extension, 4 + 4 * i),
    int16At(extension, 6 + 4 * i),
  ]);
  return { codec: 'ms-adpcm', blockAlign, framesPerBlock, channels, coefficients };
}

function gsmLayout({ channels, blockAlign, extension }: BlockFmt): BlockLayout {
  if (channels !== 1) throw invalid('channels', `GSM 6.10 in WAV is mono, but the header declares ${channels} channels`);
  if (blockAlign !== GSM_BLOCK_BYTES) {
    throw invalid('block align', `GSM 6.10 in WAV comes in blocks of ${GSM_BLOCK_BYTES} bytes, but the header declares ${blockAlign}`);
  }
  // Bits per sample is not checked: writers put 0 or 4 or anything there, and nothing depends on it.
  checkSamplesPerBlock(extension, GSM_FRAMES_PER_BLOCK, blockAlign);
  return { codec: 'gsm610', blockAlign, framesPerBlock: GSM_FRAMES_PER_BLOCK, channels };
}

/** Checks the fmt fields of a block-coded file; throws AudioError naming the property that contradicts the rest. */
export function blockLayout(fmt: BlockFmt): BlockLayout {
  const codec = BLOCK_CODEC_TAGS[fmt.formatTag];
  if (codec === 'ima-adpcm') return imaLayout(fmt);
  if (codec === 'ms-adpcm') return msLayout(fmt);
  if (codec === 'gsm610') return gsmLayout(fmt);
  throw unsupported('format tag', `format tag 0x${fmt.formatTag.toString(16).padStart(4, '0')} is not a block-coded format`);
}

/**
 * Frames that `bytes` bytes of block data decode to: whole blocks, plus what a cut-off last block yields (see
 * BlockDecoder.decodeBlock).
 */
export function framesInBlocks(layout: BlockLayout, bytes: number): number {
  const whole = Math.floor(bytes / layout.blockAlign);
  const rest = bytes - whole * layout.blockAlign;
  const tail = layout.codec === 'ima-adpcm' ? imaFramesIn(rest, layout.channels) : layout.codec === 'ms-adpcm' ? msFramesIn(rest, layout.channels) : 0;
  return whole * layout.framesPerBlock + tail;
}

export function createBlockDecoder(layout: BlockLayout): BlockDecoder {
  switch (layout.codec) {
    case 'ima-adpcm': return createImaAdpcmDecoder(layout.channels, layout.blockAlign);
    case 'ms-adpcm': return createMsAdpcmDecoder(layout.channels, layout.blockAlign, layout.coefficients);
    case 'gsm610': return createGsm610Decoder();
  }
}
