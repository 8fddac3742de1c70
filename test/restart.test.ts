import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, download, uploadOk } from './support/api-client.js';
import { startServiceProcess } from './support/service-process.js';
import { testDatabaseUrl } from './support/test-service.js';

test('when the service restarts on the same data, then a record uploaded before is downloaded unchanged', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-restart-'));
  // As a fresh machine runs it (embedded PostgreSQL in DATA_DIR), or against the external server.
  const env = process.env.TEST_EMBEDDED_DATABASE ? { DATA_DIR: dataDir } : { DATA_DIR: dataDir, DATABASE_URL: testDatabaseUrl() };
  try {
    const first = await startServiceProcess(env);
    const user = await createUser(first.url, 'survivor');
    const s = sine(660, 1, 44100);
    const record = await uploadOk(first.url, encodeWav({ sampleRate: 44100, channels: 2 }, [s, s]), { user: user.id, token: user.token });
    const before = await download(record.url);
    assert.is(before.response.status, 200);
    assert.is(await first.stop(), 0, `a SIGTERM shutdown exits with 0:\n${first.output().slice(-3000)}`);

    const second = await startServiceProcess(env);
    try {
      const after = await download(`${second.url}/record?id=${record.id}&user=${user.id}`);
      assert.is(after.response.status, 200);
      assert.equal(after.bytes, before.bytes);
    } finally {
      assert.is(await second.stop(), 0, `the second start did not exit cleanly:\n${second.output().slice(-3000)}`);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();
