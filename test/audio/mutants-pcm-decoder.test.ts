// Sample decoding, value by value, for every encoding, size and byte order: the conversion tests compare tones after
// an MP3 round trip, which StrykerJS showed to be blind to a wrong constant or a lost byte (docs/MUTATION.md).
// Expected values come from the G.711 tables and the WAV sample formats, not from the code under test.
import { suite } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { createPcmDecoder } from '../../src/audio/pcm-decoder.js';
import type { WavFormat } from '../../src/audio/wav-header.js';

const decoder = suite('createPcmDecoder');

function format(encoding: 'pcm' | 'float' | 'alaw' | 'mulaw', bytesPerSample: number, channels = 1, littleEndian = true, channelMask = 0): WavFormat {
  return {
    container: littleEndian ? 'RIFF' : 'RIFX',
    littleEndian,
    formatTag: { pcm: 1, float: 3, alaw: 6, mulaw: 7 }[encoding],
    extensible: false,
    encoding,
    channels,
    sampleRate: 8000,
    bytesPerSample,
    bitsPerSample: bytesPerSample * 8,
    channelMask,
    frameBytes: bytesPerSample * channels,
    dataOffset: 44,
    dataBytes: 0,
    frames: 0,
    declaredFrames: 0,
    truncated: false,
  };
}

/** Decodes mono `bytes` of `wav` into one plane. */
function decodeMono(wav: WavFormat, bytes: Uint8Array): number[] {
  const frames = bytes.length / wav.frameBytes;
  const out = [new Float32Array(frames)];
  createPcmDecoder(wav, 1).decode(bytes, frames, out);
  return [...out[0]!];
}

const close = (actual: number[], expected: number[]) =>
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) < 1e-6, `sample ${i} is ${actual[i]}, expected ${e}`));

decoder('when the data is A-law, then codes expand to the G.711 values', () => {
  // 0xD5 and 0x55: the smallest steps, +8 and -8; 0xAA and 0x2A: the largest, ±32256; 0xC5, 0xE5: segments 1 and 3.
  close(decodeMono(format('alaw', 1), Uint8Array.from([0xd5, 0x55, 0xaa, 0x2a, 0xc5, 0xe5])), [8, -8, 32256, -32256, 264, 1056].map((v) => v / 32768));
});

decoder('when the data is µ-law, then codes expand to the G.711 values', () => {
  close(decodeMono(format('mulaw', 1), Uint8Array.from([0xff, 0x7f, 0x80, 0x00, 0xfe, 0xef, 0x9f])), [0, 0, 32124, -32124, 8, 132, 8316].map((v) => v / 32768));
});

decoder('when the data is 8-bit PCM, then 128 is silence and the ends are -1 and 127/128', () => {
  close(decodeMono(format('pcm', 1), Uint8Array.from([0, 128, 255, 192])), [-1, 0, 127 / 128, 0.5]);
});

decoder('when the data is 16-, 24- or 32-bit PCM in either byte order, then every byte counts', () => {
  const values16 = [-32768, 32767, 1, -2, 0x1234];
  const values24 = [-8388608, 8388607, 1, -2, 0x123456];
  const values32 = [-2147483648, 2147483647, 1, -2, 0x12345678];
  for (const littleEndian of [true, false]) {
    const b16 = new Uint8Array(values16.length * 2);
    values16.forEach((v, i) => new DataView(b16.buffer).setInt16(i * 2, v, littleEndian));
    close(decodeMono(format('pcm', 2, 1, littleEndian), b16), values16.map((v) => v / 32768));

    const b24 = new Uint8Array(values24.length * 3);
    values24.forEach((v, i) => {
      const u = v & 0xffffff;
      const bytes = [u & 0xff, (u >> 8) & 0xff, (u >> 16) & 0xff];
      b24.set(littleEndian ? bytes : bytes.reverse(), i * 3);
    });
    close(decodeMono(format('pcm', 3, 1, littleEndian), b24), values24.map((v) => v / 8388608));

    const b32 = new Uint8Array(values32.length * 4);
    values32.forEach((v, i) => new DataView(b32.buffer).setInt32(i * 4, v, littleEndian));
    close(decodeMono(format('pcm', 4, 1, littleEndian), b32), values32.map((v) => v / 2147483648));
  }
});

