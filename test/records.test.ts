import { suite } from './support/suite.js';
import * as assert from 'uvu/assert';
import { sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, download, upload, uploadOk, type CreatedUser } from './support/api-client.js';
import { dominantFrequency } from './support/audio-analysis.js';
import { decodeMp3 } from './support/mp3-decode.js';
import { startTestService, type TestService } from './support/test-service.js';

interface Context {
  service: TestService;
  user: CreatedUser;
}
const records = suite<Context>('POST /record and GET /record', {} as Context);

records.before(async (context) => {
  context.service = await startTestService();
  context.user = await createUser(context.service.url, 'uploader');
});
records.after(async ({ service }) => service.close());

const tone = (freq: number, seconds: number, rate: number, channels: 1 | 2) => {
  const s = sine(freq, seconds, rate);
  return encodeWav({ sampleRate: rate, channels }, channels === 1 ? [s] : [s, s]);
};

for (const [rate, channels] of [
  [44100, 2],
  [44100, 1],
  [48000, 2],
  [22050, 1],
  [8000, 1],
] as const) {
  records(`when a ${rate} Hz ${channels}-channel 16-bit WAV is uploaded, then its MP3 has the same duration, channels and tone`, async ({ service, user }) => {
    const seconds = 2.5;
    const record = await uploadOk(service.url, tone(1000, seconds, rate, channels), { user: user.id, token: user.token, fileName: 'take.wav' });
    assert.is(record.input.sampleRate, rate);
    assert.is(record.input.channels, channels);
    assert.ok(Math.abs(record.input.durationSeconds - seconds) < 1e-9);

    const { response, bytes } = await download(record.url);
    assert.is(response.status, 200);
    assert.is(response.headers.get('content-type'), 'audio/mpeg');
    assert.is(Number(response.headers.get('content-length')), bytes.length);
    assert.is(bytes.length, record.output.bytes);
    assert.match(response.headers.get('content-disposition') ?? '', /^attachment; filename="take\.mp3"/);

    const decoded = await decodeMp3(bytes);
    assert.is(decoded.channels.length, channels);
    assert.is(decoded.sampleRate, rate);
    const decodedSeconds = decoded.samples / decoded.sampleRate;
    // The LAME tag lets the decoder drop the encoder delay and padding: the length is exact, not merely close.
    assert.ok(Math.abs(decodedSeconds - seconds) <= 0.001, `decoded ${decodedSeconds} s, source ${seconds} s`);
    const mid = decoded.channels[0]!.subarray(Math.floor(decoded.samples / 4), Math.floor((decoded.samples * 3) / 4));
    assert.ok(Math.abs(dominantFrequency(mid, decoded.sampleRate) - 1000) < 5);
  });
}

records('when the upload succeeds, then the url has the form http://host:port/record?id=…&user=… and Location matches', async ({ service, user }) => {
  const response = await upload(service.url, tone(440, 0.5, 44100, 1), { user: user.id, token: user.token });
  assert.is(response.status, 201);
  const record = (await response.json()) as { id: string; url: string };
  assert.is(record.url, `${service.url}/record?id=${record.id}&user=${user.id}`);
  assert.is(response.headers.get('location'), record.url);
});

records('when the token comes as a Bearer header instead of a field, then the upload is accepted', async ({ service, user }) => {
  const response = await upload(service.url, tone(440, 0.5, 44100, 1), { user: user.id, bearer: user.token });
  assert.is(response.status, 201);
});

records('when the token is wrong, missing or of another user, then 401 with WWW-Authenticate and nothing is stored', async ({ service, user }) => {
  const other = await createUser(service.url, 'other');
  const recordCount = async () =>
    (await service.sql<{ count: number }[]>`select count(*)::int as count from records where user_id in (${user.id}, ${other.id})`)[0]!.count;
  const before = await recordCount();
  const cases = [
    { user: user.id, token: '00000000-0000-4000-8000-000000000000' },
    { user: user.id },
    { user: user.id, token: other.token },
    { user: '00000000-0000-4000-8000-000000000000', token: user.token },
    // A Bearer token is a user's whole credential: naming someone else beside it is refused, not stored for either.
    { user: user.id, bearer: other.token },
  ];
  const bodies = new Set<string>();
  for (const options of cases) {
    const response = await upload(service.url, tone(440, 0.5, 44100, 1), options);
    assert.is(response.status, 401, JSON.stringify(options));
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
    const { detail, type } = (await response.json()) as { detail: string; type: string };
    bodies.add(`${type} ${detail}`);
  }
  // Whether the user exists or not, the answer is the same.
  assert.is(bodies.size, 1);
  assert.is(await recordCount(), before);
  assert.equal(await service.spooledFiles(), []);
});

records('when the record does not exist or belongs to another user, then 404', async ({ service, user }) => {
  const mine = await uploadOk(service.url, tone(440, 0.5, 44100, 1), { user: user.id, token: user.token });
  const other = await createUser(service.url, 'other');
  for (const url of [
    `${service.url}/record?id=00000000-0000-4000-8000-000000000000&user=${user.id}`,
    `${service.url}/record?id=${mine.id}&user=${other.id}`,
  ]) {
    const response = await fetch(url);
    assert.is(response.status, 404);
    assert.is((await response.json() as { type: string }).type, '/problems/not-found');
  }
});

records('when the ids are not UUIDs, then 422 naming them', async ({ service }) => {
  const response = await fetch(`${service.url}/record?id=42&user=abc`);
  assert.is(response.status, 422);
  const problem = (await response.json()) as { errors: { field: string }[] };
  assert.equal(problem.errors.map((e) => e.field).sort(), ['id', 'user']);
});

records('when the file is not a WAV at all, then 415 and no row and no spooled file remain', async ({ service, user }) => {
  const response = await upload(service.url, new TextEncoder().encode('this is not audio'), { user: user.id, token: user.token });
  assert.is(response.status, 415);
  const problem = (await response.json()) as { type: string; property: string };
  assert.is(problem.type, '/problems/unsupported-audio');
  assert.is(problem.property, 'container');
  assert.equal(await service.spooledFiles(), []);
});

records('when the user and token fields come first, then a wrong token is refused before the file is spooled', async ({ service, user }) => {
  // A large body the server never needs to read: the answer comes from the fields alone.
  const big = new Uint8Array(64 * 1024 * 1024);
  const response = await upload(service.url, big, { user: user.id, token: 'wrong' });
  assert.is(response.status, 401);
  assert.equal(await service.spooledFiles(), []);
});

records.run();
