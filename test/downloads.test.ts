// GET/HEAD /record as media players and download managers use it: ranges, validators, caching, HEAD.
import { suite } from './support/suite.js';
import * as assert from 'uvu/assert';
import { musicLike } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, download, uploadOk, type RecordView } from './support/api-client.js';
import { startTestService, type TestService } from './support/test-service.js';

interface Context {
  service: TestService;
  record: RecordView;
  full: Uint8Array;
  etag: string;
  lastModified: string;
}
const downloads = suite<Context>('GET /record: ranges and caching', {} as Context);

downloads.before(async (context) => {
  context.service = await startTestService();
  const user = await createUser(context.service.url, 'listener');
  // 20 s at 128 kbps is about 320 KB: more than one 256 KiB storage chunk, so ranges cross a chunk boundary.
  const wav = encodeWav({ sampleRate: 44100, channels: 2 }, musicLike(20, 44100, 2));
  context.record = await uploadOk(context.service.url, wav, { user: user.id, token: user.token, fileName: 'song.wav' });
  const { response, bytes } = await download(context.record.url);
  context.full = bytes;
  context.etag = response.headers.get('etag')!;
  context.lastModified = response.headers.get('last-modified')!;
});
downloads.after(async ({ service }) => service.close());

const get = (context: Context, headers: Record<string, string> = {}, method = 'GET') => fetch(context.record.url, { headers, method });

downloads('when downloaded whole, then the headers advertise ranges, validators and immutability', async (context) => {
  const response = await get(context);
  assert.is(response.status, 200);
  assert.is(response.headers.get('accept-ranges'), 'bytes');
  assert.match(context.etag, /^"[0-9a-f]{64}"$/);
  assert.ok(!Number.isNaN(Date.parse(context.lastModified)));
  assert.is(response.headers.get('cache-control'), 'private, max-age=31536000, immutable');
  assert.is(Number(response.headers.get('content-length')), context.full.length);
  assert.ok(context.full.length > 300_000);
  await response.arrayBuffer();
});

const size = (c: Context) => c.full.length;
const ranges: [string, (c: Context) => string, (c: Context) => [number, number]][] = [
  ['the first 100 bytes', () => 'bytes=0-99', () => [0, 99]],
  ['one byte', () => 'bytes=10-10', () => [10, 10]],
  ['a range across the 256 KiB chunk boundary', () => 'bytes=262000-262300', () => [262000, 262300]],
  ['an open-ended range', () => 'bytes=300000-', (c) => [300000, size(c) - 1]],
  ['a suffix range', () => 'bytes=-500', (c) => [size(c) - 500, size(c) - 1]],
  ['a range past the end (clamped)', (c) => `bytes=${size(c) - 10}-${size(c) + 1000}`, (c) => [size(c) - 10, size(c) - 1]],
  ['a suffix longer than the file', (c) => `bytes=-${size(c) + 5}`, (c) => [0, size(c) - 1]],
];
for (const [name, header, expected] of ranges) {
  downloads(`when ${name} is asked, then 206 with Content-Range and exactly those bytes`, async (context) => {
    const [start, end] = expected(context);
    const response = await get(context, { Range: header(context) });
    assert.is(response.status, 206);
    assert.is(response.headers.get('content-range'), `bytes ${start}-${end}/${size(context)}`);
    assert.is(Number(response.headers.get('content-length')), end - start + 1);
    assert.equal(new Uint8Array(await response.arrayBuffer()), context.full.subarray(start, end + 1));
  });
}

downloads('when the range starts past the end or is -0, then 416 with Content-Range: bytes */size', async (context) => {
  for (const header of [`bytes=${size(context)}-`, 'bytes=-0']) {
    const response = await get(context, { Range: header });
    assert.is(response.status, 416, header);
    assert.is(response.headers.get('content-range'), `bytes */${size(context)}`);
    assert.is(response.headers.get('content-type'), 'application/problem+json');
    await response.arrayBuffer();
  }
});

