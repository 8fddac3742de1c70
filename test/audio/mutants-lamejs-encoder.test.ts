// The lamejs adapter (src/audio/lamejs-encoder.ts) called directly: planes of any size handed over in calls of any
// size give the bytes of one call, full scale is clipped rather than wrapped, each channel keeps its own signal, and
// the bitrate asked (or 128 kbps) is the frames' (docs/MUTATION.md). The conversion tests reach it only through whole
// conversions of several seconds; these take about a second.
import * as assert from 'uvu/assert';
import { createLameJsEncoder } from '../../src/audio/lamejs-encoder.js';
import type { EncoderSettings } from '../../src/audio/mp3-encoder.js';
import { parseFrameHeader } from '../../src/audio/mp3-frames.js';
import { musicLike } from '../fixtures/signals.js';
import { bestCorrelation } from '../support/audio-analysis.js';
import { decodeMp3, UNTAGGED_MP3_LEADING_DELAY_SAMPLES } from '../support/mp3-decode.js';
import { test } from '../support/suite.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Encodes `planes` in calls of the given sizes (cycled), copying each call's bytes out as the caller must. */
function encode(settings: EncoderSettings, planes: Float32Array[], callFrames: number[]): Uint8Array {
  const encoder = createLameJsEncoder(settings);
  const parts: Buffer[] = [];
  const length = planes[0]!.length;
  for (let start = 0, call = 0; start < length; call++) {
    const frames = Math.min(callFrames[call % callFrames.length]!, length - start);
    parts.push(Buffer.from(encoder.encode(planes.map((plane) => plane.subarray(start)), frames)));
    start += frames;
  }
  parts.push(Buffer.from(encoder.finish()));
  return new Uint8Array(Buffer.concat(parts));
}

function frameHeaders(mp3: Uint8Array): NonNullable<ReturnType<typeof parseFrameHeader>>[] {
  const headers = [];
  for (let offset = 0; offset < mp3.length; ) {
    const header = parseFrameHeader(mp3, offset);
    if (!header) throw new Error(`no frame header at byte ${offset} of ${mp3.length}`);
    headers.push(header);
    offset += header.frameBytes;
  }
  return headers;
}

const STEREO_44K: EncoderSettings = { inputSampleRate: 44_100, outputSampleRate: 44_100, channels: 2, bitrateKbps: 128 };

test('when samples arrive in calls of any size, small first, then the MP3 is byte for byte that of one call', () => {
  const planes = musicLike(1, 44_100, 2);
  const whole = encode(STEREO_44K, planes, [planes[0]!.length]);
  // 10 frames first (the scratch planes are made for 10), then more than they hold, then fewer again.
  const pieces = encode(STEREO_44K, planes, [10, 1152, 5000, 100, 3, 20_000, 7]);
  assert.ok(whole.length > 10_000);
  assert.is(hex(pieces), hex(whole));
});

test('when each channel carries its own signal, then each comes back on its own channel, in step', async () => {
  const planes = musicLike(2, 44_100, 2);
  const decoded = await decodeMp3(encode(STEREO_44K, planes, [4096]));
  assert.is(decoded.channels.length, 2);
  for (const [channel, source] of planes.entries()) {
    const own = bestCorrelation(source, decoded.channels[channel]!, 2000);
    const other = bestCorrelation(planes[1 - channel]!, decoded.channels[channel]!, 2000);
    assert.ok(own.correlation > 0.95, `channel ${channel}: ${own.correlation}`);
    assert.is(own.lag, UNTAGGED_MP3_LEADING_DELAY_SAMPLES, `channel ${channel}`);
    assert.ok(other.correlation < 0.5, `channel ${channel} against the other source: ${other.correlation}`);
  }
});

test('when the signal reaches or passes full scale, then it is clipped to the 16-bit range, not wrapped round it', async () => {
  // A 100 Hz square wave at ±1.0: 1.0 · 32768 is one past the largest 16-bit sample.
  const square = Float32Array.from({ length: 44_100 }, (_, i) => (Math.floor(i / 220.5) % 2 === 0 ? 1 : -1));
  const justUnder = square.map((sample) => (sample > 0 ? 32_767 / 32_768 : sample));
  const mono: EncoderSettings = { ...STEREO_44K, channels: 1 };
  const atFullScale = encode(mono, [square], [4096]);
  assert.is(hex(atFullScale), hex(encode(mono, [justUnder], [4096])), 'clipped to 32767 exactly');
  // The service's decoder never hands over more than full scale; a caller that does gets it clipped too, both ways.
  assert.is(hex(encode(mono, [square.map((sample) => 1.5 * sample)], [4096])), hex(atFullScale), 'beyond full scale');
  const decoded = await decodeMp3(atFullScale);
  const { correlation } = bestCorrelation(square, decoded.channels[0]!, 2000);
  assert.ok(correlation > 0.9, `the square comes back (a wrapped one is almost all -32768): ${correlation}`);
});

test('when a bitrate is asked, then every frame has it; without one, 128 kbps; mono frames for one channel', () => {
  const planes = musicLike(0.5, 22_050, 2);
  const at = (settings: EncoderSettings, source: Float32Array[]) => {
    const headers = frameHeaders(encode(settings, source, [4096]));
    assert.ok(headers.length > 10);
    return [...new Set(headers.map((header) => `${header.sampleRate} Hz ${header.bitrateKbps} kbps ${header.channelMode}`))];
  };
  const stereo22: EncoderSettings = { inputSampleRate: 22_050, outputSampleRate: 22_050, channels: 2, bitrateKbps: 64 };
  assert.equal(at(stereo22, planes), ['22050 Hz 64 kbps stereo']);
  const { bitrateKbps: _, ...noBitrate } = stereo22;
  assert.equal(at(noBitrate, planes), ['22050 Hz 128 kbps stereo']);
  assert.equal(at({ ...stereo22, channels: 1, bitrateKbps: 32 }, [planes[0]!]), ['22050 Hz 32 kbps mono']);
});

test.run();
