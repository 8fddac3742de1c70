// The minimum transfer rate: a client trickling its upload, or one that stopped reading a download, is dropped once
// it has been below MIN_TRANSFER_BYTES_PER_SECOND for a whole SLOW_TRANSFER_WINDOW_MS; a slow but honest client is not.
import { suite } from './support/suite.js';
import * as assert from 'uvu/assert';
import { encodeWav } from './fixtures/wav-writer.js';
import { musicLike } from './fixtures/signals.js';
import { handMadeUpload } from './support/multipart.js';
import { createUser } from './support/api-client.js';
import { connectFrom } from './support/raw-http.js';
import { seedLargeRecord } from './support/seed-record.js';
import { streamUpload } from './support/slow-upload.js';
import { startTestService, type TestService } from './support/test-service.js';

const WINDOW_MS = 3_000;
const settings = { MIN_TRANSFER_BYTES_PER_SECOND: '1024', SLOW_TRANSFER_WINDOW_MS: String(WINDOW_MS) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(20);
  }
}

const slow = suite<{ service: TestService }>('slow transfers');
slow.before(async (context: { service: TestService }) => {
  context.service = await startTestService({ serverSettings: settings });
});
slow.after(async ({ service }: { service: TestService }) => service.close());

slow('when an authenticated upload trickles one byte every half second, then it is dropped after the window and its spool file removed', async ({ service }: { service: TestService }) => {
  const user = await createUser(service.url);
  const connection = await connectFrom(service.url);
  const form = handMadeUpload('b', user, 'filename="slow.wav"');
  connection.socket.write(`POST /record HTTP/1.1\r\nHost: x\r\nContent-Type: ${form.contentType}\r\nContent-Length: 1000000\r\n\r\n${form.head}RIFF`);
  await waitUntil(async () => (await service.spooledFiles()).length === 1, 5_000, 'the spool file');
  const started = Date.now();
  const trickle = setInterval(() => connection.socket.writable && connection.socket.write('x'), 500);
  try {
    await connection.closed;
  } finally {
    clearInterval(trickle);
  }
  const droppedAfterMs = Date.now() - started;
  assert.ok(droppedAfterMs >= WINDOW_MS - 500 && droppedAfterMs < WINDOW_MS + 2_500, `dropped after ${droppedAfterMs} ms`);
  assert.equal(service.slowDrops, ['request']);
  await waitUntil(async () => (await service.spooledFiles()).length === 0, 2_000, 'the spool file removal');
});

slow('when a download is never read, then the server closes it once the window has passed with nothing taken', async ({ service }: { service: TestService }) => {
  const user = await createUser(service.url);
  // Larger than what the kernel buffers of both ends hold on loopback, so the server is left waiting on the client.
  const record = await seedLargeRecord(service.sql, user.id, 48 * 1024 * 1024);
  const connection = await connectFrom(service.url);
  connection.socket.write(`GET /record?id=${record.id}&user=${user.id} HTTP/1.1\r\nHost: x\r\n\r\n`);
  await connection.waitFor(/^HTTP\/1\.1 200 /);
  connection.socket.pause();
  const started = Date.now();
  await waitUntil(() => service.slowDrops.length === 2, WINDOW_MS + 10_000, 'the drop of the stalled download');
  const droppedAfterMs = Date.now() - started;
  assert.is(service.slowDrops[1], 'response');
  assert.ok(droppedAfterMs < WINDOW_MS + 5_000, `dropped after ${droppedAfterMs} ms`);
  connection.socket.resume();
  await connection.closed;
  await record.remove();
});

slow('when an upload arrives slowly but above the minimum, then it converts as usual', async ({ service }: { service: TestService }) => {
  const user = await createUser(service.url);
  const wav = encodeWav({ sampleRate: 8000, channels: 1 }, musicLike(8, 8000, 1)); // 128 KB: about 4 windows at 32 KB/s
  const drops = service.slowDrops.length;
  const answer = await streamUpload(`${service.url}/record`, wav, { user: user.id, token: user.token }, { bytesPerSecond: 32_000 });
  assert.is(answer.status, 201, answer.body);
  assert.is(service.slowDrops.length, drops);
});

slow.run();
