// PostgreSQL goes away under a running service and comes back: 503s with Retry-After meanwhile, no crash, and
// service resumes by itself without a restart.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { findFreePort, startEmbeddedPostgres } from '../src/db/embedded.js';
import { createLogger } from '../src/log.js';
import { sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, uploadOk } from './support/api-client.js';
import { startServiceProcess } from './support/service-process.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('when the database stops and starts again, then requests get 503 meanwhile and succeed after, with no restart', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-outage-'));
  // Run as root, PostgreSQL runs as the postgres user, which must be able to enter the folder mkdtemp made private.
  await chmod(dir, 0o755);
  const log = createLogger('silent');
  const port = await findFreePort();
  let database = await startEmbeddedPostgres(path.join(dir, 'db'), log, { port });
  const service = await startServiceProcess({ DATABASE_URL: database.url, DATA_DIR: path.join(dir, 'service') });
  try {
    const user = await createUser(service.url, 'before');
    const record = await uploadOk(service.url, encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 0.5, 8000)]), { user: user.id, token: user.token });

    await database.stop();
    const outage = [
      await fetch(`${service.url}/user`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"during"}' }),
      await fetch(`${service.url}/readyz`),
      await fetch(record.url),
      await fetch(`${service.url}/records?user=${user.id}`, { headers: { Authorization: `Bearer ${user.token}` } }),
    ];
    for (const response of outage) {
      assert.is(response.status, 503, response.url);
      assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
      assert.match(((await response.json()) as { type: string }).type, /^\/problems\/(database-unavailable)$/);
    }
    assert.is((await fetch(`${service.url}/healthz`)).status, 200, 'the process is alive');

    database = await startEmbeddedPostgres(path.join(dir, 'db'), log, { port });
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      ready = (await fetch(`${service.url}/readyz`)).status;
      if (ready !== 200) await wait(100);
    }
    assert.is(ready, 200, 'ready again without a restart');
    const after = await createUser(service.url, 'after');
    assert.ok(after.id);
    assert.is((await fetch(record.url)).status, 200);
    assert.is(service.child.exitCode, null, 'never crashed');
  } finally {
    await service.stop();
    await database.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
