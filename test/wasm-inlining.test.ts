// The service turns V8's wasm inlining on at start-up where V8 still has it as an experimental feature (Node 20 and
// 22: src/audio/wasm-inlining.ts), which makes WASM LAME 1–5 % faster per core. A compiler option must not change a
// single output byte: the service as a real process converts recordings of each kind of encode (CBR, VBR, mono,
// resampled) into the same MP3 as this test process, which runs V8's defaults.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import type { ConversionOptions } from '../src/audio/convert-wav.js';
import { wasmInliningIsExperimental } from '../src/audio/wasm-inlining.js';
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

const inlining = suite<Context>('wasm inlining', {} as Context);

inlining.before(async (context) => {
  context.dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-inlining-'));
  context.service = await startServiceProcess({ DATA_DIR: context.dir, DATABASE_URL: testDatabaseUrl() });
  context.user = await createUser(context.service.url, 'wasm inlining');
  context.wasm = await compileLameWasm();
});

inlining.after(async (context) => {
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
  inlining(`when the service converts ${c.name}, then its MP3 is byte for byte the one V8's default compiler gives`, async (context) => {
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

inlining('when the service has started, then its V8 took the flag (V8 only warns on a flag it does not know)', (context) => {
  assert.not.match(context.service.output(), /unrecognized flag|bad option/i, context.service.output());
});

inlining('when the service has started, then its "listening" line says whether it turned wasm inlining on', (context) => {
  const listening = context.service
    .output()
    .split('\n')
    .filter((line) => line.includes('"msg":"listening on'))
    .map((line) => JSON.parse(line) as { wasmInlining?: string });
  assert.is(listening.length, 1, context.service.output());
  // The service runs on this process's node, so on this process's V8.
  const expected = wasmInliningIsExperimental(process.versions.v8) ? 'turned on at start-up' : "V8's default";
  assert.is(listening[0]!.wasmInlining, expected);
});

inlining('when V8 is older than 12.7, where wasm inlining shipped, then it is experimental and the service turns it on', () => {
  assert.ok(wasmInliningIsExperimental('11.3.244.8-node.33'), "Node 20's V8");
  assert.ok(wasmInliningIsExperimental('12.4.254.21-node.57'), "Node 22's V8");
  assert.ok(wasmInliningIsExperimental('12.6.228.3'));
  assert.not.ok(wasmInliningIsExperimental('12.7.224.18'));
  assert.not.ok(wasmInliningIsExperimental('13.6.233.10-node.18'), "Node 24's V8");
});

inlining.run();
