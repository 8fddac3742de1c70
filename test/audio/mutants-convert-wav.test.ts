// What convertWavFile promises beyond the audio itself, where StrykerJS showed the conversion tests blind
// (docs/MUTATION.md): lamejs's lowest bitrate per rate and channel count, the exact refusals, the duration limit at
// its edge, and the summary (byte count, audio hash, Info frame offset, the ID3 title and length).
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { AudioError } from '../../src/audio/audio-error.js';
import { convertWavFile, type ConversionOptions, type ConversionSummary } from '../../src/audio/convert-wav.js';
import { parseFrameHeader } from '../../src/audio/mp3-frames.js';
import { compileLameWasm } from '../../src/audio/wasm-lame-encoder.js';
import { sine } from '../fixtures/signals.js';
import { encodeWav, type WavSpec } from '../fixtures/wav-writer.js';
import { suite } from '../support/suite.js';

interface Context {
  dir: string;
  wasm: WebAssembly.Module;
}

const convert = suite<Context>('convertWavFile, around the audio', {} as Context);
convert.before(async (context) => {
  context.dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-mutants-convert-'));
  context.wasm = await compileLameWasm();
});
convert.after(async ({ dir }) => rm(dir, { recursive: true, force: true }));

async function run(context: Context, spec: WavSpec, options: ConversionOptions, seconds = 0.05) {
  const file = path.join(context.dir, `${Math.random().toString(36).slice(2)}.wav`);
  await writeFile(file, encodeWav(spec, Array.from({ length: spec.channels }, () => sine(440, seconds, spec.sampleRate))));
  const parts: Uint8Array[] = [];
  const summary = await convertWavFile(file, options, (bytes) => void parts.push(bytes), context.wasm);
  return { summary, bytes: new Uint8Array(Buffer.concat(parts)) };
}

async function refusal(context: Context, spec: WavSpec, options: ConversionOptions, seconds = 0.05): Promise<AudioError> {
  try {
    await run(context, spec, options, seconds);
  } catch (error) {
    if (error instanceof AudioError) return error;
    throw error;
  }
  throw new Error('the conversion was accepted');
}

// The lowest bitrate lamejs keeps each rate at, and the step below it that LAME's table offers at that rate.
const LAMEJS_MINIMUMS: [rate: number, channels: 1 | 2, minimum: number, below: number][] = [
  [24000, 1, 40, 32],
  [32000, 1, 48, 40],
  [44100, 1, 64, 56],
  [48000, 1, 64, 56],
  [22050, 2, 48, 40],
  [24000, 2, 64, 56],
  [32000, 2, 80, 64],
  [44100, 2, 112, 96],
  [48000, 2, 128, 112],
];

convert('when lamejs is asked for less than its minimum at a rate, then it is refused naming that minimum; the minimum itself is encoded', async (context) => {
  for (const [sampleRate, channels, minimum, below] of LAMEJS_MINIMUMS) {
    const error = await refusal(context, { sampleRate, channels }, { encoder: 'lamejs', bitrateKbps: below });
    assert.is(error.kind, 'option');
    assert.is(error.property, 'bitrate');
    const layout = channels === 1 ? 'mono' : 'stereo';
    assert.is(error.message, `the lamejs encoder this server runs would resample ${layout} ${sampleRate} Hz audio at ${below} kbps; ask for at least ${minimum} kbps`);
    const { summary } = await run(context, { sampleRate, channels }, { encoder: 'lamejs', bitrateKbps: minimum });
    assert.equal([summary.output.sampleRate, summary.output.bitrateKbps, summary.output.channels], [sampleRate, minimum, channels]);
  }
});

convert('when lamejs gets a rate outside its minimum tables, then 32 kbps is its floor', async (context) => {
  // 22.05 kHz mono and 16 kHz stereo have no entry: anything LAME offers from 32 kbps up is accepted.
  const mono = await run(context, { sampleRate: 22050, channels: 1 }, { encoder: 'lamejs', bitrateKbps: 32 });
  assert.is(mono.summary.output.bitrateKbps, 32);
  const stereo = await run(context, { sampleRate: 16000, channels: 2 }, { encoder: 'lamejs', bitrateKbps: 32 });
  assert.is(stereo.summary.output.bitrateKbps, 32);
  const under = await refusal(context, { sampleRate: 16000, channels: 2 }, { encoder: 'lamejs', bitrateKbps: 24 });
  assert.match(under.message, /ask for at least 32 kbps$/);
});

convert('when stereo is folded to mono, then lamejs is held to the mono minimum, not the stereo one', async (context) => {
  const { summary } = await run(context, { sampleRate: 44100, channels: 2 }, { encoder: 'lamejs', bitrateKbps: 64, mono: true });
  assert.equal([summary.output.channels, summary.output.bitrateKbps], [1, 64]);
});

convert('when lamejs gets VBR or a rate it cannot keep, then the refusal says exactly what to send instead', async (context) => {
  const vbr = await refusal(context, { sampleRate: 44100, channels: 1 }, { encoder: 'lamejs', vbrQuality: 2 });
  assert.is(vbr.message, 'the lamejs encoder this server runs encodes constant bitrate only; send `bitrate` instead of `vbr`');
  const rate = await refusal(context, { sampleRate: 20000, channels: 1 }, { encoder: 'lamejs' });
  assert.equal([rate.kind, rate.property], ['option', 'sample rate']);
  assert.is(rate.message, 'the lamejs encoder this server runs cannot resample 20000 Hz; supported: 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000 Hz');
});

