// Uploads converted while they arrive (issue 15), through the real service on a real socket: the body is sent in
// parts, with pauses, so the test sees what the service did before the last byte came.
import http from 'node:http';
import * as assert from 'uvu/assert';
import { encodeWav, type WavSpec } from './fixtures/wav-writer.js';
import { musicLike } from './fixtures/signals.js';
import { createUser, download, type CreatedUser, type RecordView } from './support/api-client.js';
import { decodeMp3 } from './support/mp3-decode.js';
import { handMadeUpload } from './support/multipart.js';
import { checkMp3Stream } from './support/stream-checks.js';
import { suite } from './support/suite.js';
import { startTestService, type TestService } from './support/test-service.js';
import { until } from './support/until.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Context {
  service: TestService;
  user: CreatedUser;
}

const streaming = suite<Context>('uploads converted as they arrive', {} as Context);

streaming.before(async (context) => {
  context.service = await startTestService({ threads: 2, maxAudioSeconds: 3600 });
  context.user = await createUser(context.service.url, 'streaming uploads');
});

streaming.after(async (context) => {
  await context.service?.close();
});

interface Answer {
  status: number;
  body: string;
}

/** A POST /record whose body the test sends part by part; `answer` settles when the service responds. */
function openUpload(url: string, user: CreatedUser, bodyBytes: number, fieldsAfterFile = '') {
  const form = handMadeUpload('streamed', user);
  const tail = fieldsAfterFile + form.tail;
  const request = http.request(`${url}/record`, {
    method: 'POST',
    headers: { 'Content-Type': form.contentType, 'Content-Length': Buffer.byteLength(form.head) + bodyBytes + Buffer.byteLength(tail) },
  });
  request.on('error', () => {}); // a refusal may close the connection while the test still writes
  const answer = new Promise<Answer>((resolve, reject) => {
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
  });
  let answered = false;
  void answer.then(() => (answered = true), () => {});
  request.write(form.head);
  return {
    request,
    answer,
    get answered() {
      return answered;
    },
    send: (bytes: Uint8Array) => new Promise<void>((resolve) => (request.write(bytes) ? resolve() : request.once('drain', resolve))),
    end: () => request.end(tail),
  };
}

const spec: WavSpec = { sampleRate: 16_000, channels: 1 };

streaming('when a long recording is still arriving, then its pieces are encoded before the last byte, and the MP3 is whole', async ({ service, user }) => {
  const source = musicLike(300, spec.sampleRate, 1);
  const wav = encodeWav(spec, source);
  await sleep(100);
  const upload = openUpload(service.url, user, wav.length);
  const before = service.pool.piecesEncoded;
  // Four fifths now; the rest once the service has shown it is converting.
  await upload.send(wav.subarray(0, Math.floor(wav.length * 0.8)));
  // 300 s: four pieces of 57.5 s, then 40, 20 and 10 s. With 240 s on disk, the four whose audio (and a second past
  // it) has arrived are encoded while the client waits.
  await until('four pieces are encoded while the upload waits', () => service.pool.piecesEncoded >= before + 4, 60_000);
  assert.not.ok(upload.answered, 'no answer before the upload ended');
  await upload.send(wav.subarray(Math.floor(wav.length * 0.8)));
  upload.end();
  const { status, body } = await upload.answer;
  assert.is(status, 201, body);
  const record = JSON.parse(body) as RecordView;
  assert.is(service.pool.piecesEncoded - before, 7, 'seven pieces in all');
  const { bytes } = await download(record.url);
  assert.is((await decodeMp3(bytes)).samples, source[0]!.length, 'decoded length');
  assert.equal(await checkMp3Stream(bytes), { ffmpeg: '', mp3val: [] });
}, { timeLimitMs: 120_000 });

