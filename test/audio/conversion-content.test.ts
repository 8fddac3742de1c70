// What the MP3 carries, checked where a fault could hide behind the right length and channel count: the downmix
// weights of every surround layout, the audio across many ~1 MiB reads of a long file, and the frames a VBR request
// really produced.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import type { ConversionOptions } from '../../src/audio/convert-wav.js';
import { compileLameWasm } from '../../src/audio/wasm-lame-encoder.js';
import { musicLike } from '../fixtures/signals.js';
import { encodeWav, type WavSpec } from '../fixtures/wav-writer.js';
import { toneAmplitude } from '../support/audio-analysis.js';
import { convertToMp3 } from '../support/convert-to-mp3.js';
import { mp3FrameHeaders } from '../support/mp3-frame-headers.js';
import { suite } from '../support/suite.js';

interface Context {
  dir: string;
  wasm: WebAssembly.Module;
}

const content = suite<Context>('what the MP3 carries', {} as Context);
content.before(async (context) => {
  context.dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-content-'));
  context.wasm = await compileLameWasm();
});
content.after(async ({ dir }) => rm(dir, { recursive: true, force: true }));

async function convert(context: Context, spec: WavSpec, source: Float32Array[], options: ConversionOptions) {
  const file = path.join(context.dir, `${Math.random().toString(36).slice(2)}.wav`);
  await writeFile(file, encodeWav(spec, source));
  return convertToMp3(file, options, context.wasm);
}

const tone = (freqHz: number, amplitude: number, frames: number, rate: number, phase = 0) =>
  Float32Array.from({ length: frames }, (_, i) => amplitude * Math.sin((2 * Math.PI * freqHz * i) / rate + phase));

// ITU-R BS.775 as the README states it: front left/right whole, centre and surrounds at -3 dB, LFE dropped; the
// layout of each channel count is WAVE_FORMAT_EXTENSIBLE's default (the mask the test writer declares).
const H = Math.SQRT1_2;
const SPEAKER_WEIGHTS: Record<string, [number, number]> = { FL: [1, 0], FR: [0, 1], FC: [H, H], LFE: [0, 0], BL: [H, 0], BR: [0, H], SL: [H, 0], SR: [0, H] };
const LAYOUTS: Record<number, string[]> = {
  3: ['FL', 'FR', 'FC'],
  4: ['FL', 'FR', 'BL', 'BR'],
  6: ['FL', 'FR', 'FC', 'LFE', 'BL', 'BR'],
  8: ['FL', 'FR', 'FC', 'LFE', 'BL', 'BR', 'SL', 'SR'],
};
const TONE_AMPLITUDE = 0.1;
const toneOfChannel = (c: number) => 300 + 200 * c;

for (const [channels, speakers] of Object.entries(LAYOUTS).map(([n, s]) => [Number(n), s] as const)) {
  for (const mono of [false, true]) {
    content(`when ${channels} channels are folded into ${mono ? 'mono' : 'stereo'}, then each channel's tone arrives with its BS.775 weight`, async (context) => {
      const rate = 48000;
      const frames = rate;
      const source = speakers.map((_, c) => tone(toneOfChannel(c), TONE_AMPLITUDE, frames, rate));
      const { decoded } = await convert(context, { sampleRate: rate, channels, extensible: channels !== 3 }, source, { encoder: 'wasm', bitrateKbps: 320, mono });
      const left = speakers.map((s) => SPEAKER_WEIGHTS[s]![0]);
      const right = speakers.map((s) => SPEAKER_WEIGHTS[s]![1]);
      const scale = 1 / Math.max(left.reduce((a, b) => a + b), right.reduce((a, b) => a + b), 1);
      const expected = mono ? [left.map((l, c) => ((l + right[c]!) / 2) * scale)] : [left.map((l) => l * scale), right.map((r) => r * scale)];
      assert.is(decoded.channels.length, expected.length);
      expected.forEach((weights, out) => {
        weights.forEach((weight, c) => {
          const measured = toneAmplitude(decoded.channels[out]!, decoded.sampleRate, toneOfChannel(c));
          const want = weight * TONE_AMPLITUDE;
          assert.ok(Math.abs(measured - want) <= 0.03 * TONE_AMPLITUDE + 0.05 * want, `output ${out}, ${speakers[c]} (${toneOfChannel(c)} Hz): amplitude ${measured.toFixed(4)}, expected ${want.toFixed(4)}`);
        });
      });
    });
  }
}