decoder('when float data holds overs, infinities or NaN, then they are clipped to full scale and NaN is silenced', () => {
  const values = [0.25, -0.5, 1, -1, 1.5, -2, Infinity, -Infinity, NaN, 1e15];
  const expected = [0.25, -0.5, 1, -1, 1, -1, 1, -1, 0, 1];
  for (const littleEndian of [true, false]) {
    for (const bytesPerSample of [4, 8]) {
      const bytes = new Uint8Array(values.length * bytesPerSample);
      const view = new DataView(bytes.buffer);
      values.forEach((v, i) => (bytesPerSample === 8 ? view.setFloat64(i * 8, v, littleEndian) : view.setFloat32(i * 4, v, littleEndian)));
      close(decodeMono(format('float', bytesPerSample, 1, littleEndian), bytes), expected);
    }
  }
  // A value a 32-bit float cannot hold exactly shows whether the 64-bit one was read as such.
  const precise = new Uint8Array(8);
  new DataView(precise.buffer).setFloat64(0, 0.1 + 1e-12, true);
  assert.ok(Math.abs(decodeMono(format('float', 8), precise)[0]! - Math.fround(0.1 + 1e-12)) < 1e-9);
});

decoder('when stereo passes through, then each plane gets its own channel, from the view of the bytes given', () => {
  const stereo = format('pcm', 2, 2);
  // Two bytes of something else first: decode must honour the subarray's offset.
  const backing = new Uint8Array(2 + 3 * 4);
  const bytes = backing.subarray(2);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  [100, -100, 200, -200, 300, -300].forEach((v, i) => view.setInt16(i * 2, v, true));
  backing.set([0x7f, 0x7f], 0);
  const out = [new Float32Array(4).fill(9), new Float32Array(4).fill(9)];
  createPcmDecoder(stereo, 2).decode(bytes, 3, out);
  close([...out[0]!], [100, 200, 300, 9 * 32768].map((v) => v / 32768));
  close([...out[1]!], [-100, -200, -300, 9 * 32768].map((v) => v / 32768));
  assert.is(createPcmDecoder(stereo, 2).outputChannels, 2);
});

decoder('when channels are mixed, then planes that held old samples are cleared first and each input is weighted', () => {
  // Stereo to mono: the mean of left and right.
  const stereo = format('pcm', 2, 2);
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  [1000, 3000, -2000, 4000].forEach((v, i) => view.setInt16(i * 2, v, true));
  const mono = [new Float32Array(3).fill(5)];
  createPcmDecoder(stereo, 1).decode(bytes, 2, mono);
  close([...mono[0]!], [2000 / 32768, 1000 / 32768, 5]);

  // 6 channels (FL FR FC LFE BL BR) to stereo: FL and FC reach the left, the LFE nowhere.
  const surround = format('pcm', 2, 6, true, 0x3f);
  const frame = new Uint8Array(12);
  const fv = new DataView(frame.buffer);
  [8000, 0, 4000, 32000, 0, 2000].forEach((v, i) => fv.setInt16(i * 2, v, true));
  const out = [new Float32Array(1).fill(7), new Float32Array(1).fill(7)];
  createPcmDecoder(surround, 2).decode(frame, 1, out);
  const scale = 1 / (1 + 2 * Math.SQRT1_2);
  close([out[0]![0]!, out[1]![0]!], [((8000 + Math.SQRT1_2 * 4000) * scale) / 32768, ((Math.SQRT1_2 * 4000 + Math.SQRT1_2 * 2000) * scale) / 32768]);
});

decoder.run();
