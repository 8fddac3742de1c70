/**
 * Decodes MP3 bytes back to PCM so tests can assert on what the service produced.
 *
 * Gapless behaviour of mpg123-decoder 1.0.3 (measured, not assumed): gapless is on by default and
 * honours the Xing/Info + LAME tag. A sine encoded by the native `lame` CLI (3.100; CBR 128 and -V 2,
 * at 22.05, 44.1 and 48 kHz) decodes to exactly the source length with zero lag. Without the tag
 * (`lame -t`, and everything wasm-media-encoders 0.7 or @breezystack/lamejs produce, since neither
 * writes a tag frame) nothing is trimmed: the output starts with UNTAGGED_MP3_LEADING_DELAY_SAMPLES
 * of delay (LAME's 576 encoder delay plus the 529-sample decoder delay) and ends padded to a whole
 * frame, e.g. 88,323 source samples → 89,856 decoded at 44.1 kHz (1,105 leading + 428 trailing).
 *
 * mpg123-decoder always returns two channels, duplicating mono; we read the first frame header to
 * hand back the channel count the file really has.
 */
import { MPEGDecoder } from 'mpg123-decoder';

/** Leading delay in decoded output of an MP3 from LAME (or a port of it) that carries no LAME tag. */
export const UNTAGGED_MP3_LEADING_DELAY_SAMPLES = 1105;

export interface DecodedMp3 {
  channels: Float32Array[];
  sampleRate: number;
  /** Per channel. */
  samples: number;
}

/** Throws if the bytes hold no MPEG audio or if any frame fails to decode, so corrupt output fails a test. */
export async function decodeMp3(bytes: Uint8Array): Promise<DecodedMp3> {
  const decoder = new MPEGDecoder();
  await decoder.ready;
  try {
    const decoded = decoder.decode(bytes);
    if (decoded.errors.length > 0) {
      const messages = decoded.errors.map((e) => `${e.message} at input byte ${e.inputBytes}`);
      throw new Error(`MP3 decode errors: ${messages.join('; ')}`);
    }
    if (decoded.samplesDecoded === 0) throw new Error('no MPEG audio frames found');
    const channelCount = isMono(bytes) ? 1 : 2;
    return {
      channels: decoded.channelData.slice(0, channelCount),
      sampleRate: decoded.sampleRate,
      samples: decoded.samplesDecoded,
    };
  } finally {
    decoder.free();
  }
}

/** Channel mode of the first frame header, after skipping an ID3v2 tag if there is one. */
function isMono(bytes: Uint8Array): boolean {
  let offset = 0;
  if (bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) {
    // ID3v2: 10-byte header, 28-bit "syncsafe" size (7 bits per byte), optional 10-byte footer.
    const size = ((bytes[6]! & 0x7f) << 21) | ((bytes[7]! & 0x7f) << 14) | ((bytes[8]! & 0x7f) << 7) | (bytes[9]! & 0x7f);
    offset = 10 + size + (bytes[5]! & 0x10 ? 10 : 0);
  }
  for (; offset + 3 < bytes.length; offset++) {
    const isFrameSync = bytes[offset] === 0xff && (bytes[offset + 1]! & 0xe0) === 0xe0;
    const hasValidFields =
      ((bytes[offset + 1]! >> 1) & 0x3) !== 0 && // layer
      bytes[offset + 2]! >> 4 !== 0xf && // bitrate index
      ((bytes[offset + 2]! >> 2) & 0x3) !== 0x3; // sample-rate index
    if (isFrameSync && hasValidFields) return bytes[offset + 3]! >> 6 === 0x3; // mode 3 = single channel
  }
  return false;
}
