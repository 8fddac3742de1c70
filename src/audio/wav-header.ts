// Finds the format and the audio data of a RIFF, RIFX or RF64/BW64 WAVE file by walking its chunks with
// positional reads, so that a header behind megabytes of LIST or JUNK costs no more than its own bytes and the
// data itself is never read here.
import { invalid, unsupported } from './audio-error.js';
import { BLOCK_CODEC_TAGS, blockLayout, framesInBlocks, type BlockCodec, type BlockLayout } from './block-codecs.js';

export type SampleEncoding = 'pcm' | 'float' | 'alaw' | 'mulaw' | BlockCodec;

export interface WavFormat {
  container: 'RIFF' | 'RIFX' | 'RF64';
  littleEndian: boolean;
  /** The effective format tag: the sub-format's for WAVE_FORMAT_EXTENSIBLE. */
  formatTag: number;
  extensible: boolean;
  encoding: SampleEncoding;
  channels: number;
  sampleRate: number;
  /**
   * Bytes one sample occupies in the data (the container size, not the valid bits). For a block-coded file, in the
   * 16-bit PCM its blocks decode to.
   */
  bytesPerSample: number;
  /** Bits the header declares (validBits of EXTENSIBLE when given; 4 for ADPCM). */
  bitsPerSample: number;
  /** Speaker positions of EXTENSIBLE files; 0 when the file does not say. */
  channelMask: number;
  /** Bytes of one frame, one sample of every channel: in the data, or for a block-coded file, decoded. */
  frameBytes: number;
  /** How the blocks of an ADPCM or GSM file are laid out; absent for sample-per-sample formats. */
  blocks?: BlockLayout;
  dataOffset: number;
  /** Bytes of audio data present in the file (whole frames, or for a block-coded file, every block byte). */
  dataBytes: number;
  /** Whole frames of audio actually present in the file. */
  frames: number;
  /** Frames the header declares: more than `frames` when the file was cut short. */
  declaredFrames: number;
  /** The data chunk claims more bytes than the file holds (a cut-off recording). */
  truncated: boolean;
}

export type ReadAt = (position: number, length: number) => Promise<Uint8Array>;

export const MIN_SAMPLE_RATE = 4_000;
export const MAX_SAMPLE_RATE = 384_000;
export const MAX_CHANNELS = 8;
// A bound on the chunk walk, so that a file of millions of empty chunks cannot keep a worker busy.
const MAX_CHUNKS = 10_000;
const UNKNOWN_SIZE = 0xffffffff;
// The most of a fmt chunk worth reading: Microsoft ADPCM's extension with a full table of 256 coefficient pairs.
const MAX_FMT_BYTES = 18 + 4 + 256 * 4;

const SUPPORTED = 'supported: PCM, IEEE float, A-law, µ-law, IMA ADPCM, Microsoft ADPCM, GSM 6.10';
const FORMAT_NAMES: Record<number, string> = {
  0x0001: 'PCM',
  0x0002: 'Microsoft ADPCM',
  0x0003: 'IEEE float',
  0x0006: 'A-law',
  0x0007: 'µ-law',
  0x0011: 'IMA ADPCM',
  0x0014: 'ITU G.723 ADPCM',
  0x0020: 'Yamaha ADPCM',
  0x0031: 'GSM 6.10',
  0x0040: 'ITU G.721 ADPCM',
  // 0x0045 and 0x028F are the tags ffmpeg writes for G.726 and G.722; 0x0064 and 0x0065 are mmreg.h's.
  0x0045: 'ITU G.726 ADPCM',
  0x0064: 'ITU G.726 ADPCM',
  0x0065: 'ITU G.722 ADPCM',
  0x028f: 'ITU G.722 ADPCM',
  0x0050: 'MPEG',
  0x0055: 'MPEG Layer 3 (MP3)',
  0x00ff: 'AAC',
  0x0161: 'Windows Media Audio',
  0x2000: 'AC-3',
  0xf1ac: 'FLAC',
};
const ENCODINGS: Record<number, SampleEncoding> = { 1: 'pcm', 3: 'float', 6: 'alaw', 7: 'mulaw' };
const BITS: Record<Exclude<SampleEncoding, BlockCodec>, number[]> = { pcm: [8, 16, 24, 32], float: [32, 64], alaw: [8], mulaw: [8] };

