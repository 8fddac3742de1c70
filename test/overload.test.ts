import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { musicLike } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, upload } from './support/api-client.js';
import { startTestService } from './support/test-service.js';

test('when every thread is busy and the queue is full, then 503 with Retry-After, and the accepted uploads finish', async () => {
  const service = await startTestService({ threads: 1, maxQueue: 0 });
  try {
    const user = await createUser(service.url, 'crowd');
    const wav = encodeWav({ sampleRate: 44100, channels: 2 }, musicLike(30, 44100, 2));
    const responses = await Promise.all(Array.from({ length: 5 }, () => upload(service.url, wav, { user: user.id, token: user.token })));
    const statuses = responses.map((r) => r.status);
    assert.ok(statuses.includes(201), statuses.join());
    const busy = responses.filter((r) => r.status === 503);
    assert.ok(busy.length > 0, statuses.join());
    for (const response of busy) {
      assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
      assert.is(((await response.json()) as { type: string }).type, '/problems/service-busy');
    }
    assert.ok(statuses.every((s) => s === 201 || s === 503), statuses.join());
    assert.equal(await service.spooledFiles(), []);
  } finally {
    await service.close();
  }
});

test.run();
