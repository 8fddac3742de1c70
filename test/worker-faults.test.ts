// A worker that dies or hangs takes only its own request down: the request gets a problem answer, the worker is
// replaced, and the next upload converts.
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { musicLike, sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, download, upload, uploadOk } from './support/api-client.js';
import { decodeMp3 } from './support/mp3-decode.js';
import { startTestService } from './support/test-service.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const short = () => encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 0.2, 8000)]);

test('when a worker is killed mid-conversion, then that upload gets a 500 problem, nothing is stored, and the next upload works', async () => {
  const service = await startTestService({ threads: 1 });
  try {
    const user = await createUser(service.url, 'unlucky');
    const long = encodeWav({ sampleRate: 44100, channels: 2 }, musicLike(120, 44100, 2));
    const pending = upload(service.url, long, { user: user.id, token: user.token });
    // Wait until the conversion is running, then kill the thread under it.
    for (let i = 0; i < 1000 && service.pool.stats.running === 0; i++) await wait(10);
    await wait(100);
    await Promise.all(service.pool.workers.map((w) => w.terminate()));
    const response = await pending;
    assert.is(response.status, 500);
    const problem = (await response.json()) as { type: string; requestId: string };
    assert.is(problem.type, '/problems/internal-error');
    assert.ok(problem.requestId);
    const [row] = await service.sql<{ count: number }[]>`select count(*)::int as count from records where user_id = ${user.id}`;
    assert.is(row!.count, 0);
    const next = await uploadOk(service.url, short(), { user: user.id, token: user.token });
    assert.ok(next.output.bytes > 0);
    assert.equal(await service.spooledFiles(), []);
  } finally {
    await service.close();
  }
});

test('when one of two workers dies mid-conversion, then only its upload fails: the other, in flight on the other thread, gets its 201 and whole MP3', async () => {
  const service = await startTestService({ threads: 2 });
  try {
    const [first, second] = [await createUser(service.url, 'first'), await createUser(service.url, 'second')];
    const seconds = 90;
    const long = encodeWav({ sampleRate: 44100, channels: 2 }, musicLike(seconds, 44100, 2));
    const pending = [first, second].map((u) => upload(service.url, long, { user: u.id, token: u.token }));
    for (let i = 0; i < 1500 && service.pool.stats.running < 2; i++) await wait(10);
    assert.is(service.pool.stats.running, 2, 'both conversions are running');
    await wait(100);
    await service.pool.workers[0]!.terminate();
    const responses = await Promise.all(pending);
    assert.equal(responses.map((r) => r.status).sort(), [201, 500]);
    const survivor = responses.find((r) => r.status === 201)!;
    const record = (await survivor.json()) as { url: string };
    const { bytes } = await download(record.url);
    const decoded = await decodeMp3(bytes);
    assert.is(decoded.samples, seconds * 44100, 'the surviving upload was converted whole');
  } finally {
    await service.close();
  }
});

test('when a conversion runs past the time limit, then 503 conversion-timeout with Retry-After, and the replaced worker converts the next upload', async () => {
  const service = await startTestService({ threads: 1, taskTimeoutMs: 1000 });
  try {
    const user = await createUser(service.url, 'patient');
    const long = encodeWav({ sampleRate: 44100, channels: 2 }, musicLike(300, 44100, 2));
    const response = await upload(service.url, long, { user: user.id, token: user.token });
    assert.is(response.status, 503);
    assert.is(((await response.json()) as { type: string }).type, '/problems/conversion-timeout');
    assert.is(response.headers.get('retry-after'), '60', 'every 503 says when to retry');
    const next = await uploadOk(service.url, short(), { user: user.id, token: user.token });
    assert.ok(next.output.bytes > 0);
    const [row] = await service.sql<{ count: number }[]>`select count(*)::int as count from records where user_id = ${user.id}`;
    assert.is(row!.count, 1);
  } finally {
    await service.close();
  }
});

test.run();