streaming('when the header already rules a recording out, then the refusal comes before the upload ends, and nothing is kept', async ({ service, user }) => {
  // Two hours declared (more than this service converts); only the header and a little audio are ever sent.
  const wav = encodeWav(spec, [new Float32Array(16_000)]);
  const view = new DataView(wav.buffer, wav.byteOffset);
  const declared = 2 * 3600 * 16_000 * 2;
  view.setUint32(40, declared, true);
  view.setUint32(4, declared + 36, true);
  const upload = openUpload(service.url, user, 44 + declared);
  await upload.send(wav);
  const { status, body } = await upload.answer;
  assert.is(status, 422, body);
  assert.is((JSON.parse(body) as { type: string }).type, '/problems/audio-too-long');
  upload.request.destroy();
  await until('the spool is empty', async () => (await service.spooledFiles()).length === 0, 5_000);
});

streaming('when an upload stops half way after pieces were stored, then no record, no chunk and no spooled file is left', async ({ service, user }) => {
  const wav = encodeWav(spec, musicLike(300, spec.sampleRate, 1));
  await sleep(100);
  const [records] = await service.sql<[{ n: number }]>`select count(*)::int as n from records where user_id = ${user.id}`;
  const upload = openUpload(service.url, user, wav.length);
  const before = service.pool.piecesEncoded;
  await upload.send(wav.subarray(0, Math.floor(wav.length * 0.8)));
  await until('pieces are encoded', () => service.pool.piecesEncoded >= before + 2, 60_000);
  upload.request.destroy();
  await until('the spool is empty', async () => (await service.spooledFiles()).length === 0, 10_000);
  await until('the pool is idle', () => service.pool.stats.running === 0, 10_000);
  const [after] = await service.sql<[{ n: number }]>`select count(*)::int as n from records where user_id = ${user.id}`;
  assert.is(after.n, records.n, 'no record');
  const [orphans] = await service.sql<[{ n: number }]>`select count(*)::int as n from record_chunks c where not exists (select 1 from records r where r.id = c.record_id)`;
  assert.is(orphans.n, 0, 'no chunk without its record');
}, { timeLimitMs: 120_000 });

streaming('when a long upload ends short of what its header declared, then its pieces past the end are dropped and the MP3 has the length that arrived', async ({ service, user }) => {
  const source = musicLike(210, spec.sampleRate, 1);
  const declaredFrames = 300 * spec.sampleRate;
  const wav = encodeWav({ ...spec, truncateDataBytes: (declaredFrames - source[0]!.length) * 2 }, [
    Float32Array.from({ length: declaredFrames }, (_, i) => source[0]![i] ?? 0),
  ]);
  await sleep(100);
  const upload = openUpload(service.url, user, wav.length);
  await upload.send(wav);
  upload.end();
  const { status, body } = await upload.answer;
  assert.is(status, 201, body);
  const record = JSON.parse(body) as RecordView & { input: { truncated: boolean; declaredDurationSeconds: number } };
  assert.equal([record.input.truncated, record.input.declaredDurationSeconds, record.input.durationSeconds], [true, 300, 210]);
  const { bytes } = await download(record.url);
  assert.is((await decodeMp3(bytes)).samples, source[0]!.length, 'decoded length');
  assert.equal(await checkMp3Stream(bytes), { ffmpeg: '', mp3val: [] });
  // The ID3 tag written first announced 300 s; it was corrected in place.
  assert.ok(Buffer.from(bytes.subarray(0, 64)).includes(Buffer.from('210000')), 'TLEN of 210 s');
}, { timeLimitMs: 120_000 });

streaming('when options come after the file, then the conversion started without them is redone with them', async ({ service, user }) => {
  const wav = encodeWav(spec, musicLike(5, spec.sampleRate, 1));
  const upload = openUpload(service.url, user, wav.length, '\r\n--streamed\r\nContent-Disposition: form-data; name="bitrate"\r\n\r\n32');
  await upload.send(wav);
  upload.end();
  const { status, body } = await upload.answer;
  assert.is(status, 201, body);
  assert.is((JSON.parse(body) as RecordView).output.bitrateKbps, 32);
});

streaming.run();
