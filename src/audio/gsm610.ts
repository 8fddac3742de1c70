// GSM 06.10 full-rate (RPE-LTP) speech as Microsoft stores it in WAV (format tag 0x0031, "WAV49"): 65-byte blocks,
// each holding two 260-bit frames packed least significant bit first, 160 samples each. The decoder follows the
// fixed-point arithmetic of ETSI GSM 06.10 section 4.3 step by step (saturating 16-bit adds, rounded multiplies), so
// its output is that of the reference implementation (libgsm) bit for bit. Filter state runs on across blocks.
import type { BlockDecoder } from './block-codecs.js';

export const GSM_BLOCK_BYTES = 65;
export const GSM_FRAMES_PER_BLOCK = 320;
const SAMPLES_PER_FRAME = 160;
const SUBFRAMES = 4;
const SUBFRAME_SAMPLES = 40;
const PULSES = 13;
/** The long-term predictor looks back at most this far: the lag Nc is 40..120. */
const MAX_LAG = 120;

/**
 * Bit widths of one frame's 76 parameters in transmission order: the 8 log-area ratios, then per sub-frame the LTP lag
 * Nc, the LTP gain bc, the RPE grid position Mc, the block maximum xmaxc and 13 RPE pulses xMc.
 */
const FIELD_BITS = Uint8Array.from([
  6, 6, 5, 5, 4, 4, 3, 3,
  ...Array.from({ length: SUBFRAMES }, () => [7, 2, 2, 6, ...new Array<number>(PULSES).fill(3)]).flat(),
]);
const LAR_FIELDS = 8;
const SUBFRAME_FIELDS = 4 + PULSES;

// The specification's constants: B, MIC and INVA decode the log-area ratios, QLB the LTP gain, FAC the APCM mantissa.
const LAR_B = [0, 0, 2048, -2560, 94, -1792, -341, -1144];
const LAR_MIC = [-32, -32, -16, -16, -8, -8, -4, -4];
const LAR_INVA = [13107, 13107, 13107, 13107, 19223, 17476, 31454, 29708];
const LTP_GAINS = [3277, 11469, 21299, 32767];
const APCM_FACTORS = [18431, 20479, 22527, 24575, 26623, 28671, 30719, 32767];
/** Coefficient of the de-emphasis filter, 0.86 in Q15. */
const DEEMPHASIS = 28180;

const MIN_WORD = -32768;
const MAX_WORD = 32767;
const saturate = (x: number) => (x > MAX_WORD ? MAX_WORD : x < MIN_WORD ? MIN_WORD : x);
/** The specification's add and sub: 16-bit results that saturate instead of wrapping. */
const add = (a: number, b: number) => saturate(a + b);
/** mult_r: a·b in Q15, rounded; -1·-1 would be +1, one past the largest word. */
const multR = (a: number, b: number) => (a === MIN_WORD && b === MIN_WORD ? MAX_WORD : (a * b + 16384) >> 15);