/** Signal-to-noise ratio (dB) of `decoded` against `reference`, window by window. */
function windowedSnr(reference: Float32Array, decoded: Float32Array, window: number): number[] {
  const out: number[] = [];
  for (let start = 0; start + window <= Math.min(reference.length, decoded.length); start += window) {
    let signal = 0;
    let noise = 0;
    for (let i = start; i < start + window; i++) {
      signal += reference[i]! ** 2;
      noise += (reference[i]! - decoded[i]!) ** 2;
    }
    out.push(10 * Math.log10(signal / Math.max(noise, 1e-12)));
  }
  return out;
}

// The converter reads about 1 MiB of WAV at a time; a fault at the seams (a sample lost, repeated or zeroed) keeps
// the length right. 20 s of 16-bit stereo is five reads, of 8-bit mono one and a half.
const LONG_INPUTS: [string, WavSpec, number][] = [
  ['16-bit stereo 44.1 kHz', { sampleRate: 44100, channels: 2 }, 20],
  ['8-bit mono 22.05 kHz', { sampleRate: 22050, channels: 1, bitsPerSample: 8 }, 70],
];
for (const [name, spec, seconds] of LONG_INPUTS) {
  content(`when a ${seconds} s ${name} WAV is read in many pieces, then every 20 ms of every channel matches the source`, async (context) => {
    const frames = seconds * spec.sampleRate;
    // Tones with periods that share no small multiple, different per channel: a sample lost or repeated at a seam
    // shifts what follows out of phase, which the window's SNR shows.
    const source = Array.from({ length: spec.channels }, (_, c) => {
      const a = tone(441 + 97 * c, 0.4, frames, spec.sampleRate);
      const b = tone(1303 - 61 * c, 0.2, frames, spec.sampleRate, 1);
      return a.map((v, i) => v + b[i]!);
    });
    const { decoded } = await convert(context, spec, source, { encoder: 'wasm', bitrateKbps: 192 });
    assert.is(decoded.samples, frames);
    for (let c = 0; c < spec.channels; c++) {
      const snr = windowedSnr(source[c]!, decoded.channels[c]!, Math.round(spec.sampleRate * 0.02));
      const worst = snr.reduce((w, v, i) => (v < w.v ? { v, i } : w), { v: Infinity, i: -1 });
      assert.ok(worst.v >= 12, `channel ${c}: the window at ${(worst.i * 0.02).toFixed(2)} s has an SNR of ${worst.v.toFixed(1)} dB`);
    }
  });
}

content('when VBR is asked, then the frames vary in bitrate with the music and the quality moves the average', async (context) => {
  const rate = 44100;
  const source = musicLike(8, rate, 2);
  const averageKbps = async (options: ConversionOptions) => {
    const { mp3 } = await convert(context, { sampleRate: rate, channels: 2 }, source, options);
    const frames = mp3FrameHeaders(mp3);
    assert.ok(frames[0]!.isTag, 'the first frame is the Xing/LAME tag');
    const audio = frames.filter((f) => !f.isTag);
    return { kbps: audio.reduce((sum, f) => sum + f.bitrateKbps, 0) / audio.length, distinct: new Set(audio.map((f) => f.bitrateKbps)).size, tag: mp3.subarray(frames[0]!.offset, frames[0]!.offset + frames[0]!.bytes) };
  };
  const best = await averageKbps({ encoder: 'wasm', vbrQuality: 0 });
  const smallest = await averageKbps({ encoder: 'wasm', vbrQuality: 9 });
  const cbr = await averageKbps({ encoder: 'wasm', bitrateKbps: 160 });
  assert.ok(best.distinct >= 3 && smallest.distinct >= 3, `distinct frame bitrates: V0 ${best.distinct}, V9 ${smallest.distinct}`);
  assert.ok(best.kbps > smallest.kbps * 1.5, `average bitrate: V0 ${best.kbps.toFixed(0)} kbps, V9 ${smallest.kbps.toFixed(0)} kbps`);
  assert.match(Buffer.from(best.tag).toString('latin1'), 'Xing', 'a VBR stream is tagged Xing');
  assert.is(cbr.distinct, 1);
  assert.is(cbr.kbps, 160);
  assert.match(Buffer.from(cbr.tag).toString('latin1'), 'Info', 'a CBR stream is tagged Info');
});

content.run();
