// The WASM LAME instances a thread keeps for the next encoder (src/audio/wasm-lame-encoder.ts): an instance taken back
// must encode exactly as a new one, and two encoders alive at once must never share one.
import { createHash } from 'node:crypto';
import * as assert from 'uvu/assert';
import type { EncoderSettings } from '../../src/audio/mp3-encoder.js';
import { compileLameWasm, createWasmLameEncoder } from '../../src/audio/wasm-lame-encoder.js';
import { musicLike } from '../fixtures/signals.js';
import { mp3FrameHeaders } from '../support/mp3-frame-headers.js';
import { test } from '../support/suite.js';

const RATE = 44_100;
const CHUNK = 1152 * 20;

/** A few seconds of the music-like test signal; lengths differ, so contents differ. */
const planes = (seconds: number) => musicLike(seconds, RATE, 2);

const cbr: EncoderSettings = { inputSampleRate: RATE, outputSampleRate: RATE, channels: 2, bitrateKbps: 128 };
const vbr: EncoderSettings = { inputSampleRate: RATE, outputSampleRate: 22_050, channels: 2, vbrQuality: 2 };

/** Feeds `audio` to an encoder chunk by chunk, `between` running after each chunk; the SHA-256 of what it wrote. */
async function encodeAll(
  module: WebAssembly.Module,
  settings: EncoderSettings,
  audio: Float32Array[],
  between: () => Promise<void> = async () => {},
): Promise<string> {
  const encoder = await createWasmLameEncoder(module, settings);
  const hash = createHash('sha256');
  for (let at = 0; at < audio[0]!.length; at += CHUNK) {
    const chunk = audio.map((plane) => plane.slice(at, at + CHUNK));
    hash.update(encoder.encode(chunk, chunk[0]!.length));
    await between();
  }
  hash.update(encoder.finish());
  return hash.digest('hex');
}

test('when an instance is taken back after other encodings with other settings, then it writes the same bytes as the first time', async () => {
  const module = await compileLameWasm();
  const first = planes(4);
  const other = planes(3);
  const fresh = await encodeAll(module, cbr, first);
  await encodeAll(module, vbr, other);
  // Abandoned half way: its instance is never given back, and nothing of it leaks into the next encoder.
  const abandoned = await createWasmLameEncoder(module, cbr);
  abandoned.encode(other, CHUNK);
  assert.is(await encodeAll(module, cbr, first), fresh);
  assert.is.not(await encodeAll(module, cbr, other), fresh, 'different audio, different bytes');
});

test('when two encoders run interleaved in one thread, then each writes what it writes alone', async () => {
  const module = await compileLameWasm();
  const a = planes(4);
  const b = planes(3);
  const aloneA = await encodeAll(module, cbr, a);
  const aloneB = await encodeAll(module, vbr, b);
  // Each yields after every chunk, so the two alternate chunk by chunk.
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  const [together, alsoTogether] = await Promise.all([encodeAll(module, cbr, a, tick), encodeAll(module, vbr, b, tick)]);
  assert.is(together, aloneA);
  assert.is(alsoTogether, aloneB);
});

test("when an encoder finishes, then the last bytes it returns stay whole while the next encoder writes", async () => {
  const module = await compileLameWasm();
  const first = await createWasmLameEncoder(module, cbr);
  first.encode(planes(2), 2 * RATE);
  const last = first.finish();
  const copy = last.slice();
  const next = await createWasmLameEncoder(module, cbr);
  next.encode(planes(1), RATE);
  next.finish();
  assert.ok(last.length > 0);
  assert.equal(last, copy);
});

/** What an encoder writes for `audio` in one call, and its frames. */
async function encodeOnce(module: WebAssembly.Module, settings: EncoderSettings, audio: Float32Array[], frames = audio[0]!.length) {
  const encoder = await createWasmLameEncoder(module, settings);
  const bytes = Buffer.concat([encoder.encode(audio, frames).slice(), encoder.finish()]);
  const headers = mp3FrameHeaders(bytes).filter((frame) => !frame.isTag);
  return { bytes, headers, modes: new Set(headers.map((frame) => bytes[frame.offset + 3]! >> 6)) };
}

test('when settings are given, then the frames carry that bitrate, rate and channel mode, 128 kbps when none is asked, and VBR varies', async () => {
  const module = await compileLameWasm();
  const audio = planes(2);
  const bitrates = (headers: { bitrateKbps: number }[]) => [...new Set(headers.map((frame) => frame.bitrateKbps))];
  const at320 = await encodeOnce(module, { ...cbr, bitrateKbps: 320 }, audio);
  assert.equal(bitrates(at320.headers), [320]);
  assert.equal(bitrates((await encodeOnce(module, { inputSampleRate: RATE, outputSampleRate: RATE, channels: 2 }, audio)).headers), [128], 'the default');
  const resampled = await encodeOnce(module, { ...cbr, outputSampleRate: 22_050, bitrateKbps: 64 }, audio);
  assert.equal([...new Set(resampled.headers.map((frame) => frame.sampleRate))], [22_050]);
  assert.equal(bitrates(resampled.headers), [64]);
  const mono = await encodeOnce(module, { ...cbr, channels: 1 }, [audio[0]!]);
  assert.equal([...mono.modes], [3], 'mono');
  assert.not.ok(at320.modes.has(3), 'stereo is not mono');
  const variable = await encodeOnce(module, { ...vbr, outputSampleRate: RATE }, audio);
  assert.ok(bitrates(variable.headers).length > 2, `VBR: ${bitrates(variable.headers)}`);
  const smallest = await encodeOnce(module, { ...vbr, outputSampleRate: RATE, vbrQuality: 9 }, audio);
  assert.ok(smallest.bytes.length < variable.bytes.length, 'quality 9 is smaller than 2');
});

test('when fewer frames than the planes hold are encoded, then only those are', async () => {
  const module = await compileLameWasm();
  const audio = planes(2);
  const part = await encodeOnce(module, cbr, audio, RATE);
  const cut = await encodeOnce(module, cbr, audio.map((plane) => plane.slice(0, RATE)));
  assert.ok(part.bytes.equals(cut.bytes));
  assert.not.ok(part.bytes.equals((await encodeOnce(module, cbr, audio)).bytes));
});

test.run();