export function createGsm610Decoder(): BlockDecoder {
  const fields = new Int32Array(FIELD_BITS.length);
  // Reconstructed short-term residual: MAX_LAG past samples, then the sub-frame being built.
  const residual = new Int32Array(MAX_LAG + SUBFRAME_SAMPLES);
  const excitation = new Int32Array(SUBFRAME_SAMPLES);
  const pulses = new Int32Array(PULSES);
  const frameResidual = new Int32Array(SAMPLES_PER_FRAME);
  // Decoded log-area ratios (LARpp) of this frame and of the previous one; the two arrays swap roles every frame.
  let logAreas = new Int32Array(8);
  let previousLogAreas = new Int32Array(8);
  const reflection = new Int32Array(8);
  const lattice = new Int32Array(9);
  let previousLag = 40;
  let deemphasised = 0;

  function unpackFrame(block: Uint8Array, firstBit: number): void {
    let bit = firstBit;
    for (let f = 0; f < FIELD_BITS.length; f++) {
      let value = 0;
      for (let b = 0, width = FIELD_BITS[f]!; b < width; b++, bit++) value |= ((block[bit >> 3]! >> (bit & 7)) & 1) << b;
      fields[f] = value;
    }
  }

  /** 4.2.16 to 4.2.17: the 13 pulses of a sub-frame, scaled back, on every third sample from the grid position. */
  function decodeExcitation(field: number): void {
    const gridPosition = fields[field + 2]!;
    const xmaxc = fields[field + 3]!;
    // xmaxc is a 6-bit floating-point value: split it into a 3-bit mantissa and an exponent.
    let exponent = xmaxc > 15 ? (xmaxc >> 3) - 1 : 0;
    let mantissa = xmaxc - (exponent << 3);
    if (mantissa === 0) {
      exponent = -4;
      mantissa = 7;
    } else {
      while (mantissa <= 7) {
        mantissa = (mantissa << 1) | 1;
        exponent--;
      }
      mantissa -= 8;
    }
    const factor = APCM_FACTORS[mantissa]!;
    const shift = 6 - exponent; // 0..10
    const rounding = shift > 0 ? 1 << (shift - 1) : 0;
    for (let i = 0; i < PULSES; i++) {
      const pulse = ((fields[field + 4 + i]! << 1) - 7) << 12; // the 3-bit code is a signed odd value -7..7
      pulses[i] = add(multR(factor, pulse), rounding) >> shift;
    }
    excitation.fill(0);
    for (let i = 0; i < PULSES; i++) excitation[gridPosition + 3 * i] = pulses[i]!;
  }

  /** 4.3.2: adds the long-term prediction to the excitation, giving the next 40 samples of the residual. */
  function longTermSynthesis(field: number, subframe: number): void {
    const lagCode = fields[field]!;
    // Lags outside 40..120 cannot be coded by a conforming encoder; the specification reuses the previous one.
    const lag = lagCode < 40 || lagCode > MAX_LAG ? previousLag : lagCode;
    previousLag = lag;
    const gain = LTP_GAINS[fields[field + 1]!]!;
    for (let k = 0; k < SUBFRAME_SAMPLES; k++) {
      const value = add(excitation[k]!, multR(gain, residual[MAX_LAG + k - lag]!));
      residual[MAX_LAG + k] = value;
      frameResidual[subframe * SUBFRAME_SAMPLES + k] = value;
    }
    residual.copyWithin(0, SUBFRAME_SAMPLES);
  }

  /** 4.2.8 inverted: coded log-area ratios back to LARpp. */
  function decodeLogAreas(): void {
    const swap = previousLogAreas;
    previousLogAreas = logAreas;
    logAreas = swap;
    for (let i = 0; i < 8; i++) {
      let value = (fields[i]! + LAR_MIC[i]!) << 10;
      value = saturate(value - (LAR_B[i]! << 1));
      value = multR(LAR_INVA[i]!, value);
      logAreas[i] = add(value, value);
    }
  }

  /**
   * 4.2.9 and 4.2.10: reflection coefficients from log-area ratios interpolated between the previous frame's and this
   * frame's, in `quarters` of this frame's weight: 1 for samples 0..12, 2 for 13..26, 3 for 27..39, 4 for the rest.
   */
  function reflectionCoefficients(quarters: number): void {
    for (let i = 0; i < 8; i++) {
      const lar = logAreas[i]!;
      const old = previousLogAreas[i]!;
      let value: number;
      if (quarters === 1) value = add(add(old >> 2, lar >> 2), old >> 1);
      else if (quarters === 2) value = add(old >> 1, lar >> 1);
      else if (quarters === 3) value = add(add(old >> 2, lar >> 2), lar >> 1);
      else value = lar;
      // The log-area ratio to reflection coefficient mapping is piecewise linear and odd.
      const magnitude = value < 0 ? (value === MIN_WORD ? MAX_WORD : -value) : value;
      const mapped = magnitude < 11059 ? magnitude << 1 : magnitude < 20070 ? magnitude + 11059 : add(magnitude >> 2, 26112);
      reflection[i] = value < 0 ? -mapped : mapped;
    }
  }

  /** 4.3.4: the short-term synthesis lattice filter over samples [from, to) of the frame. */
  function shortTermSynthesis(out: Int16Array, outAt: number, from: number, to: number): void {
    for (let k = from; k < to; k++) {
      let sample = frameResidual[k]!;
      for (let i = 7; i >= 0; i--) {
        const r = reflection[i]!;
        sample = saturate(sample - multR(r, lattice[i]!));
        lattice[i + 1] = add(lattice[i]!, multR(r, sample));
      }
      lattice[0] = sample;
      // 4.3.5 and 4.3.6: de-emphasis, then upscaling to 16 bits with the 3 bits below the 13-bit signal cleared.
      deemphasised = add(sample, multR(deemphasised, DEEMPHASIS));
      out[outAt + k] = add(deemphasised, deemphasised) & ~7;
    }
  }

  function decodeFrame(block: Uint8Array, firstBit: number, out: Int16Array, outAt: number): void {
    unpackFrame(block, firstBit);
    for (let subframe = 0; subframe < SUBFRAMES; subframe++) {
      const field = LAR_FIELDS + subframe * SUBFRAME_FIELDS;
      decodeExcitation(field);
      longTermSynthesis(field, subframe);
    }
    decodeLogAreas();
    reflectionCoefficients(1);
    shortTermSynthesis(out, outAt, 0, 13);
    reflectionCoefficients(2);
    shortTermSynthesis(out, outAt, 13, 27);
    reflectionCoefficients(3);
    shortTermSynthesis(out, outAt, 27, 40);
    reflectionCoefficients(4);
    shortTermSynthesis(out, outAt, 40, SAMPLES_PER_FRAME);
  }

  return {
    blockAlign: GSM_BLOCK_BYTES,
    framesPerBlock: GSM_FRAMES_PER_BLOCK,
    decodeBlock(block, out) {
      // ffmpeg refuses a packet shorter than a block, so a cut-off last block plays nothing.
      if (block.length < GSM_BLOCK_BYTES) return 0;
      decodeFrame(block, 0, out, 0);
      decodeFrame(block, 260, out, SAMPLES_PER_FRAME);
      return GSM_FRAMES_PER_BLOCK;
    },
  };
}
