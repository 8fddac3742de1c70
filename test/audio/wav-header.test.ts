import { suite } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { AudioError } from '../../src/audio/audio-error.js';
import { readWavHeader, type WavFormat } from '../../src/audio/wav-header.js';
import { sine } from '../fixtures/signals.js';
import { encodeWav, type WavSpec } from '../fixtures/wav-writer.js';
import { writeCodedWav } from '../support/coded-wav.js';

const header = suite('readWavHeader');

const parse = (bytes: Uint8Array): Promise<WavFormat> =>
  readWavHeader(async (position, length) => bytes.subarray(position, Math.min(bytes.length, position + length)), bytes.length);

async function refusal(bytes: Uint8Array): Promise<AudioError> {
  try {
    await parse(bytes);
  } catch (error) {
    if (error instanceof AudioError) return error;
    throw error;
  }
  throw new Error('the header was accepted');
}

const wav = (spec: Partial<WavSpec> = {}, seconds = 0.1) => {
  const rate = spec.sampleRate ?? 8000;
  const channels = spec.channels ?? 1;
  return encodeWav({ sampleRate: rate, channels, ...spec }, Array.from({ length: channels }, () => sine(440, seconds, rate)));
};

/** A plain 44-byte-header PCM file with one field of its fmt chunk overwritten. */
function withFmtField(offset: number, value: number, bytes = 2): Uint8Array {
  const file = wav().slice();
  const view = new DataView(file.buffer);
  if (bytes === 2) view.setUint16(20 + offset, value, true);
  else view.setUint32(20 + offset, value, true);
  return file;
}

header('when the file is a plain 16-bit PCM WAV, then format, data offset and frame count are read', async () => {
  const format = await parse(wav({ sampleRate: 44100, channels: 2 }, 1));
  assert.equal(
    { container: format.container, encoding: format.encoding, bits: format.bitsPerSample, rate: format.sampleRate, channels: format.channels, offset: format.dataOffset, frames: format.frames, truncated: format.truncated },
    { container: 'RIFF', encoding: 'pcm', bits: 16, rate: 44100, channels: 2, offset: 44, frames: 44100, truncated: false },
  );
});

header('when chunks come in unusual order with odd sizes, then the data is still found', async () => {
  const odd = new Uint8Array(7).fill(1);
  const format = await parse(
    wav({
      extraChunks: [
        { id: 'JUNK', data: odd, where: 'before-fmt' },
        { id: 'LIST', data: new Uint8Array(1001), where: 'before-data' },
        { id: 'bext', data: odd, where: 'before-data' },
        { id: 'LIST', data: odd, where: 'after-data' },
      ],
    }),
  );
  assert.is(format.frames, 800);
});

header('when sizes are unknown (0 or 0xFFFFFFFF, as piped ffmpeg writes), then the data runs to the end of the file', async () => {
  for (const unknownSizes of [0, 0xffffffff] as const) {
    const format = await parse(wav({ unknownSizes }));
    assert.is(format.frames, 800);
  }
});

header('when the container is RIFX or RF64, then it is read with its byte order and 64-bit sizes', async () => {
  assert.is((await parse(wav({ container: 'RIFX' }))).littleEndian, false);
  const rf64 = await parse(wav({ container: 'RF64' }));
  assert.is(rf64.container, 'RF64');
  assert.is(rf64.frames, 800);
});

header('when the fmt chunk is WAVE_FORMAT_EXTENSIBLE, then the sub-format decides the encoding', async () => {
  const format = await parse(wav({ extensible: true, encoding: 'float', bitsPerSample: 32, channels: 6 }));
  assert.is(format.extensible, true);
  assert.is(format.encoding, 'float');
  assert.is(format.channelMask, 0x3f);
});

header('when the data chunk is cut short, then the whole frames present are kept and it is marked truncated', async () => {
  const format = await parse(wav({ channels: 2, truncateDataBytes: 1001 }));
  assert.is(format.truncated, true);
  assert.is(format.frames, Math.floor((800 * 4 - 1001) / 4));
});

