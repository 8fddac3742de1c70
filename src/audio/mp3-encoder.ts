// The one interface both LAME builds are driven through, and what each can be asked to do.

export type EncoderName = 'wasm' | 'lamejs';

/** The sample rates MPEG-1, -2 and -2.5 Layer III can carry. */
export const MP3_SAMPLE_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000] as const;
/** Constant bitrates LAME accepts (it lowers them to what the output sample rate's MPEG version allows). */
export const MP3_BITRATES_KBPS = [8, 16, 24, 32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320] as const;

export interface EncoderSettings {
  /** Rate of the PCM handed to encode(). */
  inputSampleRate: number;
  outputSampleRate: number;
  channels: 1 | 2;
  /** Exactly one of bitrateKbps (CBR) and vbrQuality (0 best … 9 smallest). */
  bitrateKbps?: number;
  vbrQuality?: number;
}

export interface Mp3Encoder {
  /**
   * Encodes `frames` samples of each plane. The returned bytes are valid only until the next call: the caller
   * copies them out (the WebAssembly build returns a view into its own memory).
   */
  encode(planes: Float32Array[], frames: number): Uint8Array;
  /** Flushes the last frames. Same lifetime rule as encode(). */
  finish(): Uint8Array;
}

/** The MP3 sample rate closest to `rate`, ties going up (fewer lost highs). */
export function nearestMp3SampleRate(rate: number): number {
  let best: number = MP3_SAMPLE_RATES[0];
  for (const candidate of MP3_SAMPLE_RATES) {
    if (Math.abs(candidate - rate) <= Math.abs(best - rate)) best = candidate;
  }
  return best;
}
