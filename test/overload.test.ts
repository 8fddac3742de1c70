import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { musicLike } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, upload } from './support/api-client.js';
import { startTestService } from './support/test-service.js';

test('when every thread is busy and the queue is full, then 503 with Retry-After, and the accepted uploads finish', async () => {
  const service = await startTestService({ threads: 1, maxQueue: 0, maxConversionsPerUser: 10 });
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

test('when one user sends more uploads at once than the per-user limit, then the extra ones get 429 and another user is served', async () => {
  const service = await startTestService({ threads: 2, maxQueue: 8, maxConversionsPerUser: 2 });
  try {
    const greedy = await createUser(service.url, 'greedy');
    const polite = await createUser(service.url, 'polite');
    const wav = encodeWav({ sampleRate: 44100, channels: 2 }, musicLike(20, 44100, 2));
    const [greedyResponses, politeResponse] = await Promise.all([
      Promise.all(Array.from({ length: 5 }, () => upload(service.url, wav, { user: greedy.id, token: greedy.token }))),
      upload(service.url, wav, { user: polite.id, token: polite.token }),
    ]);
    const statuses = greedyResponses.map((r) => r.status);
    assert.ok(statuses.filter((s) => s === 201).length >= 2, statuses.join());
    const limited = greedyResponses.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, statuses.join());
    for (const response of limited) {
      assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
      assert.is(((await response.json()) as { type: string }).type, '/problems/too-many-conversions');
    }
    assert.is(politeResponse.status, 201);
    // The slots are given back: the same user can upload again.
    assert.is((await upload(service.url, wav, { user: greedy.id, token: greedy.token })).status, 201);
  } finally {
    await service.close();
  }
});

test.run();
