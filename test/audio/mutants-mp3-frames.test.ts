// The header builder's refusals, the stream walker's errors with their exact positions and bytes, the check that a
// stream keeps one version, rate and channel count, and the seek table of a stream long enough to halve it twice
// against native lame's (docs/MUTATION.md, mp3-frames.ts). test/mp3-tags.test.ts checks the same code on real encodes
// of a few seconds; these reach what those never do, with frames written by hand, in milliseconds (the native lame
// case in about a second).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { frameBytes, frameHeaderBytes, Mp3StreamStats, parseFrameHeader, type FrameHeaderFields } from '../../src/audio/mp3-frames.js';
import { musicLike } from '../fixtures/signals.js';
import { encodeWav } from '../fixtures/wav-writer.js';
import { test } from '../support/suite.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const JOINT_44K: FrameHeaderFields = { version: 1, sampleRate: 44_100, bitrateKbps: 128, channelMode: 'joint-stereo', modeExtension: 2 };

/** A whole frame written by hand: LAME's header, then zeros up to the frame's size. */
function frame(fields: FrameHeaderFields): Uint8Array {
  const out = new Uint8Array(frameBytes(fields.version, fields.bitrateKbps, fields.sampleRate, false));
  out.set(frameHeaderBytes(fields));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

/** The message `action` throws; fails if it does not throw. */
function message(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('it did not throw');
}

test('when header bytes are built, then they are those LAME writes, for every version, mode and the first and last rate and bitrate', () => {
  const cases: Array<[FrameHeaderFields, string]> = [
    [JOINT_44K, 'fffb9064'],
    [{ version: 2.5, sampleRate: 8_000, bitrateKbps: 8, channelMode: 'mono', modeExtension: 0 }, 'ffe318c4'],
    [{ version: 2, sampleRate: 24_000, bitrateKbps: 160, channelMode: 'stereo', modeExtension: 0 }, 'fff3e404'],
    [{ version: 1, sampleRate: 32_000, bitrateKbps: 320, channelMode: 'dual-channel', modeExtension: 3 }, 'fffbe8b4'],
    [{ version: 1, sampleRate: 44_100, bitrateKbps: 32, channelMode: 'joint-stereo', modeExtension: 0 }, 'fffb1044'],
  ];
  for (const [fields, expected] of cases) {
    const bytes = frameHeaderBytes(fields);
    assert.is(hex(bytes), expected, JSON.stringify(fields));
    const parsed = parseFrameHeader(bytes, 0)!;
    assert.equal(
      [parsed.version, parsed.sampleRate, parsed.bitrateKbps, parsed.channelMode, parsed.hasCrc, parsed.padding],
      [fields.version, fields.sampleRate, fields.bitrateKbps, fields.channelMode, false, false],
    );
  }
});

test('when a header cannot be written, then the builder says which field is wrong, with its value', () => {
  const refusals: Array<[FrameHeaderFields, string]> = [
    [{ ...JOINT_44K, bitrateKbps: 0 }, 'MPEG-1 Layer III has no 0 kbps bitrate'],
    [{ ...JOINT_44K, bitrateKbps: 144 }, 'MPEG-1 Layer III has no 144 kbps bitrate'],
    [{ ...JOINT_44K, version: 2, sampleRate: 22_050, bitrateKbps: 320 }, 'MPEG-2 Layer III has no 320 kbps bitrate'],
    [{ ...JOINT_44K, version: 2 }, 'MPEG-2 has no 44100 Hz sample rate'],
    [{ ...JOINT_44K, sampleRate: 8_000 }, 'MPEG-1 has no 8000 Hz sample rate'],
    [{ ...JOINT_44K, modeExtension: -1 }, 'mode extension must be 0 to 3, got -1'],
    [{ ...JOINT_44K, modeExtension: 4 }, 'mode extension must be 0 to 3, got 4'],
    [{ ...JOINT_44K, modeExtension: 1.5 }, 'mode extension must be 0 to 3, got 1.5'],
  ];
  for (const [fields, expected] of refusals) {
    assert.throws(() => frameHeaderBytes(fields), (error: unknown) => error instanceof RangeError && error.message === expected, expected);
  }
});

test('when a header is parsed, then the second sync byte, the mode extension outside joint stereo and the end of the bytes are checked', () => {
  assert.is(parseFrameHeader(Uint8Array.of(0xff, 0xdb, 0x90, 0x64), 0), undefined, 'the three sync bits of the second byte');
  assert.is(parseFrameHeader(Uint8Array.of(0xff, 0x7b, 0x90, 0x64), 0), undefined, 'the first sync bit of the second byte');
  const stereo = parseFrameHeader(Uint8Array.of(0xff, 0xfb, 0x90, 0x34), 0)!;
  assert.equal([stereo.channelMode, stereo.modeExtension], ['stereo', 0], 'the bits are not a mode extension in plain stereo');
  const mono = parseFrameHeader(Uint8Array.of(0xff, 0xfb, 0x90, 0xf4), 0)!;
  assert.equal([mono.channelMode, mono.modeExtension, mono.sideInfoBytes], ['mono', 0, 17]);
  assert.is(parseFrameHeader(Uint8Array.of(0xff, 0xfb, 0x90, 0x64), 0)!.channelMode, 'joint-stereo');
  const atEnd = Uint8Array.of(0, 0xff, 0xfb, 0x90, 0x64);
  assert.is(parseFrameHeader(atEnd, 1)?.bitrateKbps, 128, 'a header that ends with the bytes');
  assert.is(parseFrameHeader(atEnd, 2), undefined, 'a header past the end');
  assert.is(parseFrameHeader(Uint8Array.of(0xff, 0xfb, 0x90, 0x64, 0xff, 0xfb, 0x90, 0x64), -4), undefined, 'a negative offset');
});

test('when the bytes are not frames, then the error names the stream byte, the frame and the four bytes found', () => {
  const first = frame(JOINT_44K);
  assert.is(
    message(() => new Mp3StreamStats().push(Uint8Array.of(0x00, 0x11, 0x0a, 0xf3, 0xff))),
    'no MPEG Layer III frame header at stream byte 0 (frame 0): 00 11 0a f3',
  );
  // The next header arrives in two chunks, so it is read from the bytes kept between them.
  const split = new Mp3StreamStats();
  split.push(concat([first, Uint8Array.of(0xab, 0x0c)]));
  assert.is(
    message(() => split.push(Uint8Array.of(0x01, 0xff, 0x00))),
    `no MPEG Layer III frame header at stream byte ${first.length} (frame 1): ab 0c 01 ff`,
  );
  const afterTwo = new Mp3StreamStats();
  afterTwo.push(first);
  afterTwo.push(first.subarray(0, 100));
  assert.is(
    message(() => afterTwo.push(concat([first.subarray(100), Uint8Array.of(0xff, 0xfb, 0x00, 0x64)]))),
    `no MPEG Layer III frame header at stream byte ${2 * first.length} (frame 2): ff fb 00 64`,
  );
});

test('when a stream stops inside a frame or inside a header, then finish says which and how much is missing', () => {
  const first = frame(JOINT_44K);
  const whole = new Mp3StreamStats();
  whole.push(concat([first, first]));
  whole.finish();
  assert.is(whole.frames, 2);
  new Mp3StreamStats().finish();

  const insideFrame = new Mp3StreamStats();
  insideFrame.push(concat([first, first.subarray(0, first.length - 10)]));
  assert.is(message(() => insideFrame.finish()), 'MP3 stream ends inside frame 2: 10 bytes missing');

  const insideHeader = new Mp3StreamStats();
  insideHeader.push(concat([first, first.subarray(0, 3)]));
  assert.is(message(() => insideHeader.finish()), 'MP3 stream ends inside frame 1: part of a header missing');
});

test('when a frame changes the rate, the version or mono for stereo, then the stream is refused; stereo modes may alternate', () => {
  const first = frame(JOINT_44K);
  const changes: Array<[FrameHeaderFields, string]> = [
    [{ ...JOINT_44K, sampleRate: 48_000 }, 'MPEG-1 48000 Hz joint-stereo'],
    [{ ...JOINT_44K, version: 2, sampleRate: 22_050, bitrateKbps: 64 }, 'MPEG-2 22050 Hz joint-stereo'],
    [{ ...JOINT_44K, channelMode: 'mono', modeExtension: 0 }, 'MPEG-1 44100 Hz mono'],
  ];
  for (const [fields, described] of changes) {
    const stats = new Mp3StreamStats();
    stats.push(first);
    assert.is(
      message(() => stats.push(frame(fields))),
      `MP3 frame 1 at stream byte ${first.length} is ${described}, but the stream began MPEG-1 44100 Hz joint-stereo`,
    );
  }
  const monoFirst = new Mp3StreamStats();
  monoFirst.push(frame({ ...JOINT_44K, channelMode: 'mono', modeExtension: 0 }));
  assert.match(message(() => monoFirst.push(first)), /is MPEG-1 44100 Hz joint-stereo, but the stream began MPEG-1 44100 Hz mono$/);

  const modes = new Mp3StreamStats();
  modes.push(concat([first, frame({ ...JOINT_44K, channelMode: 'stereo', modeExtension: 0 }), frame({ ...JOINT_44K, modeExtension: 1 })]));
  modes.push(frame({ ...JOINT_44K, channelMode: 'dual-channel', modeExtension: 0, bitrateKbps: 320 }));
  modes.finish();
  assert.is(modes.frames, 4);
  assert.is(modes.firstHeader?.channelMode, 'joint-stereo');
});

const nativeLame = (() => {
  try {
    return execFileSync('lame', ['--version'], { encoding: 'utf8' }).includes('3.100');
  } catch {
    return false;
  }
})();

test('when a stream has more than 800 frames, then the seek table, halved twice, is native lame\'s byte for byte', () => {
  if (!nativeLame) throw new Error("native lame 3.100 is not installed; install Debian's package (apt-get install -y lame, as .ci/run does)");
  const dir = mkdtempSync(join(tmpdir(), 'mutants-mp3-frames-'));
  try {
    // 8 kHz frames hold 576 samples: 80 s is 1,112 frames, so the 400 running sums fill and halve twice.
    const rate = 8_000;
    const source = musicLike(80, rate, 1);
    writeFileSync(join(dir, 'in.wav'), encodeWav({ sampleRate: rate, channels: 1, encoding: 'pcm', bitsPerSample: 16 }, source));
    execFileSync('lame', ['--quiet', '--noreplaygain', '-V', '4', join(dir, 'in.wav'), join(dir, 'out.mp3')]);
    const file = new Uint8Array(readFileSync(join(dir, 'out.mp3')));
    const tag = parseFrameHeader(file, 0)!;
    const tagText = Buffer.from(file.subarray(0, tag.frameBytes)).toString('latin1');
    const at = Math.max(tagText.indexOf('Xing'), tagText.indexOf('Info'));
    assert.ok(at > 0, 'lame wrote a Xing/Info tag');
    const flags = new DataView(file.buffer, file.byteOffset + at + 4, 4).getUint32(0);
    assert.is(flags & 0b111, 0b111, 'the tag holds frames, bytes and the TOC');
    const nativeToc = file.subarray(at + 16, at + 116);

    const stats = new Mp3StreamStats();
    const audio = file.subarray(tag.frameBytes);
    for (let offset = 0; offset < audio.length; offset += 4093) stats.push(audio.subarray(offset, offset + 4093));
    stats.finish();
    assert.ok(stats.frames > 800, `${stats.frames} frames`);
    assert.is(stats.frames, new DataView(file.buffer, file.byteOffset + at + 8, 4).getUint32(0), 'the frame count lame recorded');
    assert.is(hex(stats.xingToc()), hex(nativeToc));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