const hex = (tag: number) => '0x' + tag.toString(16).padStart(4, '0').toUpperCase();
const ascii = (b: Uint8Array, at: number) => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);

interface RawFmt {
  formatTag: number;
  extensible: boolean;
  channels: number;
  sampleRate: number;
  /** 0 when a writer left it out; checked against the sample size otherwise. */
  blockAlign: number;
  bitsPerSample: number;
  /** The bytes after cbSize, which block-coded formats use for their parameters. */
  extension: Uint8Array;
  validBits: number;
  channelMask: number;
}

function parseFmt(bytes: Uint8Array, littleEndian: boolean): RawFmt {
  if (bytes.length < 16) throw invalid('fmt chunk', `the fmt chunk is ${bytes.length} bytes; it must be at least 16`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let formatTag = view.getUint16(0, littleEndian);
  const fmt: RawFmt = {
    formatTag,
    extensible: false,
    channels: view.getUint16(2, littleEndian),
    sampleRate: view.getUint32(4, littleEndian),
    blockAlign: view.getUint16(12, littleEndian),
    bitsPerSample: view.getUint16(14, littleEndian),
    extension: bytes.length >= 18 ? bytes.subarray(18, 18 + view.getUint16(16, littleEndian)) : new Uint8Array(0),
    validBits: 0,
    channelMask: 0,
  };
  if (formatTag === 0xfffe) {
    if (bytes.length < 40) throw invalid('fmt chunk', 'a WAVE_FORMAT_EXTENSIBLE fmt chunk must be 40 bytes');
    fmt.extensible = true;
    fmt.validBits = view.getUint16(18, littleEndian);
    fmt.channelMask = view.getUint32(20, littleEndian);
    // The sub-format GUID starts with the ordinary format tag, as a 32-bit field in the file's byte order.
    formatTag = view.getUint32(24, littleEndian);
    fmt.formatTag = formatTag;
  }
  return fmt;
}

type FormatFields = Omit<WavFormat, 'container' | 'littleEndian' | 'dataOffset' | 'dataBytes' | 'frames' | 'declaredFrames' | 'truncated'>;

/**
 * The bytes one sample occupies. Normally the declared bits rounded up to whole bytes; when the block align says the
 * samples sit in wider containers (7 bits in 2-byte samples), the bits are the valid ones, left-justified in their
 * container as WAVE_FORMAT_EXTENSIBLE defines, and the container is read. A block align that fits neither reading is
 * a header that contradicts itself: decoding it either way would make noise.
 */
function sampleContainerBytes(fmt: RawFmt, encoding: SampleEncoding): number {
  const fromBits = Math.ceil(fmt.bitsPerSample / 8);
  if (fmt.blockAlign === 0 || fmt.blockAlign === fromBits * fmt.channels) return fromBits;
  const container = fmt.blockAlign / fmt.channels;
  if (encoding === 'pcm' && Number.isInteger(container) && BITS.pcm.includes(container * 8) && container > fromBits) return container;
  throw invalid(
    'block align',
    `the header declares ${fmt.channels} channel${fmt.channels === 1 ? '' : 's'} of ${fmt.bitsPerSample}-bit samples, which take ` +
      `${fromBits * fmt.channels} bytes per frame, but a block align of ${fmt.blockAlign}`,
  );
}

/** The fields every format takes from the header as they are, with the bytes a sample occupies as read. */
function formatFields(fmt: RawFmt, encoding: SampleEncoding, bytesPerSample: number, blocks?: BlockLayout): FormatFields {
  return {
    formatTag: fmt.formatTag,
    extensible: fmt.extensible,
    encoding,
    channels: fmt.channels,
    sampleRate: fmt.sampleRate,
    bytesPerSample,
    bitsPerSample: fmt.validBits || fmt.bitsPerSample,
    channelMask: fmt.channelMask,
    frameBytes: bytesPerSample * fmt.channels,
    ...(blocks ? { blocks } : {}),
  };
}

function validateSampleFormat(fmt: RawFmt, encoding: Exclude<SampleEncoding, BlockCodec>): FormatFields {
  if (fmt.bitsPerSample === 0) throw invalid('bits per sample', 'the header declares 0 bits per sample');
  const declaredBytes = Math.ceil(fmt.bitsPerSample / 8);
  // PCM of 12 or 20 bits sits in 16- or 24-bit containers; the container is what the decoder reads.
  const containerBits = encoding === 'pcm' ? declaredBytes * 8 : fmt.bitsPerSample;
  if (!BITS[encoding].includes(containerBits)) {
    throw unsupported(
      'bits per sample',
      `${fmt.bitsPerSample}-bit ${FORMAT_NAMES[fmt.formatTag]} is not supported; supported: ${BITS[encoding].join(', ')} bits`,
    );
  }
  if (fmt.validBits > fmt.bitsPerSample) {
    throw invalid('bits per sample', `${fmt.validBits} valid bits do not fit in ${fmt.bitsPerSample}-bit samples`);
  }
  return formatFields(fmt, encoding, sampleContainerBytes(fmt, encoding));
}

function validate(fmt: RawFmt): FormatFields {
  const encoding = ENCODINGS[fmt.formatTag] ?? BLOCK_CODEC_TAGS[fmt.formatTag];
  if (!encoding) {
    const name = FORMAT_NAMES[fmt.formatTag];
    throw unsupported('format tag', `format tag ${hex(fmt.formatTag)}${name ? ` (${name})` : ''} is not supported; ${SUPPORTED}`);
  }
  if (fmt.channels === 0) throw invalid('channels', 'the header declares 0 channels; a WAV needs at least 1');
  if (fmt.channels > MAX_CHANNELS) {
    throw unsupported('channels', `${fmt.channels} channels are not supported; supported: 1 to ${MAX_CHANNELS}`);
  }
  if (fmt.sampleRate === 0) throw invalid('sample rate', 'the header declares a sample rate of 0 Hz');
  if (fmt.sampleRate < MIN_SAMPLE_RATE || fmt.sampleRate > MAX_SAMPLE_RATE) {
    throw unsupported(
      'sample rate',
      `a sample rate of ${fmt.sampleRate} Hz is not supported; supported: ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz`,
    );
  }
  if (encoding === 'ima-adpcm' || encoding === 'ms-adpcm' || encoding === 'gsm610') {
    // In a WAVE_FORMAT_EXTENSIBLE header the extension holds valid bits, mask and GUID, not the codec's parameters.
    const blocks = blockLayout(fmt.extensible ? { ...fmt, extension: new Uint8Array(0) } : fmt);
    // Blocks decode to 16-bit PCM, which is what the sample decoder then reads.
    return formatFields(fmt, encoding, 2, blocks);
  }
  return validateSampleFormat(fmt, encoding);
}

/**
 * Reads the header of a WAV of `fileBytes` bytes. Throws AudioError for anything that is not a WAV we convert.
 * Sizes of 0 or 0xFFFFFFFF (written by streaming tools that cannot seek back) mean "up to the end of the file".
 */
export async function readWavHeader(readAt: ReadAt, fileBytes: number): Promise<WavFormat> {
  const head = await readAt(0, 12);
  const riffId = head.length >= 4 ? ascii(head, 0) : '';
  if (head.length < 12 || !['RIFF', 'RIFX', 'RF64', 'BW64'].includes(riffId) || ascii(head, 8) !== 'WAVE') {
    throw unsupported('container', 'the file is not a RIFF/WAVE file; supported: RIFF, RIFX, RF64 and BW64 WAVE files');
  }
  const container = riffId === 'RIFX' ? 'RIFX' : riffId === 'RIFF' ? 'RIFF' : 'RF64';
  const littleEndian = container !== 'RIFX';
  let ds64DataBytes: number | undefined;
  let fmt: RawFmt | undefined;
  let data: { offset: number; declared: number | undefined } | undefined;
  let factFrames: number | undefined;

  let position = 12;
  for (let n = 0; n < MAX_CHUNKS && position + 8 <= fileBytes; n++) {
    const header = await readAt(position, 8);
    if (header.length < 8) break;
    const id = ascii(header, 0);
    const size = new DataView(header.buffer, header.byteOffset, 8).getUint32(4, littleEndian);
    const body = position + 8;
    if (id === 'ds64') {
      const ds64 = await readAt(body, Math.min(size, 28));
      if (ds64.length >= 16) {
        const view = new DataView(ds64.buffer, ds64.byteOffset, ds64.byteLength);
        ds64DataBytes = Number(view.getBigUint64(8, true));
      }
    } else if (id === 'fmt ') {
      fmt = parseFmt(await readAt(body, Math.min(size, MAX_FMT_BYTES)), littleEndian);
      if (data) break;
    } else if (id === 'fact' && size >= 4) {
      const fact = await readAt(body, 4);
      if (fact.length === 4) factFrames = new DataView(fact.buffer, fact.byteOffset, 4).getUint32(0, littleEndian);
    } else if (id === 'data') {
      const unknown = size === 0 || size === UNKNOWN_SIZE;
      const declared = container === 'RF64' && size === UNKNOWN_SIZE ? ds64DataBytes : unknown ? undefined : size;
      data = { offset: body, declared };
      // Chunks after the data (LIST at the end, a fmt written last) matter only if the data has a known end.
      if (fmt || declared === undefined) break;
      position = body + declared + (declared & 1);
      continue;
    }
    if (size === UNKNOWN_SIZE) throw invalid(`${id.trim()} chunk`, `the ${JSON.stringify(id)} chunk has no size`);
    position = body + size + (size & 1);
  }

  if (!fmt) throw invalid('fmt chunk', 'the file has no fmt chunk, so its sample format is unknown');
  const format = validate(fmt);
  if (!data) throw invalid('data chunk', 'the file has no data chunk, so there is no audio to convert');
  const available = Math.max(0, fileBytes - data.offset);
  const bytes = data.declared === undefined ? available : Math.min(data.declared, available);
  const { blocks } = format;
  const framesIn = (n: number) => (blocks ? framesInBlocks(blocks, n) : Math.floor(n / format.frameBytes));
  let declaredFrames = framesIn(data.declared ?? available);
  // A block-coded file's last block is padded to the block size; its fact chunk says how many samples are real. A count
  // that ends before the last block is no padding but a writer's mistake (libsndfile's stereo IMA ADPCM files count
  // half their frames): it is ignored, as ffmpeg ignores every fact chunk, so that no audio is silently dropped.
  if (blocks && factFrames && factFrames > declaredFrames - blocks.framesPerBlock) declaredFrames = Math.min(declaredFrames, factFrames);
  const frames = Math.min(framesIn(bytes), declaredFrames);
  if (frames === 0) throw invalid('data chunk', 'the data chunk holds no complete audio frame');
  return {
    container,
    littleEndian,
    ...format,
    dataOffset: data.offset,
    dataBytes: blocks ? bytes : frames * format.frameBytes,
    frames,
    declaredFrames,
    truncated: data.declared !== undefined && data.declared > available,
  };
}
