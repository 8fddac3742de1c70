// For the tests of the block decoders (IMA ADPCM, Microsoft ADPCM, GSM 6.10): reads and writes the two RIFF chunks a
// block-coded WAV needs, decodes one with our decoders, and runs ffmpeg, the reference they are checked against.
import { execFileSync } from 'node:child_process';
import { blockLayout, createBlockDecoder, type BlockFmt } from '../../src/audio/block-codecs.js';

export interface CodedWav {
  fmt: BlockFmt & { sampleRate: number };
  data: Uint8Array;
}

const ascii = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));

/** The fmt and data chunks of a little-endian RIFF WAVE file; the data stops at the end of the file if cut short. */
export function readCodedWav(file: Uint8Array): CodedWav {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let fmt: CodedWav['fmt'] | undefined;
  for (let at = 12; at + 8 <= file.length; ) {
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (ascii(file, at) === 'fmt ') {
      const extensionBytes = size >= 18 ? view.getUint16(body + 16, true) : 0;
      fmt = {
        formatTag: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        blockAlign: view.getUint16(body + 12, true),
        bitsPerSample: view.getUint16(body + 14, true),
        extension: file.slice(body + 18, body + 18 + Math.min(extensionBytes, Math.max(0, size - 18))),
      };
    } else if (ascii(file, at) === 'data') {
      if (!fmt) throw new Error('the data chunk comes before the fmt chunk');
      return { fmt, data: file.subarray(body, Math.min(file.length, body + size)) };
    }
    at = body + size + (size & 1);
  }
  throw new Error('no fmt and data chunks');
}

/**
 * A WAV with an 18-byte fmt chunk plus the extension, a fact chunk when `factFrames` is given, and the data; `data`
 * may end in a partial block.
 */
export function writeCodedWav({ fmt, data }: CodedWav, factFrames?: number): Uint8Array {
  const fmtBytes = 18 + fmt.extension.length;
  const fmtPadded = fmtBytes + (fmtBytes & 1);
  const factBytes = factFrames === undefined ? 0 : 12;
  const file = new Uint8Array(12 + 8 + fmtPadded + factBytes + 8 + data.length + (data.length & 1));
  const view = new DataView(file.buffer);
  const writeId = (at: number, id: string) => file.set(Array.from(id, (c) => c.charCodeAt(0)), at);
  writeId(0, 'RIFF');
  view.setUint32(4, file.length - 8, true);
  writeId(8, 'WAVE');
  writeId(12, 'fmt ');
  view.setUint32(16, fmtBytes, true);
  view.setUint16(20, fmt.formatTag, true);
  view.setUint16(22, fmt.channels, true);
  view.setUint32(24, fmt.sampleRate, true);
  // Bytes per second at about 4 bits a sample: readers take it for estimates only.
  view.setUint32(28, Math.round((fmt.sampleRate * fmt.channels) / 2), true);
  view.setUint16(32, fmt.blockAlign, true);
  view.setUint16(34, fmt.bitsPerSample, true);
  view.setUint16(36, fmt.extension.length, true);
  file.set(fmt.extension, 38);
  if (factFrames !== undefined) {
    writeId(20 + fmtPadded, 'fact');
    view.setUint32(24 + fmtPadded, 4, true);
    view.setUint32(28 + fmtPadded, factFrames, true);
  }
  const dataAt = 20 + fmtPadded + factBytes;
  writeId(dataAt, 'data');
  view.setUint32(dataAt + 4, data.length, true);
  file.set(data, dataAt + 8);
  return file;
}

/** Our decoding of the whole data chunk, block by block, as interleaved 16-bit samples. */
export function decodeCodedWav({ fmt, data }: CodedWav): Int16Array {
  const layout = blockLayout(fmt);
  const decoder = createBlockDecoder(layout);
  const block = new Int16Array(layout.framesPerBlock * layout.channels);
  const out = new Int16Array(Math.ceil(data.length / layout.blockAlign) * block.length);
  let samples = 0;
  for (let at = 0; at < data.length; at += layout.blockAlign) {
    const frames = decoder.decodeBlock(data.subarray(at, at + layout.blockAlign), block);
    out.set(block.subarray(0, frames * layout.channels), samples);
    samples += frames * layout.channels;
  }
  return out.slice(0, samples);
}

/** Runs ffmpeg quietly and returns its standard output. A missing ffmpeg fails with the fix, not a skip. */
export function ffmpeg(args: string[]): Buffer {
  try {
    return execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], {
      maxBuffer: 1 << 30,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error("ffmpeg is not installed; install Debian's package (apt-get install -y ffmpeg)");
    }
    throw error;
  }
}

/** ffmpeg's decoding of a file to interleaved 16-bit samples; `decoder` picks one (e.g. libgsm_ms over gsm_ms). */
export function ffmpegDecode(path: string, decoder?: string): Int16Array {
  const raw = ffmpeg([...(decoder ? ['-c:a', decoder] : []), '-i', path, '-f', 's16le', '-']);
  return new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

/** The largest |a[i] − b[i]| over the common length, and where it is. */
export function maxDifference(a: Int16Array, b: Int16Array): { max: number; at: number } {
  let max = 0;
  let at = -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const difference = Math.abs(a[i]! - b[i]!);
    if (difference > max) [max, at] = [difference, i];
  }
  return { max, at };
}
