// What src/audio/mp3-output.ts writes around the encoder's frames, called directly with frames written by hand, no
// encoder (docs/MUTATION.md): the ID3 tag and the placeholder first, empty encoder output never handed on, the summary
// (bytes, hash, input and output fields), the Info frame built from the plan's settings (joint stereo for wasm, plain
// stereo for lamejs, CBR or VBR), and the ID3 tag rewritten, same size, for a file that arrived cut short.
import { createHash } from 'node:crypto';
import * as assert from 'uvu/assert';
import { planConversion, type ConversionOptions } from '../../src/audio/convert-wav.js';
import { buildInfoFrame, infoFrameStats, type InfoFrameSpec } from '../../src/audio/lame-tag.js';
import { frameBytes, frameHeaderBytes, Mp3StreamStats, parseFrameHeader, type ChannelMode } from '../../src/audio/mp3-frames.js';
import { Mp3Output, type ConversionPlan } from '../../src/audio/mp3-output.js';
import { readWavHeader, type WavFormat } from '../../src/audio/wav-header.js';
import { encodeWav } from '../fixtures/wav-writer.js';
import { readId3v24 } from '../support/id3-reader.js';
import { test } from '../support/suite.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The header of a 16-bit WAV of `frames` frames at `rate`, read as the service reads it. */
async function wavFormat(rate: number, channels: number, frames: number): Promise<WavFormat> {
  const file = encodeWav({ sampleRate: rate, channels }, Array.from({ length: channels }, () => new Float32Array(frames)));
  return readWavHeader(async (position, length) => file.subarray(position, position + length), file.length);
}

/**
 * The frames of the plan's output, written by hand (header, then numbered bytes), in one stream: as many as LAME
 * writes, the output's samples after its delay of 576 and up to the end of their last frame.
 */
function audioFrames(plan: ConversionPlan, channelMode: ChannelMode): Uint8Array {
  const count = Math.floor((plan.outputSamples + 576) / plan.samplesPerFrame) + 1;
  const { outputSampleRate: sampleRate, bitrateKbps = 128 } = plan.settings;
  const version = sampleRate >= 32_000 ? 1 : sampleRate >= 16_000 ? 2 : 2.5;
  const size = frameBytes(version, bitrateKbps, sampleRate, false);
  const out = Uint8Array.from({ length: count * size }, (_, i) => (i * 13) & 0xff);
  for (let f = 0; f < count; f++) out.set(frameHeaderBytes({ version, sampleRate, bitrateKbps, channelMode, modeExtension: 0 }), f * size);
  return out;
}

interface Written {
  chunks: Uint8Array[];
  bytes: Uint8Array;
}

function sink(): [Written, (bytes: Uint8Array) => Promise<void>] {
  const written: Written = { chunks: [], bytes: new Uint8Array(0) };
  return [
    written,
    async (bytes) => {
      written.chunks.push(bytes.slice());
      written.bytes = new Uint8Array(Buffer.concat([written.bytes, bytes]));
    },
  ];
}

async function plan(rate: number, channels: number, frames: number, options: ConversionOptions): Promise<ConversionPlan> {
  return planConversion(await wavFormat(rate, channels, frames), options);
}

test('when a wasm CBR conversion is written, then the ID3 tag, the placeholder and the audio come in order, and the summary describes them', async () => {
  const planned = await plan(44_100, 2, 33_075, { encoder: 'wasm', bitrateKbps: 128, title: 'Morning take' });
  const [written, write] = sink();
  const output = new Mp3Output(planned, write);
  await output.begin();
  const id3 = readId3v24(written.bytes);
  assert.equal(id3.frames, { TIT2: 'Morning take', TLEN: '750' });
  assert.is(written.chunks.length, 2, 'the tag, then the placeholder');
  assert.is(written.chunks[0]!.length, id3.bytes);
  const placeholder = written.chunks[1]!;
  assert.is(parseFrameHeader(placeholder, 0)?.channelMode, 'joint-stereo', 'wasm encodes joint stereo');

  const audio = audioFrames(planned, 'joint-stereo');
  await output.audio(audio.subarray(0, 1000));
  await output.audio(new Uint8Array(0));
  await output.audio(audio.subarray(1000));
  assert.is(written.chunks.length, 4, 'an empty encoder output is not handed on');
  const summary = output.end();

  assert.equal(summary.input, {
    container: 'RIFF',
    encoding: 'pcm',
    bitsPerSample: 16,
    sampleRate: 44_100,
    channels: 2,
    frames: 33_075,
    durationSeconds: 0.75,
    truncated: false,
    declaredDurationSeconds: 0.75,
  });
  assert.equal(
    { ...summary.output, audioSha256: hex(summary.output.audioSha256) },
    { encoder: 'wasm', sampleRate: 44_100, channels: 2, bitrateKbps: 128, vbrQuality: null, bytes: written.bytes.length, audioSha256: createHash('sha256').update(audio).digest('hex') },
  );
  assert.is(summary.infoFrame.offset, id3.bytes);
  assert.is(summary.infoFrame.bytes.length, placeholder.length);
  assert.is(summary.id3Tag, undefined, 'the file arrived whole: the tag stands');

  const stats = new Mp3StreamStats();
  stats.push(audio);
  stats.finish();
  const spec: InfoFrameSpec = { sampleRate: 44_100, channels: 2, bitrateKbps: 128, vbrQuality: null, inputSampleRate: 44_100, stereoMode: 'joint-stereo' };
  assert.is(hex(summary.infoFrame.bytes), hex(buildInfoFrame(spec, infoFrameStats(stats, 1152, 33_075))));
  assert.ok(Buffer.from(summary.infoFrame.bytes).includes('Info'), 'a CBR tag');
});