downloads('when several ranges or a malformed range are asked, then the whole file comes with 200', async (context) => {
  for (const header of ['bytes=0-9,20-29', 'bytes=abc', 'items=0-9', 'bytes=9-2']) {
    const response = await get(context, { Range: header });
    assert.is(response.status, 200, header);
    assert.equal(new Uint8Array(await response.arrayBuffer()), context.full);
  }
});

downloads('when If-None-Match holds the ETag (strong, weak or *), then 304 without a body', async (context) => {
  for (const value of [context.etag, `W/${context.etag}`, `"other", ${context.etag}`, '*']) {
    const response = await get(context, { 'If-None-Match': value });
    assert.is(response.status, 304, value);
    assert.is(response.headers.get('etag'), context.etag);
    assert.is((await response.arrayBuffer()).byteLength, 0);
  }
  const changed = await get(context, { 'If-None-Match': '"something-else"' });
  assert.is(changed.status, 200);
  await changed.arrayBuffer();
});

downloads('when If-Modified-Since is not before Last-Modified, then 304; earlier, then 200', async (context) => {
  const fresh = await get(context, { 'If-Modified-Since': context.lastModified });
  assert.is(fresh.status, 304);
  const stale = await get(context, { 'If-Modified-Since': new Date(Date.parse(context.lastModified) - 60_000).toUTCString() });
  assert.is(stale.status, 200);
  await stale.arrayBuffer();
});

downloads('when If-Range matches, then the range is served; when it does not, then the whole file', async (context) => {
  const same = await get(context, { Range: 'bytes=0-9', 'If-Range': context.etag });
  assert.is(same.status, 206);
  assert.equal(new Uint8Array(await same.arrayBuffer()), context.full.subarray(0, 10));
  const byDate = await get(context, { Range: 'bytes=0-9', 'If-Range': context.lastModified });
  assert.is(byDate.status, 206);
  await byDate.arrayBuffer();
  const other = await get(context, { Range: 'bytes=0-9', 'If-Range': '"not-this-one"' });
  assert.is(other.status, 200);
  assert.is((await other.arrayBuffer()).byteLength, size(context));
});

downloads('when HEAD is asked, then the same headers come without a body', async (context) => {
  const head = await get(context, {}, 'HEAD');
  assert.is(head.status, 200);
  assert.is(Number(head.headers.get('content-length')), size(context));
  assert.is(head.headers.get('content-type'), 'audio/mpeg');
  assert.is(head.headers.get('etag'), context.etag);
  assert.is(head.headers.get('accept-ranges'), 'bytes');
  assert.is((await head.arrayBuffer()).byteLength, 0);
  const partial = await get(context, { Range: 'bytes=0-99' }, 'HEAD');
  assert.is(partial.status, 206);
  assert.is(partial.headers.get('content-range'), `bytes 0-99/${size(context)}`);
});

downloads('when inline=1 is given, then the disposition is inline for in-browser playback', async (context) => {
  const response = await fetch(`${context.record.url}&inline=1`, { method: 'HEAD' });
  assert.match(response.headers.get('content-disposition') ?? '', /^inline; filename="song\.mp3"/);
  const attachment = await get(context, {}, 'HEAD');
  assert.match(attachment.headers.get('content-disposition') ?? '', /^attachment; filename="song\.mp3"/);
});

downloads('when two hundred range requests come at once, then every one returns the right bytes', async (context) => {
  const n = size(context);
  const results = await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const start = Math.floor((i * 7919) % (n - 5000));
      const end = start + 1000 + ((i * 31) % 4000);
      const response = await get(context, { Range: `bytes=${start}-${end}` });
      const bytes = new Uint8Array(await response.arrayBuffer());
      return response.status === 206 && Buffer.from(bytes).equals(Buffer.from(context.full.subarray(start, end + 1)));
    }),
  );
  assert.is(results.filter(Boolean).length, 200);
});

downloads.run();
