// The MP3 sample rate a WAV is encoded at (src/audio/mp3-encoder.ts): its own rate when MP3 has it, else the nearest,
// and on an exact tie the higher one, which keeps more of the highs.
import * as assert from 'uvu/assert';
import { MP3_SAMPLE_RATES, nearestMp3SampleRate } from '../../src/audio/mp3-encoder.js';
import { test } from '../support/suite.js';

test('when the rate is one MP3 has, then it is kept', () => {
  for (const rate of MP3_SAMPLE_RATES) assert.is(nearestMp3SampleRate(rate), rate);
});

test('when the rate lies between two MP3 rates, then the nearer one is taken, and the higher on an exact tie', () => {
  const cases: [number, number][] = [
    [4_000, 8_000],
    [9_512, 8_000],
    [9_513, 11_025],
    [14_000, 16_000], // tie: 2,000 Hz from 12 and from 16 kHz
    [13_999, 12_000],
    [19_025, 22_050], // tie
    [23_025, 24_000], // tie
    [28_000, 32_000], // tie
    [38_050, 44_100], // tie
    [38_049, 32_000],
    [46_050, 48_000], // tie
    [46_049, 44_100],
    [96_000, 48_000],
    [192_000, 48_000],
  ];
  for (const [input, expected] of cases) assert.is(nearestMp3SampleRate(input), expected, `${input} Hz`);
});

test.run();