convert('when a recording lasts exactly the limit, then it is converted; longer, it is refused with both durations', async (context) => {
  const spec: WavSpec = { sampleRate: 8000, channels: 1 };
  const { summary } = await run(context, spec, { encoder: 'wasm', maxDurationSeconds: 1 }, 1);
  assert.is(summary.input.durationSeconds, 1);
  const error = await refusal(context, spec, { encoder: 'wasm', maxDurationSeconds: 1 }, 1.6);
  assert.equal([error.kind, error.property], ['too-long', 'duration']);
  assert.is(error.message, 'the recording lasts 2 s; this server converts at most 1 s');
});

convert('when the wasm encoder is asked for without its compiled module, then a plain error says so', async (context) => {
  const file = path.join(context.dir, 'no-module.wav');
  await writeFile(file, encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 0.05, 8000)]));
  try {
    await convertWavFile(file, { encoder: 'wasm' }, () => undefined);
    assert.unreachable('converted without the module');
  } catch (error) {
    assert.not.instance(error, AudioError);
    assert.is((error as Error).message, 'the wasm encoder needs the compiled LAME module');
  }
});

function id3Text(bytes: Uint8Array, id: string): string {
  const at = Buffer.from(bytes).indexOf(id);
  assert.ok(at > 0, `no ${id} frame`);
  const size = (bytes[at + 4]! << 21) | (bytes[at + 5]! << 14) | (bytes[at + 6]! << 7) | bytes[at + 7]!;
  return new TextDecoder().decode(bytes.subarray(at + 11, at + 10 + size));
}

function assertSummaryMatches(summary: ConversionSummary, bytes: Uint8Array) {
  assert.is(summary.output.bytes, bytes.length);
  const id3Bytes = 10 + ((bytes[6]! << 21) | (bytes[7]! << 14) | (bytes[8]! << 7) | bytes[9]!);
  assert.is(summary.infoFrame.offset, id3Bytes, 'the Info frame follows the ID3 tag');
  const audio = bytes.subarray(summary.infoFrame.offset + summary.infoFrame.bytes.length);
  assert.equal(Buffer.from(summary.output.audioSha256), createHash('sha256').update(audio).digest());
}

convert('when a file is converted, then the summary gives its bytes, audio hash, Info frame offset, and the ID3 tag its title and length', async (context) => {
  for (const encoder of ['wasm', 'lamejs'] as const) {
    const { summary, bytes } = await run(context, { sampleRate: 44100, channels: 2, bitsPerSample: 24 }, { encoder, title: 'Take 2 — Ünïcode' }, 0.5);
    assertSummaryMatches(summary, bytes);
    assert.is(id3Text(bytes, 'TIT2'), 'Take 2 — Ünïcode');
    assert.is(id3Text(bytes, 'TLEN'), '500');
    assert.equal(summary.input, { container: 'RIFF', encoding: 'pcm', bitsPerSample: 24, sampleRate: 44100, channels: 2, frames: 22050, durationSeconds: 0.5, truncated: false, declaredDurationSeconds: 0.5 });
    assert.equal([summary.output.encoder, summary.output.channels, summary.output.bitrateKbps, summary.output.vbrQuality], [encoder, 2, 128, null]);
  }
  const untitled = await run(context, { sampleRate: 8000, channels: 1 }, { encoder: 'wasm', vbrQuality: 3 });
  assertSummaryMatches(untitled.summary, untitled.bytes);
  assert.is(id3Text(untitled.bytes, 'TIT2'), '');
  assert.equal([untitled.summary.output.bitrateKbps, untitled.summary.output.vbrQuality], [null, 3]);
});

convert('when wasm is asked for a bitrate the output rate cannot carry, then the summary reports the one LAME uses', async (context) => {
  const { summary } = await run(context, { sampleRate: 22050, channels: 2 }, { encoder: 'wasm', bitrateKbps: 320 });
  assert.is(summary.output.bitrateKbps, 160);
});

convert('when lamejs is chosen, then lamejs encodes (plain stereo frames), and wasm joint stereo', async (context) => {
  for (const [encoder, mode] of [['lamejs', 'stereo'], ['wasm', 'joint-stereo']] as const) {
    const { summary, bytes } = await run(context, { sampleRate: 44100, channels: 2 }, { encoder }, 0.5);
    const firstAudio = parseFrameHeader(bytes, summary.infoFrame.offset + summary.infoFrame.bytes.length);
    assert.is(firstAudio?.channelMode, mode, encoder);
  }
});

convert('when chunks follow the data, then none of their bytes are encoded as audio', async (context) => {
  // 35 s of 8 kHz stereo: more than one ~1 MiB read (261,504 frames), so the last read is a short one.
  const spec: WavSpec = { sampleRate: 8000, channels: 2 };
  const samples = [sine(440, 35, 8000), sine(660, 35, 8000)];
  const hashes: string[] = [];
  for (const extraChunks of [[], [{ id: 'LIST', data: new Uint8Array(20_000).fill(0x7f), where: 'after-data' as const }]]) {
    const file = path.join(context.dir, `trailing-${extraChunks.length}.wav`);
    await writeFile(file, encodeWav({ ...spec, extraChunks }, samples));
    const summary = await convertWavFile(file, { encoder: 'wasm' }, () => undefined, context.wasm);
    hashes.push(Buffer.from(summary.output.audioSha256).toString('hex'));
  }
  assert.is(hashes[1], hashes[0]);
});

convert('when conversions end, then their files are closed', async (context) => {
  const open = () => readdirSync('/proc/self/fd').length;
  await run(context, { sampleRate: 8000, channels: 1 }, { encoder: 'wasm' });
  const before = open();
  for (let i = 0; i < 5; i++) await run(context, { sampleRate: 8000, channels: 1 }, { encoder: 'wasm' });
  await refusal(context, { sampleRate: 20000, channels: 1 }, { encoder: 'lamejs' });
  assert.is(open(), before);
});

convert.run();
