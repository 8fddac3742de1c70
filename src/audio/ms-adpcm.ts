// Microsoft ADPCM (format tag 0x0002, 4 bits per sample), mono or stereo. A block starts with the predictor index of
// each channel (1 byte each), then the initial delta, the second and the first sample of each channel (int16 each);
// the block plays sample 2, then sample 1, then one sample per nibble, high nibble first, the channels taking turns.
import { invalid } from './audio-error.js';
import type { BlockDecoder } from './block-codecs.js';

const ADAPTATION = new Int32Array([230, 230, 230, 230, 307, 409, 512, 614, 768, 614, 512, 409, 307, 230, 230, 230]);
const MIN_DELTA = 16;
// ffmpeg's ceiling: beyond it delta·768 would overflow 32 bits. Only a corrupt block gets there.
const MAX_DELTA = Math.floor(0x7fffffff / 768);

/** Bytes of the per-channel block header. */
export const MS_HEADER_BYTES = 7;

/**
 * Samples per channel in a block of `bytes` bytes (mono or stereo): the header's two, then one per nibble. A short last
 * block plays as far as its bytes go, as in ffmpeg; without the whole header there is nothing to play.
 */
export function msFramesIn(bytes: number, channels: number): number {
  const headerBytes = MS_HEADER_BYTES * channels;
  return bytes < headerBytes ? 0 : 2 + ((bytes - headerBytes) * 2) / channels;
}

const int16At = (bytes: Uint8Array, at: number) => ((bytes[at]! | (bytes[at + 1]! << 8)) << 16) >> 16;

/**
 * `coefficients` are the file's pairs (at least the standard seven). A block that selects a pair the file does not
 * list is refused with an AudioError: ffmpeg drops such a block (and refuses any index above 6, since it ignores the
 * file's table), which silently shortens the recording; no coefficient we could substitute would be the right one.
 */
export function createMsAdpcmDecoder(
  channels: number,
  blockAlign: number,
  coefficients: ReadonlyArray<readonly [number, number]>,
): BlockDecoder {
  if (channels !== 1 && channels !== 2) throw new RangeError(`Microsoft ADPCM has 1 or 2 channels, not ${channels}`);
  const first = Int32Array.from(coefficients, (pair) => pair[0]);
  const second = Int32Array.from(coefficients, (pair) => pair[1]);
  const headerBytes = MS_HEADER_BYTES * channels;
  // Per channel: the prediction filter's two coefficients, its two most recent samples and the step size.
  const coefficient1 = new Int32Array(channels);
  const coefficient2 = new Int32Array(channels);
  const sample1 = new Int32Array(channels);
  const sample2 = new Int32Array(channels);
  const delta = new Int32Array(channels);
  let blocksDecoded = 0;
  return {
    blockAlign,
    framesPerBlock: msFramesIn(blockAlign, channels),
    decodeBlock(block, out) {
      const length = Math.min(block.length, blockAlign);
      if (length < headerBytes) return 0;
      for (let channel = 0; channel < channels; channel++) {
        const pair = block[channel]!;
        if (pair >= first.length) {
          throw invalid(
            'coefficients',
            `block ${blocksDecoded + 1} selects coefficient pair ${pair} for channel ${channel + 1}, but the fmt chunk lists ${first.length}`,
          );
        }
        coefficient1[channel] = first[pair]!;
        coefficient2[channel] = second[pair]!;
        delta[channel] = int16At(block, channels + 2 * channel);
        sample1[channel] = int16At(block, 3 * channels + 2 * channel);
        sample2[channel] = int16At(block, 5 * channels + 2 * channel);
        out[channel] = sample2[channel]!;
        out[channels + channel] = sample1[channel]!;
      }
      let o = 2 * channels;
      let channel = 0;
      for (let i = headerBytes; i < length; i++) {
        const byte = block[i]!;
        for (let shift = 4; shift >= 0; shift -= 4) {
          const nibble = (byte >> shift) & 0x0f;
          const s1 = sample1[channel]!;
          const step = delta[channel]!;
          // Truncating division, as Microsoft's format document and ffmpeg have it; Windows' own codec shifts
          // (rounds down) and differs by 1 now and then.
          let sample = ((s1 * coefficient1[channel]! + sample2[channel]! * coefficient2[channel]!) / 256) | 0;
          sample += (nibble & 8 ? nibble - 16 : nibble) * step;
          if (sample > 32767) sample = 32767;
          else if (sample < -32768) sample = -32768;
          sample2[channel] = s1;
          sample1[channel] = sample;
          out[o++] = sample;
          const next = (ADAPTATION[nibble]! * step) >> 8;
          delta[channel] = next < MIN_DELTA ? MIN_DELTA : next > MAX_DELTA ? MAX_DELTA : next;
          if (++channel === channels) channel = 0;
        }
      }
      blocksDecoded++;
      return msFramesIn(length, channels);
    },
  };
}
