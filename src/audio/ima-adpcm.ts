// IMA/DVI ADPCM as Microsoft stores it in WAV (format tag 0x0011, 4 bits per sample). Each block starts with a
// 4-byte header per channel (predictor, step index, reserved byte); the header's predictor is the block's first
// sample. Then come groups of 4 bytes (8 nibbles, low nibble first) that take turns between the channels.
import type { BlockDecoder } from './block-codecs.js';

const STEP_SIZES = [
  7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97, 107, 118,
  130, 143, 157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724, 796, 876, 963, 1060,
  1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327, 3660, 4026, 4428, 4871, 5358, 5894, 6484,
  7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767,
];
const INDEX_STEPS = [-1, -1, -1, -1, 2, 4, 6, 8];
const MAX_STEP_INDEX = STEP_SIZES.length - 1;

/** Bytes of the per-channel block header, and of one group of 8 samples of one channel. */
export const IMA_HEADER_BYTES = 4;
export const IMA_GROUP_BYTES = 4;
const SAMPLES_PER_GROUP = 8;

// Indexed by stepIndex·8 + magnitude (the nibble without its sign bit), so that one sample costs two lookups.
// The difference is ((2·magnitude + 1)·step) >> 3, as ffmpeg computes it. The IMA reference (and Microsoft's codec)
// sums shifted steps instead (step>>3 + step·b2 + step>>1·b1 + step>>2·b0), which rounds down several times and
// drifts from ffmpeg's result by tens of LSB within a block; ffmpeg is what our tests, and most users, compare with.
const DIFFERENCES = new Int32Array(STEP_SIZES.length * 8);
const NEXT_INDEX = new Uint8Array(STEP_SIZES.length * 8);
for (let index = 0; index <= MAX_STEP_INDEX; index++) {
  for (let magnitude = 0; magnitude < 8; magnitude++) {
    DIFFERENCES[index * 8 + magnitude] = ((2 * magnitude + 1) * STEP_SIZES[index]!) >> 3;
    NEXT_INDEX[index * 8 + magnitude] = Math.min(MAX_STEP_INDEX, Math.max(0, index + INDEX_STEPS[magnitude]!));
  }
}

/**
 * Samples per channel in a block of `bytes` bytes: the header's sample, then 8 per whole group of every channel. A short
 * last block yields its whole groups only, as in ffmpeg: a partial group cannot be told from padding.
 */
export function imaFramesIn(bytes: number, channels: number): number {
  const headerBytes = IMA_HEADER_BYTES * channels;
  if (bytes < headerBytes) return 0;
  return 1 + Math.floor((bytes - headerBytes) / (IMA_GROUP_BYTES * channels)) * SAMPLES_PER_GROUP;
}

export function createImaAdpcmDecoder(channels: number, blockAlign: number): BlockDecoder {
  const headerBytes = IMA_HEADER_BYTES * channels;
  const groupRowBytes = IMA_GROUP_BYTES * channels;
  return {
    blockAlign,
    framesPerBlock: imaFramesIn(blockAlign, channels),
    decodeBlock(block, out) {
      const frames = imaFramesIn(Math.min(block.length, blockAlign), channels);
      if (frames === 0) return 0;
      const groups = (frames - 1) / SAMPLES_PER_GROUP;
      for (let channel = 0; channel < channels; channel++) {
        const at = channel * IMA_HEADER_BYTES;
        let predictor = ((block[at]! | (block[at + 1]! << 8)) << 16) >> 16;
        // The reserved byte is ignored and an index past the table is clamped, as libsndfile does; ffmpeg drops
        // such a block instead, which would shorten the recording.
        let index = Math.min(block[at + 2]!, MAX_STEP_INDEX);
        out[channel] = predictor;
        let o = channel + channels;
        for (let group = 0, i = headerBytes + at; group < groups; group++, i += groupRowBytes) {
          for (let b = i; b < i + IMA_GROUP_BYTES; b++) {
            const byte = block[b]!;
            for (let shift = 0; shift <= 4; shift += 4) {
              const nibble = (byte >> shift) & 0x0f;
              const key = index * 8 + (nibble & 7);
              predictor = nibble & 8 ? predictor - DIFFERENCES[key]! : predictor + DIFFERENCES[key]!;
              if (predictor > 32767) predictor = 32767;
              else if (predictor < -32768) predictor = -32768;
              index = NEXT_INDEX[key]!;
              out[o] = predictor;
              o += channels;
            }
          }
        }
      }
      return frames;
    },
  };
}
