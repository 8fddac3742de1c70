// `npm start` runs node with flags of its own, among them `--wasm-inlining`: V8 11 (Node 20) leaves inlining of wasm
// calls off, later V8s turn it on, and it makes WASM LAME about 4 % faster per core (docs/SPLIT-ENCODE.md). A compiler
// option must not change a single output byte: the service as a real process, with those flags, converts recordings
// of each kind of encode (CBR, VBR, mono, resampled) into the same MP3 as this test process, which runs V8's default.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import type { ConversionOptions } from '../src/audio/convert-wav.js';
import { compileLameWasm } from '../src/audio/wasm-lame-encoder.js';
import { musicLike } from './fixtures/signals.js';
import { encodeWav, type WavSpec } from './fixtures/wav-writer.js';
import { createUser, download, uploadOk, type CreatedUser } from './support/api-client.js';
import { convertToMp3 } from './support/convert-to-mp3.js';
import { readId3v24 } from './support/id3-reader.js';
import { startServiceProcess, type ServiceProcess } from './support/service-process.js';
import { suite } from './support/suite.js';
import { testDatabaseUrl } from './support/test-service.js';

interface Context {
  service: ServiceProcess;
  user: CreatedUser;
  dir: string;
  wasm: WebAssembly.Module;
}

const flags = suite<Context>("npm start's node flags", {} as Context);

flags.before(async (context) => {
  context.dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-flags-'));
  context.service = await startServiceProcess({ DATA_DIR: context.dir, DATABASE_URL: testDatabaseUrl() });
  context.user = await createUser(context.service.url, 'node flags');
  context.wasm = await compileLameWasm();
});

flags.after(async (context) => {
  if (context.service) assert.is(await context.service.stop(), 0, context.service.output());
  await rm(context.dir, { recursive: true, force: true });
});

const cases: { name: string; spec: WavSpec; fields: Record<string, string>; options: ConversionOptions }[] = [
  { name: '16-bit stereo 44.1 kHz at CBR 128', spec: { sampleRate: 44_100, channels: 2 }, fields: {}, options: { encoder: 'wasm' } },
  { name: '16-bit stereo 44.1 kHz at CBR 320', spec: { sampleRate: 44_100, channels: 2 }, fields: { bitrate: '320' }, options: { encoder: 'wasm', bitrateKbps: 320 } },
  { name: 'float stereo 48 kHz at VBR 2', spec: { sampleRate: 48_000, channels: 2, encoding: 'float' }, fields: { vbr: '2' }, options: { encoder: 'wasm', vbrQuality: 2 } },
  { name: 'stereo 44.1 kHz folded to mono', spec: { sampleRate: 44_100, channels: 2 }, fields: { mono: 'true' }, options: { encoder: 'wasm', mono: true } },
  { name: '8-bit mono 11.025 kHz', spec: { sampleRate: 11_025, channels: 1, bitsPerSample: 8 }, fields: {}, options: { encoder: 'wasm' } },
  // Not an MP3 rate: resampled to 8 kHz inside LAME.
  { name: '16-bit mono 7 kHz, resampled', spec: { sampleRate: 7_000, channels: 1 }, fields: {}, options: { encoder: 'wasm' } },
];

for (const c of cases) {
  flags(`when the service converts ${c.name}, then its MP3 is byte for byte the one V8's default compiler gives`, async (context) => {
    const wav = encodeWav(c.spec, musicLike(6, c.spec.sampleRate, c.spec.channels));
    const record = await uploadOk(context.service.url, wav, { user: context.user.id, token: context.user.token, fields: c.fields });
    const { response, bytes: served } = await download(record.url);
    assert.is(response.status, 200);
    const file = path.join(context.dir, 'input.wav');
    await writeFile(file, wav);
    const { mp3: here } = await convertToMp3(file, c.options, context.wasm);
    // The ID3 tags differ in what names the upload; everything after them is the encoder's.
    const servedAudio = Buffer.from(served.subarray(readId3v24(served).bytes));
    const hereAudio = Buffer.from(here.subarray(readId3v24(here).bytes));
    assert.ok(servedAudio.length > 10_000, `${servedAudio.length} bytes of audio`);
    assert.ok(servedAudio.equals(hereAudio), `the audio differs: ${servedAudio.length} bytes served, ${hereAudio.length} here`);
  });
}

flags.run();
