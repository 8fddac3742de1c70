// `Expect: 100-continue` on a raw connection: a refusal the request head decides comes as the final answer before the
// client has sent any body (no 100), and an acceptable upload gets its 100 Continue, then its 201.
import net from 'node:net';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser } from './support/api-client.js';
import { startTestService } from './support/test-service.js';

const BOUNDARY = 'expect-boundary';

function multipart(fields: Record<string, string>, wav: Uint8Array): Buffer {
  const parts = Object.entries(fields).map(([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  return Buffer.concat([
    Buffer.from(`${parts.join('')}--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="e.wav"\r\nContent-Type: audio/wav\r\n\r\n`),
    wav,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

/** Sends the head only and collects what the server says; `sendBodyOn100` sends the body once 100 arrives. */
function expectContinue(url: string, headers: Record<string, string>, body: Buffer, sendBodyOn100: boolean): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let received = '';
    let sent = false;
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (sendBodyOn100 && !sent && received.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
        sent = true;
        socket.write(body);
      }
    });
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
    const head = Object.entries({ Host: 'x', 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Content-Length': String(body.length), Expect: '100-continue', Connection: 'close', ...headers })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(`POST /record HTTP/1.1\r\n${head}\r\n`);
  });
}

test('when an upload asks 100-continue, then a refusal from its head comes at once without 100, and an acceptable one gets 100 then 201', async () => {
  const service = await startTestService({ maxUploadBytes: 1024 * 1024, maxConversionsPerUser: 1 });
  try {
    const user = await createUser(service.url, 'expectant');
    const wav = encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 1, 8000)]);
    const body = multipart({ user: user.id }, wav);

    const wrongToken = await expectContinue(service.url, { Authorization: 'Bearer 00000000-0000-4000-8000-000000000000' }, body, false);
    assert.match(wrongToken, /^HTTP\/1\.1 401 /);
    assert.match(wrongToken, /\r\nconnection: close\r\n/i);
    assert.match(wrongToken, /"type":"\/problems\/unauthorized"/);

    const tooLarge = await expectContinue(service.url, { Authorization: `Bearer ${user.token}`, 'Content-Length': String(3 * 1024 * 1024) }, body, false);
    assert.match(tooLarge, /^HTTP\/1\.1 413 /);

    const accepted = await expectContinue(service.url, { Authorization: `Bearer ${user.token}` }, body, true);
    assert.match(accepted, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 /);
    assert.match(accepted, /"output":/);
  } finally {
    await service.close();
  }
});

test.run();
