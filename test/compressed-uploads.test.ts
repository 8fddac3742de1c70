// Issue 16 through the real service: IMA ADPCM, Microsoft ADPCM and GSM 6.10 WAVs that ffmpeg wrote are uploaded,
// converted and downloaded, and the MP3 is checked against ffmpeg's own decoding of the same file (its length exactly,
// its waveform by correlation). A file cut short says so in the answer and in the library; a header whose bits per
// sample contradict its block align gives the audio the block align describes, never noise.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { createUser, download, upload, type CreatedUser, type RecordView } from './support/api-client.js';
import { bestCorrelation } from './support/audio-analysis.js';
import { ffmpeg, ffmpegDecode, readCodedWav, writeCodedWav, type CodedWav } from './support/coded-wav.js';
import { decodeMp3 } from './support/mp3-decode.js';
import { checkMp3Stream } from './support/stream-checks.js';
import { suite } from './support/suite.js';
import { startTestService, type TestService } from './support/test-service.js';
import { musicLike } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';

interface Context {
  service: TestService;
  user: CreatedUser;
  dir: string;
}
type Input = RecordView['input'] & { truncated: boolean; declaredDurationSeconds: number };

const uploads = suite<Context>('POST /record with compressed and damaged WAVs', {} as Context);
uploads.before(async (context) => {
  context.service = await startTestService();
  context.user = await createUser(context.service.url, 'compressed');
  context.dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-compressed-'));
});
uploads.after(async ({ service, dir }) => {
  await service.close();
  await rm(dir, { recursive: true, force: true });
});