const refusals: [string, Uint8Array, AudioError['kind'], string, RegExp][] = [
  ['not RIFF at all', new TextEncoder().encode('ID3\u0004 definitely an mp3 file'), 'unsupported', 'container', /not a RIFF\/WAVE file/],
  ['MP3 in WAV', withFmtField(0, 0x55), 'unsupported', 'format tag', /0x0055 \(MPEG Layer 3 \(MP3\)\) is not supported; supported: PCM, IEEE float, A-law, µ-law, IMA ADPCM, Microsoft ADPCM, GSM 6.10/],
  ['G.726 ADPCM', withFmtField(0, 0x64), 'unsupported', 'format tag', /0x0064 \(ITU G.726 ADPCM\)/],
  ['IMA ADPCM of 16 bits', withFmtField(0, 0x11), 'unsupported', 'bits per sample', /16-bit IMA ADPCM is not supported; supported: 4 bits/],
  ['zero channels', withFmtField(2, 0), 'invalid', 'channels', /0 channels/],
  ['twelve channels', withFmtField(2, 12), 'unsupported', 'channels', /supported: 1 to 8/],
  ['zero sample rate', withFmtField(4, 0, 4), 'invalid', 'sample rate', /0 Hz/],
  ['a 1 MHz sample rate', withFmtField(4, 1_000_000, 4), 'unsupported', 'sample rate', /4000 to 384000 Hz/],
  ['48-bit PCM', withFmtField(14, 48), 'unsupported', 'bits per sample', /supported: 8, 16, 24, 32 bits/],
  ['zero bits per sample', withFmtField(14, 0), 'invalid', 'bits per sample', /0 bits/],
  ['no data chunk', wav().slice(0, 36), 'invalid', 'data chunk', /no data chunk/],
  ['a data chunk without a whole frame', wav().slice(0, 45), 'invalid', 'data chunk', /no complete audio frame/],
];
for (const [name, bytes, kind, property, message] of refusals) {
  header(`when the file has ${name}, then it is refused as ${kind}, naming the ${property}`, async () => {
    const error = await refusal(bytes);
    assert.is(error.kind, kind);
    assert.is(error.property, property);
    assert.match(error.message, message);
  });
}

header('when a block-coded file has a fact chunk, then it ends the audio inside the last block, and is ignored when it ends before', async () => {
  // Mono IMA ADPCM in 256-byte blocks of 505 frames: four blocks hold 2,020.
  const fmt = { formatTag: 0x11, channels: 1, sampleRate: 8000, blockAlign: 256, bitsPerSample: 4, extension: Uint8Array.from([505 & 0xff, 505 >> 8]) };
  const ima = (fact: number) => writeCodedWav({ fmt, data: new Uint8Array(4 * 256) }, fact);
  const framesFor = async (fact: number) => {
    const format = await parse(ima(fact));
    return [format.frames, format.declaredFrames];
  };
  assert.equal(await framesFor(2000), [2000, 2000], 'inside the last block: the padding is left out');
  assert.equal(await framesFor(1516), [1516, 1516], 'one frame into the last block');
  assert.equal(await framesFor(1515), [2020, 2020], 'before the last block: a wrong count, every block converts');
  assert.equal(await framesFor(1010), [2020, 2020], "half the frames, as libsndfile's stereo files say");
  assert.equal(await framesFor(5000), [2020, 2020], 'more than the blocks hold');
  assert.equal(await framesFor(0), [2020, 2020], 'none');
});

header('when a file is nothing but empty chunks, then the walk stops without reading forever', async () => {
  const chunks = new Uint8Array(12 + 8 * 20_000);
  chunks.set(new TextEncoder().encode('RIFF\0\0\0\0WAVE'));
  for (let i = 12; i < chunks.length; i += 8) chunks.set(new TextEncoder().encode('JUNK'), i);
  const error = await refusal(chunks);
  assert.is(error.property, 'fmt chunk');
});

header.run();
