// Every kind of WAV people upload, through the real conversion function and both encoders, decoded back with a
// decoder that honours the LAME tag: duration, channels and content must survive.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { AudioError } from '../../src/audio/audio-error.js';
import type { ConversionOptions, ConversionSummary } from '../../src/audio/convert-wav.js';
import type { EncoderName } from '../../src/audio/mp3-encoder.js';
import { compileLameWasm } from '../../src/audio/wasm-lame-encoder.js';
import { encodeWav, type WavSpec } from '../fixtures/wav-writer.js';
import { bestCorrelation, dominantFrequency, resampleLinearForComparison, rms } from '../support/audio-analysis.js';
import { convertToMp3 } from '../support/convert-to-mp3.js';
import type { DecodedMp3 } from '../support/mp3-decode.js';

interface Context {
  dir: string;
  wasm: WebAssembly.Module;
}

/** Two tones under 2 kHz: representable at every rate we accept, from 4 kHz up. */
function twoTones(seconds: number, rate: number, channel: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * rate));
  const low = 440 + channel * 110;
  for (let i = 0; i < out.length; i++) {
    out[i] = 0.45 * Math.sin((2 * Math.PI * low * i) / rate) + 0.25 * Math.sin((2 * Math.PI * 1250 * i) / rate);
  }
  return out;
}

async function convert(context: Context, spec: WavSpec, options: ConversionOptions, seconds = 1) {
  const source = Array.from({ length: spec.channels }, (_, c) => twoTones(seconds, spec.sampleRate, c));
  const file = path.join(context.dir, `${Math.random().toString(36).slice(2)}.wav`);
  await writeFile(file, encodeWav(spec, source));
  return { source, ...(await convertToMp3(file, options, context.wasm)) };
}

function assertFaithful(
  { source, summary, mp3, decoded }: { source: Float32Array[]; summary: ConversionSummary; mp3: Uint8Array; decoded: DecodedMp3 },
  spec: WavSpec,
  expect: { channels: number; sampleRate: number },
) {
  assert.is(summary.output.bytes, mp3.length);
  assert.is(decoded.channels.length, expect.channels);
  assert.is(decoded.sampleRate, expect.sampleRate);
  // Exact, resampled or not: the LAME tag's gapless length says how many samples the source makes at the output rate.
  assert.is(decoded.samples, Math.round((source[0]!.length * expect.sampleRate) / spec.sampleRate), 'decoded samples per channel');
  // Every channel against its own source (each carries its own tone), at the output rate, folded like the encoder's input.
  for (let c = 0; c < expect.channels; c++) {
    const reference = resampleLinearForComparison(expect.channels === 1 && source.length > 1 ? mean(source) : source[c]!, spec.sampleRate, expect.sampleRate);
    const { correlation, lag } = bestCorrelation(reference, decoded.channels[c]!, 64);
    assert.ok(correlation >= 0.95, `channel ${c}: correlation ${correlation.toFixed(3)} at lag ${lag}`);
    assert.ok(Math.abs(lag) <= 2, `channel ${c}: the MP3 is ${lag} samples off the source`);
    const expected = dominantFrequency(reference, expect.sampleRate);
    assert.ok(Math.abs(dominantFrequency(decoded.channels[c]!, decoded.sampleRate) - expected) < 3, `channel ${c}: the strongest tone moved`);
  }
}

const mean = (planes: Float32Array[]) => planes[0]!.map((_, i) => planes.reduce((sum, p) => sum + p[i]!, 0) / planes.length);

