// Long recordings encoded in pieces on the idle threads (issue 15, src/audio/split-conversion.ts), through the real
// service: uploads of 4-minute recordings with the default SPLIT_MIN_SECONDS, their MP3s downloaded and checked
// against a conversion of the same file on one thread (convertWavFile in this process) and against the source.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { compileLameWasm } from '../src/audio/wasm-lame-encoder.js';
import { encodeWav, type WavSpec } from './fixtures/wav-writer.js';
import { musicLike } from './fixtures/signals.js';
import { createUser, download, uploadOk, type CreatedUser } from './support/api-client.js';
import { convertToMp3 } from './support/convert-to-mp3.js';
import { decodeMp3, type DecodedMp3 } from './support/mp3-decode.js';
import { checkMp3Stream } from './support/stream-checks.js';
import { suite } from './support/suite.js';
import { startTestService, type TestService } from './support/test-service.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A recording made in this thread, which the service shares: seconds of synchronous work, during which the service's
 * keep-alive timeout for fetch's idle connection expires unseen. Without a pause the upload would go out on that
 * connection just as the server's overdue timer closes it (ECONNRESET).
 */
async function recording(spec: WavSpec, seconds: number): Promise<{ source: Float32Array[]; wav: Uint8Array }> {
  const source = musicLike(seconds, spec.sampleRate, spec.channels);
  const wav = encodeWav(spec, source);
  await sleep(100);
  return { source, wav };
}

interface Context {
  service: TestService;
  user: CreatedUser;
  dir: string;
  wasm: WebAssembly.Module;
}

const split = suite<Context>('split conversion', {} as Context);

split.before(async (context) => {
  context.service = await startTestService({ threads: 2 });
  context.user = await createUser(context.service.url, 'long recordings');
  context.dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-split-'));
  context.wasm = await compileLameWasm();
});

split.after(async (context) => {
  await context.service?.close();
  await rm(context.dir, { recursive: true, force: true });
});

/** SNR in dB of `decoded` against `source`, both at the same rate, over every channel. */
function snrDb(decoded: DecodedMp3, source: Float32Array[]): number {
  let signal = 0;
  let error = 0;
  for (let c = 0; c < source.length; c++) {
    for (let i = 0; i < source[c]!.length; i++) {
      signal += source[c]![i]! ** 2;
      error += (decoded.channels[c]![i]! - source[c]![i]!) ** 2;
    }
  }
  return 10 * Math.log10(signal / error);
}

const cases: { name: string; spec: WavSpec; fields?: Record<string, string> }[] = [
  { name: '16-bit stereo 44.1 kHz at the default CBR 128', spec: { sampleRate: 44_100, channels: 2 } },
  { name: 'float stereo 48 kHz at VBR 2', spec: { sampleRate: 48_000, channels: 2, encoding: 'float' }, fields: { vbr: '2' } },
  { name: '8-bit mono 22.05 kHz', spec: { sampleRate: 22_050, channels: 1, bitsPerSample: 8 } },
];

for (const c of cases) {
  split(`when a 4-minute ${c.name} recording arrives at an idle service, then it is encoded in pieces and sounds as a one-thread conversion`, async (context) => {
    const { source, wav } = await recording(c.spec, 240);
    const before = context.service.pool.splitConversions;
    const record = await uploadOk(context.service.url, wav, { user: context.user.id, token: context.user.token, fields: c.fields ?? {} });
    assert.is(context.service.pool.splitConversions, before + 1, 'the conversion was split');
    const { response, bytes } = await download(record.url);
    assert.is(response.status, 200);

    const file = path.join(context.dir, 'input.wav');
    await writeFile(file, wav);
    const serial = await convertToMp3(file, { encoder: 'wasm', ...(c.fields?.vbr ? { vbrQuality: Number(c.fields.vbr) } : {}) }, context.wasm);
    const decoded = await decodeMp3(bytes);
    // The Info frame's gapless fields trim the joined stream to the source's length, as they do the serial one's.
    assert.is(decoded.samples, source[0]!.length, 'decoded length');
    assert.is(serial.decoded.samples, source[0]!.length);
    // A whole MP3 as the service stores it: ID3 tag, Info frame, frames. Neither checker has anything to say.
    assert.equal(await checkMp3Stream(bytes), { ffmpeg: '', mp3val: [] });
    const [joinedSnr, serialSnr] = [snrDb(decoded, source), snrDb(serial.decoded, source)];
    console.log(`  # ${c.name}: SNR split ${joinedSnr.toFixed(3)} dB, one thread ${serialSnr.toFixed(3)} dB; ${bytes.length} and ${serial.mp3.length} bytes`);
    assert.ok(Math.abs(joinedSnr - serialSnr) <= 0.05, `SNR split ${joinedSnr} dB, one thread ${serialSnr} dB`);
    assert.is(record.output.bytes, bytes.length);
    assert.equal(
      { sampleRate: record.input.sampleRate, channels: record.input.channels, durationSeconds: record.input.durationSeconds, output: record.output.sampleRate },
      { sampleRate: serial.summary.input.sampleRate, channels: serial.summary.input.channels, durationSeconds: serial.summary.input.durationSeconds, output: serial.summary.output.sampleRate },
    );
  }, { timeLimitMs: 120_000 });
}

split('when a recording is shorter than SPLIT_MIN_SECONDS, then it is converted on one thread', async (context) => {
  const { wav } = await recording({ sampleRate: 44_100, channels: 2 }, 150);
  const before = context.service.pool.splitConversions;
  await uploadOk(context.service.url, wav, { user: context.user.id, token: context.user.token });
  assert.is(context.service.pool.splitConversions, before);
}, { timeLimitMs: 60_000 });

split('when a short upload arrives while a long one is split across every thread, then it gets the next free thread and is done first', async (context) => {
  const long = await recording({ sampleRate: 44_100, channels: 2 }, 360);
  const short = await recording({ sampleRate: 44_100, channels: 2 }, 5);
  const other = await createUser(context.service.url, 'short recordings');
  const before = context.service.pool.splitConversions;
  const started = Date.now();
  const finished: string[] = [];
  const longUpload = uploadOk(context.service.url, long.wav, { user: context.user.id, token: context.user.token }).then(() => finished.push('long'));
  while (context.service.pool.splitConversions === before) await sleep(20);
  await sleep(500); // both threads are encoding pieces of the long one now
  const shortStarted = Date.now();
  await uploadOk(context.service.url, short.wav, { user: other.id, token: other.token }).then(() => finished.push('short'));
  const shortSeconds = (Date.now() - shortStarted) / 1000;
  await longUpload;
  console.log(`  # 5 s upload during a split 6-minute one: 201 after ${shortSeconds.toFixed(1)} s; the long one after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(finished, ['short', 'long']);
}, { timeLimitMs: 120_000 });

split.run();
