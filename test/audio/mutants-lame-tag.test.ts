// The LAME tag against native lame 3.100 at every CBR bitrate, mono and stereo, MPEG-1 and -2, at input rates on each
// side of LAME's thresholds, and VBR qualities on each side of safe joint stereo; and the builder's refusals. StrykerJS
// showed the few fixed cases of test/mp3-tags.test.ts blind to most of the lowpass table and those thresholds
// (docs/MUTATION.md). Needs native lame (apt-get install lame, as .ci/run does).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { buildInfoFrame, infoFrameStats, lameCbrBitrateKbps, padding, type InfoFrameSpec } from '../../src/audio/lame-tag.js';
import { Mp3StreamStats, parseFrameHeader } from '../../src/audio/mp3-frames.js';
import { musicLike } from '../fixtures/signals.js';
import { encodeWav } from '../fixtures/wav-writer.js';
import { suite } from '../support/suite.js';

const tag = suite('the LAME tag, everywhere');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

interface NativeCase {
  args: string[];
  rate: number;
  channels: 1 | 2;
  bitrateKbps: number | null;
  vbrQuality: number | null;
  stereoMode?: 'stereo';
}

/**
 * Encodes with native lame and rebuilds its tag frame from stats over its own audio: the two must be identical.
 * Returns false, comparing nothing, when lame wrote no tag (its frame at that bitrate is too small for one) or chose
 * to resample, which the service never asks of it at a bitrate (see docs/MUTATION.md for what differs then).
 */
function assertSameAsNative(dir: string, c: NativeCase): boolean {
  const source = musicLike((2 * c.rate + 123) / c.rate, c.rate, c.channels);
  const wavPath = join(dir, 'in.wav');
  const mp3Path = join(dir, 'out.mp3');
  writeFileSync(wavPath, encodeWav({ sampleRate: c.rate, channels: c.channels, encoding: 'float', bitsPerSample: 32 }, source));
  execFileSync('lame', ['--quiet', '--noreplaygain', ...c.args, wavPath, mp3Path]);
  const file = new Uint8Array(readFileSync(mp3Path));
  const header = parseFrameHeader(file, 0)!;
  const marker = Buffer.from(file.subarray(0, header.frameBytes)).toString('latin1');
  if (!marker.includes('Info') && !marker.includes('Xing')) return false;
  const outRate = header.sampleRate;
  if (outRate !== c.rate && !c.args.includes('--resample')) return false;
  const spec: InfoFrameSpec = {
    sampleRate: outRate,
    channels: c.channels,
    bitrateKbps: c.bitrateKbps === null ? null : lameCbrBitrateKbps(c.bitrateKbps, outRate),
    vbrQuality: c.vbrQuality,
    inputSampleRate: c.rate,
    ...(c.stereoMode ? { stereoMode: c.stereoMode } : {}),
  };
  const stats = new Mp3StreamStats();
  stats.push(file.subarray(header.frameBytes));
  stats.finish();
  const outputSamples = Math.round((source[0]!.length * outRate) / c.rate);
  const built = buildInfoFrame(spec, infoFrameStats(stats, header.samplesPerFrame, outputSamples));
  assert.is(hex(built), hex(file.subarray(0, header.frameBytes)), `lame ${c.args.join(' ')} on ${c.rate} Hz, ${c.channels} channel(s)`);
  return true;
}

