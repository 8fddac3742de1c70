/**
 * Why an input cannot be converted. `unsupported` means a valid file of a kind we do not handle (ADPCM, MP3 in
 * WAV, 12 channels); `invalid` means a header that contradicts itself or lacks what any WAV must have; `option`
 * means an output option that the configured encoder cannot honour for this input; `too-long` means the recording
 * exceeds the server's duration limit.
 * Plain data so that it crosses the worker boundary unchanged.
 */
export type AudioProblemKind = 'unsupported' | 'invalid' | 'option' | 'too-long';

export interface AudioProblem {
  kind: AudioProblemKind;
  /** The header property at fault, e.g. "format tag", "channels", "sample rate". */
  property: string;
  /** A sentence that says what is wrong and what is supported. */
  message: string;
}

export class AudioError extends Error implements AudioProblem {
  override name = 'AudioError';
  constructor(
    readonly kind: AudioProblemKind,
    readonly property: string,
    message: string,
  ) {
    super(message);
  }

  toProblem(): AudioProblem {
    return { kind: this.kind, property: this.property, message: this.message };
  }
}

export const unsupported = (property: string, message: string) => new AudioError('unsupported', property, message);
export const invalid = (property: string, message: string) => new AudioError('invalid', property, message);
export const badOption = (property: string, message: string) => new AudioError('option', property, message);
export const tooLong = (property: string, message: string) => new AudioError('too-long', property, message);
