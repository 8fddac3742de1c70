// The lingering close is bounded: a client that stops sending after its early refusal is let go after the idle limit,
// one that keeps trickling after the total limit, and one that sends too much at the byte limit — each after it has
// received its answer.
import net from 'node:net';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { startTestService, type TestService } from './support/test-service.js';

/**
 * Sends a refused upload's head (a wrong Bearer token), then `afterAnswer` on the same connection; resolves once the
 * server has ended its lingering close (a quiet client would not notice: it has had the FIN long before).
 */
async function refusedUpload(service: TestService, afterAnswer: (socket: net.Socket) => void): Promise<{ answer: string; closedAfterMs: number }> {
  const { port } = new URL(service.url);
  const lingeredBefore = service.lingered.length;
  // A client that keeps its side open after the server's FIN, as one still busy sending does.
  const socket = net.connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
  let answer = '';
  let answeredAt = 0;
  socket.on('data', (chunk) => {
    answer += chunk.toString('latin1');
    if (!answeredAt && answer.includes('\r\n\r\n')) {
      answeredAt = Date.now();
      afterAnswer(socket);
    }
  });
  socket.on('error', () => {});
  socket.write(
    'POST /record HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer 00000000-0000-4000-8000-000000000000\r\n' +
      'Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 500000000\r\n\r\n--b\r\n',
  );
  const deadline = Date.now() + 10_000;
  while (service.lingered.length === lingeredBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const closedAfterMs = Date.now() - answeredAt;
  socket.destroy();
  if (!answeredAt) throw new Error(`no answer before the close: ${answer}`);
  return { answer, closedAfterMs };
}

test('when a refused client goes quiet, sends for too long or sends too much, then the server closes after its answer at each bound', async () => {
  const service = await startTestService({ lingering: { idleMs: 300, totalMs: 1500, maxBytes: 1024 * 1024 } });
  try {
    const quiet = await refusedUpload(service, () => {});
    assert.match(quiet.answer, /^HTTP\/1\.1 401 /);
    assert.ok(quiet.closedAfterMs >= 250 && quiet.closedAfterMs < 1400, `closed after ${quiet.closedAfterMs} ms`);

    const trickle = await refusedUpload(service, (socket) => {
      const timer = setInterval(() => socket.writable && socket.write('x'), 100);
      socket.once('close', () => clearInterval(timer));
    });
    assert.match(trickle.answer, /^HTTP\/1\.1 401 /);
    assert.ok(trickle.closedAfterMs >= 1400, `closed after ${trickle.closedAfterMs} ms`);

    const flood = await refusedUpload(service, (socket) => {
      const block = Buffer.alloc(64 * 1024);
      const send = () => {
        while (socket.writable && socket.write(block));
      };
      socket.on('drain', send);
      send();
    });
    assert.match(flood.answer, /^HTTP\/1\.1 401 /);
    assert.ok(flood.closedAfterMs < 1400, `closed after ${flood.closedAfterMs} ms`);

    assert.equal(service.lingered.map((l) => l.outcome), ['idle', 'timeout', 'too-many-bytes']);
    assert.ok(service.lingered[2]!.bytes > 1024 * 1024);
  } finally {
    await service.close();
  }
});

test.run();
