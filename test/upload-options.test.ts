// What the upload route makes of output options and of audio it cannot or will not convert, end to end over HTTP.
import { suite } from './support/suite.js';
import * as assert from 'uvu/assert';
import { sine } from './fixtures/signals.js';
import { encodeWav, type WavSpec } from './fixtures/wav-writer.js';
import { createUser, download, upload, uploadOk, type CreatedUser } from './support/api-client.js';
import { decodeMp3 } from './support/mp3-decode.js';
import { startTestService, type TestService } from './support/test-service.js';

interface Context {
  wasm: TestService;
  lamejs: TestService;
  user: CreatedUser;
  lamejsUser: CreatedUser;
}
const options = suite<Context>('upload options and refusals', {} as Context);

options.before(async (context) => {
  context.wasm = await startTestService({ maxAudioSeconds: 60 });
  context.lamejs = await startTestService({ encoder: 'lamejs' });
  context.user = await createUser(context.wasm.url, 'options');
  context.lamejsUser = await createUser(context.lamejs.url, 'options');
});
options.after(async ({ wasm, lamejs }) => {
  await wasm.close();
  await lamejs.close();
});

const wav = (spec: Partial<WavSpec> = {}, seconds = 0.5) => {
  const rate = spec.sampleRate ?? 44100;
  const channels = spec.channels ?? 2;
  return encodeWav({ sampleRate: rate, channels, ...spec }, Array.from({ length: channels }, () => sine(440, seconds, rate)));
};

const problemOf = async (response: Response) => (await response.json()) as { type: string; property?: string; detail: string; errors?: { field: string }[] };

options('when bitrate, vbr and mono are given, then the MP3 has them and the answer describes input and output', async ({ wasm, user }) => {
  const cbr = await uploadOk(wasm.url, wav({ bitsPerSample: 24, sampleRate: 48000 }), { user: user.id, token: user.token, fields: { bitrate: '192' } });
  assert.equal(cbr.input, { container: 'RIFF', encoding: 'pcm', bitsPerSample: 24, sampleRate: 48000, channels: 2, durationSeconds: 0.5, truncated: false, declaredDurationSeconds: 0.5 });
  assert.is(cbr.output.bitrateKbps, 192);
  assert.is(cbr.output.vbrQuality, null);
  assert.is(cbr.output.sampleRate, 48000);

  const vbrMono = await uploadOk(wasm.url, wav(), { user: user.id, token: user.token, fields: { vbr: '3', mono: 'true' } });
  assert.is(vbrMono.output.vbrQuality, 3);
  assert.is(vbrMono.output.bitrateKbps, null);
  assert.is(vbrMono.output.channels, 1);
  const decoded = await decodeMp3((await download(vbrMono.url)).bytes);
  assert.is(decoded.channels.length, 1);
});

options('when an option field is sent empty, as HTML forms do, then it counts as not given', async ({ wasm, user }) => {
  const record = await uploadOk(wasm.url, wav(), { user: user.id, token: user.token, fields: { bitrate: '', vbr: '2', mono: '' } });
  assert.is(record.output.vbrQuality, 2);
  assert.is(record.output.channels, 2);
});

options('when an option is out of range or both bitrate and vbr are sent, then 422 naming the field', async ({ wasm, user }) => {
  for (const [fields, field] of [
    [{ bitrate: '1000' }, 'bitrate'],
    [{ bitrate: 'fast' }, 'bitrate'],
    [{ vbr: '10' }, 'vbr'],
    [{ mono: 'maybe' }, 'mono'],
    [{ bitrate: '128', vbr: '2' }, 'vbr'],
  ] as const) {
    const response = await upload(wasm.url, wav(), { user: user.id, token: user.token, fields });
    assert.is(response.status, 422, JSON.stringify(fields));
    const problem = await problemOf(response);
    assert.is(problem.type, '/problems/validation-failed');
    assert.ok(problem.errors?.some((e) => e.field === field), JSON.stringify(problem));
  }
});

options('when the server runs lamejs and VBR or an unsupported rate is asked, then 422 says what lamejs cannot do', async ({ lamejs, lamejsUser: user }) => {
  const vbr = await upload(lamejs.url, wav(), { user: user.id, token: user.token, fields: { vbr: '2' } });
  assert.is(vbr.status, 422);
  const vbrProblem = await problemOf(vbr);
  assert.is(vbrProblem.type, '/problems/unsupported-option');
  assert.is(vbrProblem.property, 'vbr');

  const odd = await upload(lamejs.url, wav({ sampleRate: 20000, channels: 1 }), { user: user.id, token: user.token });
  assert.is(odd.status, 422);
  assert.is((await problemOf(odd)).property, 'sample rate');

  const fine = await uploadOk(lamejs.url, wav(), { user: user.id, token: user.token });
  assert.is(fine.output.bitrateKbps, 128);
});

options('when the WAV holds MP3 or a codec not decoded (G.726, Yamaha ADPCM), then 415 with the format tag named', async ({ wasm, user }) => {
  for (const [tag, name] of [[0x55, 'MPEG Layer 3'], [0x64, 'ITU G.726 ADPCM'], [0x20, 'Yamaha ADPCM']] as const) {
    const file = wav().slice();
    new DataView(file.buffer).setUint16(20, tag, true);
    const response = await upload(wasm.url, file, { user: user.id, token: user.token });
    assert.is(response.status, 415);
    const problem = await problemOf(response);
    assert.is(problem.type, '/problems/unsupported-audio');
    assert.is(problem.property, 'format tag');
    assert.ok(problem.detail.includes(name), problem.detail);
  }
});

options('when the WAV header says 0 channels or has no data, then 422 invalid-audio', async ({ wasm, user }) => {
  const zeroChannels = wav().slice();
  new DataView(zeroChannels.buffer).setUint16(22, 0, true);
  const noData = wav().slice(0, 36);
  for (const [file, property] of [[zeroChannels, 'channels'], [noData, 'data chunk']] as const) {
    const response = await upload(wasm.url, file, { user: user.id, token: user.token });
    assert.is(response.status, 422);
    const problem = await problemOf(response);
    assert.is(problem.type, '/problems/invalid-audio');
    assert.is(problem.property, property);
  }
});

options('when the recording is longer than the server allows, then 422 audio-too-long and nothing is stored', async ({ wasm, user }) => {
  const response = await upload(wasm.url, wav({ sampleRate: 8000, channels: 1 }, 61), { user: user.id, token: user.token });
  assert.is(response.status, 422);
  assert.is((await problemOf(response)).type, '/problems/audio-too-long');
  assert.equal(await wasm.spooledFiles(), []);
});

options('when the file name is not ASCII, then the download keeps it (RFC 5987) and the ID3 title carries it', async ({ wasm, user }) => {
  const record = await uploadOk(wasm.url, wav(), { user: user.id, token: user.token, fileName: 'запись ёжик.wav' });
  assert.is(record.name, 'запись ёжик.wav');
  const { response, bytes } = await download(record.url);
  const disposition = response.headers.get('content-disposition') ?? '';
  assert.ok(disposition.includes(`filename*=UTF-8''${encodeURIComponent('запись ёжик.mp3')}`), disposition);
  // ID3v2.4 TIT2 frame in UTF-8 right after the 10-byte tag header.
  assert.is(new TextDecoder().decode(bytes.subarray(0, 3)), 'ID3');
  assert.ok(Buffer.from(bytes.subarray(0, 200)).includes(Buffer.from('запись ёжик.wav', 'utf8')));
});

options.run();
