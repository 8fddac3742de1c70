// A client that goes away mid-upload frees everything: no spooled file, no row, no stuck worker.
import net from 'node:net';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { handMadeUpload } from './support/multipart.js';
import { createUser, uploadOk } from './support/api-client.js';
import { startTestService } from './support/test-service.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('when uploads are aborted at several points of the body, then no spooled file and no row remain, and the service still converts', async () => {
  const service = await startTestService();
  try {
    const user = await createUser(service.url, 'flaky');
    const { port } = new URL(service.url);
    const wav = encodeWav({ sampleRate: 44100, channels: 2 }, [sine(440, 5, 44100), sine(440, 5, 44100)]);
    const form = handMadeUpload('abort-boundary', user, 'filename="a.wav"');
    const head = Buffer.from(form.head);
    const tail = Buffer.from(form.tail);
    const body = Buffer.concat([head, wav, tail]);
    // Cut in the fields, at the start of the file, in the middle of it, and just before the closing boundary.
    for (const cut of [40, head.length + 10, head.length + Math.floor(wav.length / 2), body.length - 3]) {
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `POST /record HTTP/1.1\r\nHost: x\r\nContent-Type: ${form.contentType}\r\nContent-Length: ${body.length}\r\n\r\n`,
          );
          socket.write(body.subarray(0, cut), () => setTimeout(() => (socket.destroy(), resolve()), 50));
        });
        socket.on('error', reject);
      });
    }
    // Give the server a moment to notice the closed sockets and clean up.
    for (let i = 0; i < 500 && (await service.spooledFiles()).length > 0; i++) await wait(20);
    assert.equal(await service.spooledFiles(), []);
    const [row] = await service.sql<{ count: number }[]>`select count(*)::int as count from records where user_id = ${user.id}`;
    assert.is(row!.count, 0);
    const record = await uploadOk(service.url, wav, { user: user.id, token: user.token });
    assert.ok(record.output.bytes > 0);
  } finally {
    await service.close();
  }
});

test.run();
