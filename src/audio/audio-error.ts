/**
 * Why an input cannot be converted. `unsupported` means a valid file of a kind we do not handle (ADPCM, MP3 in
 * WAV, 12 channels); `invalid` means a header that contradicts itself or lacks what any WAV must have; `option`
 * means an output option that the configured encoder cannot honour for this input; `too-long` means the recording
 * exceeds the server's duration limit; `too-large` means the MP3 would need more bytes than the caller allows
 * (`bytes`: at least how many).
 * Plain data so that it crosses the worker boundary unchanged.
 */
export type AudioProblemKind = 'unsupported' | 'invalid' | 'option' | 'too-long' | 'too-large';

export interface AudioProblem {
  kind: AudioProblemKind;
  /** The header property at fault, e.g. "format tag", "channels", "sample rate". */
  property: string;
  /** A sentence that says what is wrong and what is supported. */
  message: string;
  bytes?: number;
}

export class AudioError extends Error implements AudioProblem {
  override name = 'AudioError';
  constructor(
    readonly kind: AudioProblemKind,
    readonly property: string,
    message: string,
    readonly bytes?: number,
  ) {
    super(message);
  }

  toProblem(): AudioProblem {
    return { kind: this.kind, property: this.property, message: this.message, ...(this.bytes === undefined ? {} : { bytes: this.bytes }) };
  }
}

export const unsupported = (property: string, message: string) => new AudioError('unsupported', property, message);
export const invalid = (property: string, message: string) => new AudioError('invalid', property, message);
export const badOption = (property: string, message: string) => new AudioError('option', property, message);
export const tooLong = (property: string, message: string) => new AudioError('too-long', property, message);
export const tooLarge = (property: string, message: string, bytes: number) => new AudioError('too-large', property, message, bytes);
