// The pure-JavaScript LAME port. Slower and plainer than the WebAssembly build (CBR only, plain stereo), kept as
// an alternative that needs no WebAssembly. What it cannot do right is refused before it runs (see encoder-limits).
import { Mp3Encoder as LameJs } from '@breezystack/lamejs';
import type { EncoderSettings, Mp3Encoder } from './mp3-encoder.js';

function toInt16(source: Float32Array, target: Int16Array, frames: number): Int16Array {
  for (let i = 0; i < frames; i++) {
    const s = source[i]! * 32768;
    target[i] = s >= 32767 ? 32767 : s <= -32768 ? -32768 : Math.round(s);
  }
  return frames === target.length ? target : target.subarray(0, frames);
}

export function createLameJsEncoder(settings: EncoderSettings): Mp3Encoder {
  const lame = new LameJs(settings.channels, settings.inputSampleRate, settings.bitrateKbps ?? 128);
  let scratch: Int16Array[] = [];
  // Its typings promise Uint8Array; it returns Int8Array. Reinterpret, don't copy.
  const bytes = (out: Uint8Array | Int8Array) => new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  return {
    encode(planes, frames) {
      if (!scratch[0] || scratch[0].length < frames) scratch = planes.map(() => new Int16Array(frames));
      const pcm = planes.map((p, c) => toInt16(p, scratch[c]!, frames));
      return bytes(settings.channels === 2 ? lame.encodeBuffer(pcm[0]!, pcm[1]!) : lame.encodeBuffer(pcm[0]!));
    },
    finish: () => bytes(lame.flush()),
  };
}
