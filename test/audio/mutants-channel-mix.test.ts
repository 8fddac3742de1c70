// The downmix matrix, weight by weight, for every layout and for the masks real files carry: StrykerJS showed that
// the conversion tests, which listen to the result, leave single weights and the no-gain floor untested
// (docs/MUTATION.md). Expected weights are worked out here from ITU-R BS.775, not copied from the code.
import { suite } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { mixMatrix, type MixMatrix } from '../../src/audio/channel-mix.js';

const mix = suite('mixMatrix');
const h = Math.SQRT1_2;

function assertMatrix(actual: MixMatrix, expected: number[][]) {
  assert.is(actual.length, expected.length, 'output channels');
  expected.forEach((row, o) => {
    assert.is(actual[o]!.length, row.length, `inputs of output ${o}`);
    row.forEach((w, i) => assert.ok(Math.abs(actual[o]![i]! - w) < 1e-12, `mix[${o}][${i}] is ${actual[o]![i]}, expected ${w}`));
  });
}

/** Left and right weights before scaling → the matrix scaled so neither output can exceed full scale. */
function scaled(left: number[], right: number[]): number[][] {
  const sum = (row: number[]) => row.reduce((a, b) => a + b, 0);
  const scale = 1 / Math.max(sum(left), sum(right), 1);
  return [left.map((w) => w * scale), right.map((w) => w * scale)];
}

mix('when the file is mono or stereo, then channels pass through, or are averaged into mono', () => {
  assertMatrix(mixMatrix({ channels: 1, channelMask: 0 }, 2), [[1], [1]]);
  assertMatrix(mixMatrix({ channels: 1, channelMask: 0 }, 1), [[1]]);
  assertMatrix(mixMatrix({ channels: 2, channelMask: 0 }, 2), [[1, 0], [0, 1]]);
  assertMatrix(mixMatrix({ channels: 2, channelMask: 0 }, 1), [[0.5, 0.5]]);
});

mix('when a file of 3 to 8 channels gives no mask, then the default layout of its channel count is folded by BS.775', () => {
  const layouts: [number, number[], number[]][] = [
    [3, [1, 0, h], [0, 1, h]], // FL FR FC
    [4, [1, 0, h, 0], [0, 1, 0, h]], // FL FR BL BR
    [5, [1, 0, h, h, 0], [0, 1, h, 0, h]], // FL FR FC BL BR
    [6, [1, 0, h, 0, h, 0], [0, 1, h, 0, 0, h]], // FL FR FC LFE BL BR
    [7, [1, 0, h, 0, 0.5, h, 0], [0, 1, h, 0, 0.5, 0, h]], // FL FR FC LFE BC SL SR
    [8, [1, 0, h, 0, h, 0, h, 0], [0, 1, h, 0, 0, h, 0, h]], // FL FR FC LFE BL BR SL SR
  ];
  for (const [channels, left, right] of layouts) {
    assertMatrix(mixMatrix({ channels, channelMask: 0 }, 2), scaled(left, right));
  }
});

mix('when the mask names the speakers, then each gets its own weights: wide fronts, back centre, heights centred', () => {
  // FLC, FRC, BC
  assertMatrix(mixMatrix({ channels: 3, channelMask: 0x40 | 0x80 | 0x100 }, 2), scaled([1, 0, 0.5], [0, 1, 0.5]));
  // FL, FR, top centre (0x800): a height speaker goes to the middle.
  assertMatrix(mixMatrix({ channels: 3, channelMask: 0x1 | 0x2 | 0x800 }, 2), scaled([1, 0, 0.5], [0, 1, 0.5]));
  // SL, SR, FC
  assertMatrix(mixMatrix({ channels: 3, channelMask: 0x4 | 0x200 | 0x400 }, 2), scaled([h, h, 0], [h, 0, h]));
});

mix('when the speakers sum to less than full scale, then nothing is amplified', () => {
  // LFE, BL, BR: each side sums to 0.707, and stays so.
  assertMatrix(mixMatrix({ channels: 3, channelMask: 0x8 | 0x10 | 0x20 }, 2), [[0, h, 0], [0, 0, h]]);
});

mix('when the mask names more speakers than channels, then the first ones are used; fewer, the default layout', () => {
  assertMatrix(mixMatrix({ channels: 3, channelMask: 0x3f }, 2), scaled([1, 0, h], [0, 1, h]));
  // Two speakers named for four channels: FL FR BL BR, as if there were no mask.
  assertMatrix(mixMatrix({ channels: 4, channelMask: 0x3 }, 2), mixMatrix({ channels: 4, channelMask: 0 }, 2));
  assertMatrix(mixMatrix({ channels: 4, channelMask: 0x3 }, 2), scaled([1, 0, h, 0], [0, 1, 0, h]));
});

mix('when surround goes to mono, then the weights are the mean of the stereo ones', () => {
  const [left, right] = scaled([1, 0, h, 0, h, 0], [0, 1, h, 0, 0, h]);
  assertMatrix(mixMatrix({ channels: 6, channelMask: 0x3f }, 1), [left!.map((w, i) => (w + right![i]!) / 2)]);
});

mix.run();