for (const encoder of ['wasm', 'lamejs'] as EncoderName[]) {
  const formats = suite<Context>(`convertWavFile with the ${encoder} encoder`, {} as Context);
  formats.before(async (context) => {
    context.dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-convert-'));
    context.wasm = await compileLameWasm();
  });
  formats.after(async ({ dir }) => rm(dir, { recursive: true, force: true }));

  const inputs: [string, WavSpec][] = [
    ['8-bit PCM', { sampleRate: 22050, channels: 1, bitsPerSample: 8 }],
    ['16-bit PCM stereo', { sampleRate: 44100, channels: 2 }],
    ['24-bit PCM', { sampleRate: 48000, channels: 2, bitsPerSample: 24 }],
    ['32-bit PCM', { sampleRate: 44100, channels: 1, bitsPerSample: 32 }],
    ['32-bit float', { sampleRate: 44100, channels: 2, encoding: 'float', bitsPerSample: 32 }],
    ['64-bit float', { sampleRate: 32000, channels: 1, encoding: 'float', bitsPerSample: 64 }],
    ['A-law', { sampleRate: 8000, channels: 1, encoding: 'alaw' }],
    ['µ-law', { sampleRate: 8000, channels: 1, encoding: 'mulaw' }],
    ['WAVE_FORMAT_EXTENSIBLE 24-bit', { sampleRate: 48000, channels: 2, bitsPerSample: 24, extensible: true }],
    ['RIFX (big-endian)', { sampleRate: 44100, channels: 2, container: 'RIFX' }],
    ['RIFX with a WAVE_FORMAT_EXTENSIBLE float fmt', { sampleRate: 44100, channels: 2, container: 'RIFX', extensible: true, encoding: 'float', bitsPerSample: 32 }],
    ['RF64', { sampleRate: 44100, channels: 2, container: 'RF64' }],
    ['unknown sizes (0xFFFFFFFF)', { sampleRate: 44100, channels: 2, unknownSizes: 0xffffffff }],
    ['unknown sizes (0)', { sampleRate: 16000, channels: 1, unknownSizes: 0 }],
    [
      'LIST, JUNK, bext and fact chunks with odd sizes',
      {
        sampleRate: 44100,
        channels: 2,
        extraChunks: [
          { id: 'JUNK', data: new Uint8Array(27), where: 'before-fmt' },
          { id: 'bext', data: new Uint8Array(603), where: 'before-data' },
          { id: 'fact', data: new Uint8Array(4), where: 'before-data' },
          { id: 'LIST', data: new Uint8Array(33), where: 'after-data' },
        ],
      },
    ],
  ];
  for (const [name, spec] of inputs) {
    formats(`when the WAV is ${name}, then the MP3 decodes to the same length, channels and content`, async (context) => {
      const result = await convert(context, spec, { encoder });
      assertFaithful(result, spec, { channels: spec.channels, sampleRate: spec.sampleRate });
    });
  }

  formats('when a float WAV holds overs, huge values and NaN, then they are clipped and the MP3 is still valid', async (context) => {
    const rate = 44100;
    const samples = twoTones(1, rate, 0);
    for (const [i, value] of [[1000, 1.7], [2000, -3], [3000, 1e15], [4000, Number.NaN], [5000, -5e21]] as const) samples[i] = value;
    const file = path.join(context.dir, 'overs.wav');
    await writeFile(file, encodeWav({ sampleRate: rate, channels: 1, encoding: 'float', bitsPerSample: 32 }, [samples]));
    const { decoded } = await convertToMp3(file, { encoder }, context.wasm);
    assert.is(decoded.samples, rate);
  });

  formats('when the data chunk is cut short mid-sample, then what is there converts', async (context) => {
    const spec: WavSpec = { sampleRate: 44100, channels: 2, truncateDataBytes: 44_101 };
    const result = await convert(context, spec, { encoder });
    assert.is(result.summary.input.truncated, true);
    const frames = Math.floor((44100 * 4 - 44_101) / 4);
    assert.is(result.decoded.samples, frames);
  });

  for (const channels of [3, 4, 6, 8]) {
    formats(`when the WAV has ${channels} channels, then they are downmixed to stereo`, async (context) => {
      const spec: WavSpec = { sampleRate: 48000, channels, extensible: channels !== 3 };
      const { decoded, summary } = await convert(context, spec, { encoder });
      assert.is(summary.input.channels, channels);
      assert.is(decoded.channels.length, 2);
      assert.is(summary.output.channels, 2);
    });
  }

  formats('when mono is asked for a stereo WAV, then the MP3 has one channel with both channels mixed', async (context) => {
    const spec: WavSpec = { sampleRate: 44100, channels: 2 };
    const result = await convert(context, spec, { encoder, mono: true });
    assert.is(result.summary.output.channels, 1);
    assertFaithful(result, spec, { channels: 1, sampleRate: 44100 });
  });

  formats('when a bitrate is asked, then the MP3 has it', async (context) => {
    const spec: WavSpec = { sampleRate: 44100, channels: 2 };
    const small = await convert(context, spec, { encoder, bitrateKbps: 112 });
    const large = await convert(context, spec, { encoder, bitrateKbps: 320 });
    assert.is(small.summary.output.bitrateKbps, 112);
    assert.is(large.summary.output.bitrateKbps, 320);
    assert.ok(large.mp3.length > small.mp3.length * 2.5);
    assertFaithful(small, spec, { channels: 2, sampleRate: 44100 });
    assertFaithful(large, spec, { channels: 2, sampleRate: 44100 });
  });

  formats('when the bitrate is more than the output rate carries, then LAME lowers it and the answer says so', async (context) => {
    const result = await convert(context, { sampleRate: 8000, channels: 1 }, { encoder, bitrateKbps: 320 });
    assert.is(result.summary.output.bitrateKbps, 64);
  });

  const resampled: [number, number][] = [
    [4000, 8000],
    [6000, 8000],
    [7350, 8000],
    [11000, 11025],
    [20000, 22050],
    [88200, 48000],
    [96000, 48000],
    [192000, 48000],
    [384000, 48000],
  ];
  for (const [inputRate, outputRate] of resampled) {
    formats(`when the WAV is at ${inputRate} Hz, then ${encoder === 'wasm' ? `it is resampled to ${outputRate} Hz` : 'lamejs refuses it instead of writing wrong audio'}`, async (context) => {
      const spec: WavSpec = { sampleRate: inputRate, channels: 1 };
      if (encoder === 'lamejs') {
        try {
          await convert(context, spec, { encoder });
          assert.unreachable('lamejs converted a rate it cannot resample');
        } catch (error) {
          assert.instance(error, AudioError);
          assert.is((error as AudioError).kind, 'option');
          assert.is((error as AudioError).property, 'sample rate');
        }
        return;
      }
      const result = await convert(context, spec, { encoder });
      assert.is(result.summary.output.sampleRate, outputRate);
      assertFaithful(result, spec, { channels: 1, sampleRate: outputRate });
    });
  }

  if (encoder === 'wasm') {
    formats('when a 96 kHz WAV holds a 40 kHz tone, then resampling to 48 kHz filters it out instead of aliasing it to 8 kHz', async (context) => {
      const rate = 96000;
      const samples = new Float32Array(rate);
      for (let i = 0; i < samples.length; i++) samples[i] = 0.5 * Math.sin((2 * Math.PI * 40000 * i) / rate) + 0.1 * Math.sin((2 * Math.PI * 440 * i) / rate);
      const file = path.join(context.dir, 'ultrasonic.wav');
      await writeFile(file, encodeWav({ sampleRate: rate, channels: 1 }, [samples]));
      const { decoded } = await convertToMp3(file, { encoder }, context.wasm);
      assert.is(decoded.sampleRate, 48000);
      // What is left is the 440 Hz tone (RMS 0.07); an alias of the 40 kHz tone would be 0.35 at 8 kHz.
      assert.ok(Math.abs(dominantFrequency(decoded.channels[0]!, 48000) - 440) < 3, 'the strongest tone is the audible one');
      assert.ok(rms(decoded.channels[0]!) < 0.1, `RMS ${rms(decoded.channels[0]!).toFixed(3)}`);
    });
  }

  if (encoder === 'lamejs') {
    formats('when a bitrate so low that lamejs would resample is asked, then it is refused naming the minimum', async (context) => {
      try {
        await convert(context, { sampleRate: 44100, channels: 2 }, { encoder, bitrateKbps: 64 });
        assert.unreachable('lamejs accepted 64 kbps stereo at 44.1 kHz');
      } catch (error) {
        assert.is((error as AudioError).property, 'bitrate');
        assert.match((error as AudioError).message, /at least 112 kbps/);
      }
    });

    formats('when VBR is asked of lamejs, then it is refused as an unavailable option', async (context) => {
      try {
        await convert(context, { sampleRate: 44100, channels: 1 }, { encoder, vbrQuality: 2 });
        assert.unreachable('lamejs accepted VBR');
      } catch (error) {
        assert.is((error as AudioError).kind, 'option');
        assert.is((error as AudioError).property, 'vbr');
      }
    });
  } else {
    formats('when VBR is asked, then the MP3 is VBR and still exact in length', async (context) => {
      const spec: WavSpec = { sampleRate: 44100, channels: 2 };
      const result = await convert(context, spec, { encoder, vbrQuality: 2 });
      assert.is(result.summary.output.vbrQuality, 2);
      assertFaithful(result, spec, { channels: 2, sampleRate: 44100 });
    });
  }

  formats.run();
}