/** Plane `channel` of interleaved 16-bit samples, as floats. */
function plane(samples: Int16Array, channels: number, channel: number): Float32Array {
  const out = new Float32Array(samples.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = samples[i * channels + channel]! / 32768;
  return out;
}

async function uploadFile({ service, user }: Context, file: string): Promise<{ record: RecordView & { input: Input }; mp3: Uint8Array }> {
  const response = await upload(service.url, await readFile(file), { user: user.id, token: user.token, fileName: path.basename(file) });
  assert.is(response.status, 201, await response.clone().text());
  const record = (await response.json()) as RecordView & { input: Input };
  const { response: got, bytes } = await download(record.url);
  assert.is(got.status, 200);
  return { record, mp3: bytes };
}

const CASES = [
  { codec: 'adpcm_ima_wav', encoding: 'ima-adpcm', rate: 44100, channels: 2, args: [] as string[] },
  { codec: 'adpcm_ima_wav', encoding: 'ima-adpcm', rate: 22050, channels: 1, args: ['-block_size', '256'] },
  { codec: 'adpcm_ms', encoding: 'ms-adpcm', rate: 48000, channels: 2, args: [] },
  { codec: 'adpcm_ms', encoding: 'ms-adpcm', rate: 11025, channels: 1, args: ['-block_size', '512'] },
  { codec: 'libgsm_ms', encoding: 'gsm610', rate: 8000, channels: 1, args: [] },
];

for (const c of CASES) {
  uploads(`when a ${c.channels}-channel ${c.rate} Hz ${c.codec} WAV${c.args.length ? ` (${c.args.join(' ')})` : ''} is uploaded, then its MP3 has ffmpeg's decoded length and waveform`, async (context) => {
    const source = path.join(context.dir, `${c.codec}-${c.rate}-${c.channels}-source.wav`);
    const coded = path.join(context.dir, `${c.codec}-${c.rate}-${c.channels}${c.args.join('')}.wav`);
    // 3.3 s, so that the last block is a partial one.
    await writeFile(source, encodeWav({ sampleRate: c.rate, channels: c.channels }, musicLike(3.3, c.rate, c.channels)));
    ffmpeg(['-y', '-i', source, '-c:a', c.codec, ...c.args, coded]);
    const reference = ffmpegDecode(coded);
    const referenceFrames = reference.length / c.channels;

    const { record, mp3 } = await uploadFile(context, coded);
    assert.is(record.input.encoding, c.encoding);
    assert.is(record.input.channels, c.channels);
    assert.is(record.input.sampleRate, c.rate);
    assert.is(record.input.truncated, false);
    assert.ok(Math.abs(record.input.durationSeconds - referenceFrames / c.rate) < 1e-9, `${record.input.durationSeconds} s for ffmpeg's ${referenceFrames} frames`);

    const decoded = await decodeMp3(mp3);
    assert.is(decoded.sampleRate, record.output.sampleRate);
    // MP3 keeps these rates, so its gapless length is the WAV's exactly, for mpg123 and for ffmpeg alike.
    assert.is(decoded.samples, referenceFrames, 'decoded samples per channel');
    const mp3File = path.join(context.dir, `${path.basename(coded, '.wav')}.mp3`);
    await writeFile(mp3File, mp3);
    assert.is(ffmpegDecode(mp3File).length, referenceFrames * c.channels, "ffmpeg's decoding of the MP3, in samples");
    assert.equal(await checkMp3Stream(mp3), { ffmpeg: '', mp3val: [] }, 'ffmpeg and mp3val find nothing wrong with the stream');
    const correlations: string[] = [];
    for (let channel = 0; channel < c.channels; channel++) {
      const { correlation, lag } = bestCorrelation(plane(reference, c.channels, channel), decoded.channels[channel]!, 64);
      // GSM included: the reference is ffmpeg's decoding of the same GSM frames, not the music they were made from.
      assert.ok(correlation > 0.99, `channel ${channel}: correlation ${correlation.toFixed(4)} at lag ${lag}`);
      assert.is(lag, 0, 'the MP3 is aligned with the source');
      correlations.push(correlation.toFixed(4));
    }
    console.log(`# ${path.basename(coded)}: ${referenceFrames} frames, MP3 against ffmpeg's decoding: correlation ${correlations.join(', ')}`);
  });
}

// Block-coded files other writers made (fixtures/README.md): sox and libsndfile, each with its own block sizes and a fact
// chunk. `frames`: what the MP3 must hold, the source's length where the fact chunk gives it; libsndfile's stereo IMA
// ADPCM fact chunk says half the frames its blocks hold (it divides by the channels twice), so there every block counts.
const OTHER_WRITERS = [
  { file: 'sox-ima-adpcm-mono-8k.wav', encoding: 'ima-adpcm', frames: 10400 },
  { file: 'sox-ima-adpcm-stereo-44k.wav', encoding: 'ima-adpcm', frames: 30870 },
  { file: 'sox-ms-adpcm-mono-11k.wav', encoding: 'ms-adpcm', frames: 12127 },
  { file: 'sox-ms-adpcm-stereo-22k.wav', encoding: 'ms-adpcm', frames: 19845 },
  { file: 'sox-gsm610-mono-8k.wav', encoding: 'gsm610', frames: 10400 },
  { file: 'sndfile-ima-adpcm-stereo-16k.wav', encoding: 'ima-adpcm', frames: 15255 },
  { file: 'sndfile-ms-adpcm-mono-48k.wav', encoding: 'ms-adpcm', frames: 28800 },
  { file: 'sndfile-ms-adpcm-stereo-44k.wav', encoding: 'ms-adpcm', frames: 22050 },
  { file: 'sndfile-gsm610-mono-8k.wav', encoding: 'gsm610', frames: 10400 },
];

for (const { file, encoding, frames } of OTHER_WRITERS) {
  uploads(`when ${file} is uploaded, then its MP3 has the recording's length and ffmpeg's decoded waveform`, async (context) => {
    const source = fileURLToPath(new URL(`../../fixtures/${file}`, import.meta.url));
    const reference = ffmpegDecode(source);
    const { record, mp3 } = await uploadFile(context, source);
    const channels = record.input.channels;
    assert.equal([record.input.encoding, record.input.truncated], [encoding, false]);
    assert.ok(Math.abs(record.input.durationSeconds - frames / record.input.sampleRate) < 1e-9, `${record.input.durationSeconds} s, expected ${frames} frames`);
    const decoded = await decodeMp3(mp3);
    assert.is(decoded.samples, frames, 'decoded samples per channel');
    const correlations = Array.from({ length: channels }, (_, channel) => bestCorrelation(plane(reference, channels, channel).subarray(0, frames), decoded.channels[channel]!, 64));
    for (const { correlation, lag } of correlations) {
      assert.ok(correlation > 0.99 && lag === 0, `correlation ${correlation.toFixed(4)} at lag ${lag}`);
    }
    console.log(`# ${file}: ${frames} frames, correlation with ffmpeg's decoding ${correlations.map((c) => c.correlation.toFixed(4)).join(', ')}`);
  });
}

uploads('when a Microsoft ADPCM file lists more than the standard seven coefficient pairs, then its longer fmt chunk is read whole', async (context) => {
  const source = path.join(context.dir, 'ms-eight-source.wav');
  const coded = path.join(context.dir, 'ms-eight-ffmpeg.wav');
  await writeFile(source, encodeWav({ sampleRate: 16000, channels: 1 }, musicLike(1, 16000, 1)));
  ffmpeg(['-y', '-i', source, '-c:a', 'adpcm_ms', coded]);
  const wav = readCodedWav(await readFile(coded));
  // 250 pairs: the fmt chunk grows to 1,022 bytes. ffmpeg's blocks use the first seven, so the audio is unchanged.
  const pairs = 250;
  const extension = new Uint8Array(4 + 4 * pairs);
  extension.set(wav.fmt.extension.subarray(0, 4 + 4 * 7));
  new DataView(extension.buffer).setUint16(2, pairs, true);
  const longer = path.join(context.dir, 'ms-250-pairs.wav');
  await writeFile(longer, writeCodedWav({ fmt: { ...wav.fmt, extension }, data: wav.data }));
  const { record, mp3 } = await uploadFile(context, longer);
  assert.is(record.input.encoding, 'ms-adpcm');
  assert.is((await decodeMp3(mp3)).samples, ffmpegDecode(coded).length);
});

uploads('when an IMA ADPCM file has a WAVE_FORMAT_EXTENSIBLE header, then it converts like the plain one', async (context) => {
  const source = path.join(context.dir, 'ima-extensible-source.wav');
  const coded = path.join(context.dir, 'ima-plain.wav');
  await writeFile(source, encodeWav({ sampleRate: 22050, channels: 2 }, musicLike(1, 22050, 2)));
  ffmpeg(['-y', '-i', source, '-c:a', 'adpcm_ima_wav', coded]);
  const wav = readCodedWav(await readFile(coded));
  // cbSize 22: valid bits, channel mask, then the sub-format GUID, which starts with the format tag.
  const extension = new Uint8Array(22);
  const view = new DataView(extension.buffer);
  view.setUint16(0, 4, true);
  view.setUint32(2, 0x3, true);
  view.setUint32(6, 0x0011, true);
  extension.set([0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 10);
  const extensible = path.join(context.dir, 'ima-extensible.wav');
  await writeFile(extensible, writeCodedWav({ fmt: { ...wav.fmt, formatTag: 0xfffe, extension }, data: wav.data }));
  const { record, mp3 } = await uploadFile(context, extensible);
  assert.is(record.input.encoding, 'ima-adpcm');
  assert.is((await decodeMp3(mp3)).samples, ffmpegDecode(coded).length / 2);
});

uploads('when a WAV is cut short, then the answer and the library say how much was declared and how much converted', async (context) => {
  const full = encodeWav({ sampleRate: 16000, channels: 1 }, musicLike(4, 16000, 1));
  // Cut 1.5 s of audio (2 bytes a frame) into the data: its header still declares 4 s.
  const cut = full.subarray(0, 44 + 2 * 24000);
  const file = path.join(context.dir, 'cut.wav');
  await writeFile(file, cut);
  const { record } = await uploadFile(context, file);
  assert.equal([record.input.truncated, record.input.durationSeconds, record.input.declaredDurationSeconds], [true, 1.5, 4]);

  const listed = await fetch(`${context.service.url}/records?user=${context.user.id}&limit=50`, { headers: { Authorization: `Bearer ${context.user.token}` } });
  const page = (await listed.json()) as { records: (RecordView & { input: Input })[] };
  const same = page.records.find((r) => r.id === record.id);
  assert.equal([same?.input.truncated, same?.input.durationSeconds, same?.input.declaredDurationSeconds], [true, 1.5, 4]);

  const whole = path.join(context.dir, 'whole.wav');
  await writeFile(whole, full);
  const { record: complete } = await uploadFile(context, whole);
  assert.equal([complete.input.truncated, complete.input.durationSeconds, complete.input.declaredDurationSeconds], [false, 4, 4]);
});

uploads('when a 16-bit stereo header says 7 bits per sample, then the 2-byte samples its block align gives are converted, not noise', async (context) => {
  const rate = 22050;
  const wav = encodeWav({ sampleRate: rate, channels: 2 }, musicLike(2, rate, 2));
  const changed = wav.slice();
  new DataView(changed.buffer).setUint16(34, 7, true); // bits per sample; block align (offset 32) stays 4
  const file = path.join(context.dir, 'seven-bits.wav');
  await writeFile(file, changed);
  const { record, mp3 } = await uploadFile(context, file);
  assert.equal([record.input.bitsPerSample, record.input.durationSeconds], [7, 2]);
  const decoded = await decodeMp3(mp3);
  const source = path.join(context.dir, 'sixteen-bits.wav');
  await writeFile(source, wav);
  const original = ffmpegDecode(source);
  for (let channel = 0; channel < 2; channel++) {
    const { correlation } = bestCorrelation(plane(original, 2, channel), decoded.channels[channel]!, 64);
    assert.ok(correlation > 0.99, `channel ${channel}: correlation ${correlation.toFixed(4)}`);
  }
});

uploads('when a header\'s block align fits neither its bits per sample nor a wider container, then 422 names the block align', async ({ service, user }) => {
  const wav = encodeWav({ sampleRate: 8000, channels: 2 }, musicLike(0.5, 8000, 2));
  new DataView(wav.buffer).setUint16(32, 3, true); // 16-bit stereo takes 4 bytes a frame
  const response = await upload(service.url, wav, { user: user.id, token: user.token });
  assert.is(response.status, 422);
  const problem = (await response.json()) as { property?: string; detail: string };
  assert.is(problem.property, 'block align');
  assert.match(problem.detail, 'block align of 3');
});

uploads('when an IMA ADPCM file is cut short mid-block, then the answer says how much was declared, and the MP3 has what ffmpeg decodes of it', async (context) => {
  const rate = 22050;
  const source = path.join(context.dir, 'ima-cut-source.wav');
  const whole = path.join(context.dir, 'ima-whole.wav');
  await writeFile(source, encodeWav({ sampleRate: rate, channels: 1 }, musicLike(2, rate, 1)));
  ffmpeg(['-y', '-i', source, '-c:a', 'adpcm_ima_wav', '-block_size', '256', whole]);
  const bytes = await readFile(whole);
  const dataAt = bytes.indexOf('data') + 8;
  // Three whole 256-byte blocks and 100 bytes of the fourth; the data chunk still declares every block.
  const cut = path.join(context.dir, 'ima-cut.wav');
  await writeFile(cut, bytes.subarray(0, dataAt + 3 * 256 + 100));
  const declaredFrames = ffmpegDecode(whole).length;
  const presentFrames = ffmpegDecode(cut).length;
  assert.ok(presentFrames > 3 * 505 && presentFrames < 4 * 505, `ffmpeg decodes ${presentFrames} frames of the cut file`);

  const { record, mp3 } = await uploadFile(context, cut);
  assert.is(record.input.encoding, 'ima-adpcm');
  assert.is(record.input.truncated, true);
  assert.ok(Math.abs(record.input.durationSeconds - presentFrames / rate) < 1e-9, `converted ${record.input.durationSeconds} s, ffmpeg ${presentFrames} frames`);
  assert.ok(Math.abs(record.input.declaredDurationSeconds - declaredFrames / rate) < 1e-9, `declared ${record.input.declaredDurationSeconds} s, ffmpeg ${declaredFrames} frames`);
  assert.is((await decodeMp3(mp3)).samples, presentFrames);
});

uploads('when an ADPCM header contradicts itself, then 422 names the property: samples per block, coefficients', async (context) => {
  const source = path.join(context.dir, 'contradiction-source.wav');
  await writeFile(source, encodeWav({ sampleRate: 8000, channels: 1 }, musicLike(0.5, 8000, 1)));
  const cases: Array<{ codec: string; property: string; damage: (wav: CodedWav) => CodedWav }> = [
    {
      // 256-byte mono blocks hold 505 samples; 504 fits no block align.
      codec: 'adpcm_ima_wav',
      property: 'samples per block',
      damage: (wav) => ({ ...wav, fmt: { ...wav.fmt, extension: Uint8Array.from([504 & 0xff, 504 >> 8]) } }),
    },
    {
      // A coefficient table cut to six pairs: Microsoft ADPCM needs at least the standard seven.
      codec: 'adpcm_ms',
      property: 'coefficients',
      damage: (wav) => {
        const extension = wav.fmt.extension.slice(0, 4 + 4 * 6);
        new DataView(extension.buffer).setUint16(2, 6, true);
        return { ...wav, fmt: { ...wav.fmt, extension } };
      },
    },
  ];
  for (const { codec, property, damage } of cases) {
    const coded = path.join(context.dir, `contradiction-${codec}.wav`);
    ffmpeg(['-y', '-i', source, '-c:a', codec, '-block_size', '256', coded]);
    const response = await upload(context.service.url, writeCodedWav(damage(readCodedWav(await readFile(coded)))), { user: context.user.id, token: context.user.token });
    const text = await response.text();
    assert.is(response.status, 422, `${codec}: ${text}`);
    const problem = JSON.parse(text) as { type: string; property?: string };
    assert.equal([problem.type, problem.property], ['/problems/invalid-audio', property], `${codec}: ${text}`);
  }
});

uploads('when ffmpeg writes G.722, G.726, Yamaha ADPCM or MP3 into a WAV, then 415 names the codec', async (context) => {
  const source = path.join(context.dir, 'other-codecs-source.wav');
  await writeFile(source, encodeWav({ sampleRate: 8000, channels: 1 }, musicLike(0.5, 8000, 1)));
  for (const [codec, name] of [
    ['g722', 'G.722'],
    ['g726', 'G.726'],
    ['adpcm_yamaha', 'Yamaha ADPCM'],
    ['libmp3lame', 'MP3'],
  ] as const) {
    const coded = path.join(context.dir, `other-${codec}.wav`);
    ffmpeg(['-y', '-i', source, '-c:a', codec, '-f', 'wav', coded]);
    const response = await upload(context.service.url, await readFile(coded), { user: context.user.id, token: context.user.token });
    const text = await response.text();
    assert.is(response.status, 415, `${codec}: ${text}`);
    const problem = JSON.parse(text) as { type: string; property?: string; detail: string };
    assert.equal([problem.type, problem.property], ['/problems/unsupported-audio', 'format tag'], `${codec}: ${text}`);
    assert.ok(problem.detail.includes(name), `${codec}: ${problem.detail}`);
  }
});

uploads('when the bits per sample of a PCM header are anything from 1 to 32, then the samples its block align gives are converted, or 422 names the block align', async (context) => {
  // The rule (README): the block align gives each sample's container, the declared bits are the valid bits within
  // it; bits that do not fit the container make the header contradict itself. No combination may convert to noise.
  const rate = 8000;
  const signal = musicLike(0.25, rate, 2);
  const outcomes: string[] = [];
  for (const container of [8, 16, 24, 32]) {
    const wav = encodeWav({ sampleRate: rate, channels: 2, bitsPerSample: container }, signal);
    for (const bits of [1, 4, 7, 8, 9, 12, 15, 16, 17, 20, 23, 24, 25, 28, 31, 32]) {
      const changed = wav.slice();
      new DataView(changed.buffer).setUint16(34, bits, true); // block align (offset 32) stays 2 × container / 8
      const response = await upload(context.service.url, changed, { user: context.user.id, token: context.user.token });
      const text = await response.text();
      const label = `${bits} bits in ${container}-bit samples`;
      if (bits > container) {
        assert.is(response.status, 422, `${label}: ${text}`);
        assert.is((JSON.parse(text) as { property?: string }).property, 'block align', `${label}: ${text}`);
        outcomes.push(`${bits}/${container}: 422`);
        continue;
      }
      assert.is(response.status, 201, `${label}: ${text}`);
      const record = JSON.parse(text) as RecordView;
      assert.equal([record.input.bitsPerSample, record.input.durationSeconds], [bits, 0.25], label);
      const decoded = await decodeMp3((await download(record.url)).bytes);
      const correlations = [0, 1].map((channel) => bestCorrelation(signal[channel]!, decoded.channels[channel]!, 64).correlation);
      assert.ok(correlations.every((c) => c > 0.99), `${label}: correlations ${correlations.map((c) => c.toFixed(4)).join(', ')}`);
      outcomes.push(`${bits}/${container}: ${Math.min(...correlations).toFixed(4)}`);
    }
  }
  console.log(`# bits/container: ${outcomes.join('; ')}`);
});

uploads.run();