function withDir(run: (dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'mutants-lame-tag-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

tag('when native lame encodes every CBR bitrate, mono and stereo, then our tag frame is its tag frame', () => {
  withDir((dir) => {
    let compared = 0;
    for (const channels of [1, 2] as const) {
      for (const kbps of [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]) {
        if (assertSameAsNative(dir, { args: ['-b', String(kbps)], rate: 44100, channels, bitrateKbps: kbps, vbrQuality: null })) compared++;
      }
      for (const kbps of [8, 16, 24, 144]) {
        if (assertSameAsNative(dir, { args: ['-b', String(kbps)], rate: 22050, channels, bitrateKbps: kbps, vbrQuality: null })) compared++;
      }
    }
    // lame resamples or leaves the tag out only at the lowest bitrates.
    assert.ok(compared >= 19, `only ${compared} of 36 encodings could be compared`);
  });
}, { timeLimitMs: 120_000 });

tag('when the input rate sits on either side of LAME thresholds, then the tag records it as lame does', () => {
  withDir((dir) => {
    for (const rate of [32000, 44100, 48000]) {
      assertSameAsNative(dir, { args: ['-b', '128'], rate, channels: 2, bitrateKbps: 128, vbrQuality: null });
    }
    assertSameAsNative(dir, { args: ['-b', '64'], rate: 24000, channels: 1, bitrateKbps: 64, vbrQuality: null });
  });
});

tag('when stereo is plain stereo, then the stereo mode matches lame', () => {
  withDir((dir) => {
    assertSameAsNative(dir, { args: ['-m', 's', '-b', '128'], rate: 44100, channels: 2, bitrateKbps: 128, vbrQuality: null, stereoMode: 'stereo' });
  });
});

const spec: InfoFrameSpec = { sampleRate: 44100, channels: 2, bitrateKbps: 128, vbrQuality: null };
const stats = { frames: 10, audioBytes: 4180, toc: new Uint8Array(100), musicCrc: 0, encoderDelay: 576, padding: 0 };

tag('when padding is 0 or 4095, then it is accepted; one beyond either, refused with the numbers', () => {
  assert.is(padding(10, 1152, 11520 - 576, 576), 0);
  assert.is(padding(10, 1152, 11520 - 576 - 4095, 576), 4095);
  assert.throws(() => padding(10, 1152, 11520 - 575, 576), (e: Error) => e.message === '10 frames of 1152 samples cannot hold 10945 samples after a delay of 576 with 0 to 4095 samples of padding (it would take -1)');
  assert.throws(() => padding(10, 1152, 11520 - 576 - 4096, 576), /it would take 4096\)$/);
});

tag('when the stats are out of range, then the tag frame is refused naming the field', () => {
  for (const [field, value] of [['encoderDelay', -1], ['encoderDelay', 4096], ['padding', 1.5], ['padding', 4096], ['padding', -1]] as const) {
    assert.throws(() => buildInfoFrame(spec, { ...stats, [field]: value }), (e: Error) => e.message === `${field} must be an integer from 0 to 4095, got ${value}`);
  }
  for (const [field, value] of [['encoderDelay', 0], ['encoderDelay', 4095], ['padding', 0], ['padding', 4095]] as const) {
    buildInfoFrame(spec, { ...stats, [field]: value });
  }
  assert.throws(() => buildInfoFrame(spec, { ...stats, toc: new Uint8Array(99) }), (e: Error) => e.message === 'the Xing TOC has 100 entries, got 99');
});

tag('when a tag is asked for an impossible layout, then the refusal says exactly what', () => {
  assert.throws(() => buildInfoFrame({ ...spec, channels: 3 as 2 }), (e: Error) => e.message === 'channels must be 1 or 2, got 3');
  assert.throws(
    () => buildInfoFrame({ ...spec, bitrateKbps: 144 }),
    (e: Error) => e.message === 'MPEG-1 (44100 Hz) has no 144 kbps bitrate; it has 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320',
  );
});

tag('when a 2-channel tag is plain stereo or mono, then its header carries no mode extension; joint stereo carries it', () => {
  const withExtension = { ...stats, modeExtension: 2 };
  assert.is((buildInfoFrame({ ...spec, stereoMode: 'stereo' }, withExtension)[3]! >> 4) & 3, 0);
  assert.is((buildInfoFrame({ ...spec, stereoMode: 'stereo' }, withExtension)[3]! >> 6), 0, 'stereo');
  assert.is((buildInfoFrame(spec, withExtension)[3]! >> 4) & 3, 2);
  assert.is((buildInfoFrame(spec, withExtension)[3]! >> 6), 1, 'joint stereo');
});

tag.run();
