// The service as `npm start` runs it: its conversion threads run at a lower priority than its event loop, so that
// requests are answered promptly while every core converts (docs/BENCHMARKS.md, "Responsiveness").
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { CONVERSION_THREAD_NICENESS } from '../src/audio/thread-priority.js';
import { musicLike } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, uploadOk } from './support/api-client.js';
import { startServiceProcess } from './support/service-process.js';
import { test } from './support/suite.js';
import { testDatabaseUrl } from './support/test-service.js';

/** The nice value of each thread of process `pid`, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
async function threadNiceness(pid: number): Promise<Map<number, number>> {
  const niceness = new Map<number, number>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) continue; // the thread ended meanwhile
    niceness.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return niceness;
}

const lowered = (niceness: Map<number, number>) => [...niceness.values()].filter((n) => n === CONVERSION_THREAD_NICENESS).length;

test('when the service runs, then exactly its conversion threads run at a lower priority and its event loop does not', async () => {
  if (process.platform !== 'linux') return; // threads have no priority of their own elsewhere
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-priority-'));
  const service = await startServiceProcess({ DATABASE_URL: testDatabaseUrl(), DATA_DIR: dataDir, WORKER_THREADS: '3' });
  try {
    const pid = service.child.pid!;
    let niceness = await threadNiceness(pid);
    for (let i = 0; i < 100 && lowered(niceness) < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      niceness = await threadNiceness(pid);
    }
    assert.is(lowered(niceness), 3, `three conversion threads at nice ${CONVERSION_THREAD_NICENESS}: ${JSON.stringify([...niceness])}`);
    assert.is(niceness.get(pid), 0, 'the main thread (the event loop) keeps the process priority');
    assert.is([...niceness.values()].filter((n) => n !== 0 && n !== CONVERSION_THREAD_NICENESS).length, 0);

    // And they convert at that priority.
    const user = await createUser(service.url);
    const record = await uploadOk(service.url, encodeWav({ sampleRate: 44_100, channels: 2 }, musicLike(2, 44_100, 2)), { user: user.id, token: user.token });
    assert.ok(record.output.bytes > 0);
    const afterConversion = await threadNiceness(pid);
    assert.is(lowered(afterConversion), 3);
    assert.is(afterConversion.get(pid), 0);
  } finally {
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();