test('when lamejs writes, then the Info frame says plain stereo; an untitled VBR conversion gets an empty title and a VBR tag', async () => {
  const lamejs = await plan(44_100, 2, 44_100, { encoder: 'lamejs', bitrateKbps: 128 });
  const [written, write] = sink();
  const output = new Mp3Output(lamejs, write);
  await output.begin();
  assert.equal(readId3v24(written.bytes).frames, { TIT2: '', TLEN: '1000' });
  assert.is(parseFrameHeader(written.chunks[1]!, 0)?.channelMode, 'stereo');
  const audio = audioFrames(lamejs, 'stereo');
  await output.audio(audio);
  const stats = new Mp3StreamStats();
  stats.push(audio);
  const spec: InfoFrameSpec = { sampleRate: 44_100, channels: 2, bitrateKbps: 128, vbrQuality: null, inputSampleRate: 44_100, stereoMode: 'stereo' };
  assert.is(hex(output.end().infoFrame.bytes), hex(buildInfoFrame(spec, infoFrameStats(stats, 1152, 44_100))));

  // 48 kHz at VBR quality 3, converted to 22.05 kHz mono: the tag records the input's rate and the quality.
  const vbr = await plan(48_000, 1, 24_000, { encoder: 'wasm', vbrQuality: 3, mono: true });
  const [vbrWritten, vbrWrite] = sink();
  const vbrOutput = new Mp3Output(vbr, vbrWrite);
  await vbrOutput.begin();
  const vbrAudio = audioFrames(vbr, 'mono');
  await vbrOutput.audio(vbrAudio);
  const summary = vbrOutput.end();
  assert.equal([summary.output.bitrateKbps, summary.output.vbrQuality, summary.output.bytes], [null, 3, vbrWritten.bytes.length]);
  const vbrStats = new Mp3StreamStats();
  vbrStats.push(vbrAudio);
  const { outputSampleRate, channels } = vbr.settings;
  const vbrSpec: InfoFrameSpec = { sampleRate: outputSampleRate, channels, bitrateKbps: null, vbrQuality: 3, inputSampleRate: 48_000, stereoMode: 'joint-stereo' };
  assert.is(hex(summary.infoFrame.bytes), hex(buildInfoFrame(vbrSpec, infoFrameStats(vbrStats, vbr.samplesPerFrame, vbr.outputSamples))));
  assert.ok(Buffer.from(summary.infoFrame.bytes).includes('Xing'), 'a VBR tag');
});

test('when the file arrived cut short, then the summary carries an ID3 tag of the same size with the length it really has', async () => {
  const declared = await plan(44_100, 2, 441_000, { encoder: 'wasm', bitrateKbps: 128, title: 'cut' });
  const [written, write] = sink();
  const output = new Mp3Output(declared, write);
  await output.begin();
  const first = readId3v24(written.bytes);
  assert.is(first.frames.TLEN, '10000');
  const cut = { ...declared.format, frames: 22_050, truncated: true };
  const settled = planConversion(cut, declared.options);
  await output.audio(audioFrames(settled, 'joint-stereo'));
  const summary = output.end(settled);
  assert.is(summary.id3Tag?.offset, 0);
  assert.is(summary.id3Tag?.bytes.length, first.bytes);
  assert.equal(readId3v24(summary.id3Tag!.bytes).frames, { TIT2: 'cut', TLEN: '500' });
  assert.equal([summary.input.frames, summary.input.durationSeconds, summary.input.truncated, summary.input.declaredDurationSeconds], [22_050, 0.5, true, 10]);

  // A settled plan longer than the one announced would need a longer tag, which would run into the Info frame.
  const short = await plan(44_100, 2, 4_410, { encoder: 'wasm', bitrateKbps: 128, title: 'cut' });
  const [, shortWrite] = sink();
  const grown = new Mp3Output(short, shortWrite);
  await grown.begin();
  const longer = planConversion({ ...short.format, frames: 441_000 }, short.options);
  await grown.audio(audioFrames(longer, 'joint-stereo'));
  assert.throws(() => grown.end(longer), (error: unknown) => /^the corrected ID3 tag takes \d+ bytes, not \d+$/.test((error as Error).message));
});

test.run();
