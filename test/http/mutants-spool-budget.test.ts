// The upload spool's budget, driven directly against this machine's temporary file system (docs/MUTATION.md): the
// cap at its exact edge, the free-space floor counting reserved bytes not yet written, and a reservation given back
// once. Free space is read from the disk, so the margins below are megabytes wide: other work on the machine moves
// the free space by less than that while a test runs.
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import * as assert from 'uvu/assert';
import { HttpProblem } from '../../src/http/errors.js';
import { SpoolBudget } from '../../src/http/spool-budget.js';
import { suite } from '../support/suite.js';

const MB = 1024 * 1024;
const dir = os.tmpdir();
const freeBytes = async () => {
  const disk = await statfs(dir);
  return disk.bavail * disk.bsize;
};

async function refusal(promise: Promise<unknown>): Promise<HttpProblem> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
  throw new Error('reserved');
}

const budget = suite('spool budget');

budget('when uploads reserve up to the cap exactly, then they are let in; one byte more is refused with 503 and Retry-After', async () => {
  const spool = new SpoolBudget({ dir, maxBytes: 100, minFreeBytes: 0 });
  assert.is(spool.reservedBytes, 0);
  await spool.reserve(60);
  assert.is(spool.reservedBytes, 60);
  const full = await refusal(spool.reserve(41));
  assert.is(full.status, 503);
  assert.is(full.slug, 'upload-spool-full');
  assert.is(full.title, 'Too many uploads in progress');
  assert.is(full.message, 'the uploads in progress fill the space set aside for them; retry shortly');
  assert.equal(full.headers, { 'Retry-After': '30' });
  assert.is(spool.reservedBytes, 60);
  await spool.reserve(40);
  assert.is(spool.reservedBytes, 100);
});

budget('when a reservation is given back, then its bytes are free again, once however often it is released', async () => {
  const spool = new SpoolBudget({ dir, maxBytes: 100, minFreeBytes: 0 });
  const first = await spool.reserve(70);
  const second = await spool.reserve(30);
  first.release();
  assert.is(spool.reservedBytes, 30);
  first.release();
  assert.is(spool.reservedBytes, 30);
  await spool.reserve(70);
  second.release();
  assert.is(spool.reservedBytes, 70);
});

budget('when two uploads ask at once for more than fits together, then the one that asked second is refused, whichever disk check answers first', async () => {
  const spool = new SpoolBudget({ dir, maxBytes: 100, minFreeBytes: 0 });
  const results = await Promise.allSettled([spool.reserve(60), spool.reserve(60)]);
  assert.equal(results.map((r) => r.status), ['fulfilled', 'rejected']);
  assert.is(((results[1] as PromiseRejectedResult).reason as HttpProblem).slug, 'upload-spool-full');
  assert.is(spool.reservedBytes, 60);
});

budget('when an upload would leave less free disk than the floor, then it is refused with 503 low-disk-space', async () => {
  const floor = (await freeBytes()) - 100 * MB;
  const spool = new SpoolBudget({ dir, maxBytes: Number.MAX_SAFE_INTEGER, minFreeBytes: floor });
  const low = await refusal(spool.reserve(150 * MB));
  assert.is(low.status, 503);
  assert.is(low.slug, 'low-disk-space');
  assert.is(low.title, 'Not enough disk space');
  assert.is(low.message, 'the server is short of disk space for uploads; retry later');
  assert.equal(low.headers, { 'Retry-After': '30' });
  assert.is(spool.reservedBytes, 0);
  await spool.reserve(50 * MB);
  assert.is(spool.reservedBytes, 50 * MB);
});

budget('when reserved bytes are not yet written, then they count against the free disk; once written, the disk shows them', async () => {
  const floor = (await freeBytes()) - 100 * MB;
  const spool = new SpoolBudget({ dir, maxBytes: Number.MAX_SAFE_INTEGER, minFreeBytes: floor });
  const first = await spool.reserve(50 * MB);
  // 50 MB unwritten: 60 more would pass the floor.
  await refusal(spool.reserve(60 * MB));
  // Nothing was really written here, so the disk still has them: marking them written frees them for the check.
  first.written(50 * MB);
  const second = await spool.reserve(60 * MB);
  second.release();
  await spool.reserve(60 * MB);
});

budget('when an upload writes more than it reserved, then only its reservation stops counting as unwritten', async () => {
  const floor = (await freeBytes()) - 100 * MB;
  const spool = new SpoolBudget({ dir, maxBytes: Number.MAX_SAFE_INTEGER, minFreeBytes: floor });
  const first = await spool.reserve(20 * MB);
  await spool.reserve(30 * MB);
  first.written(80 * MB);
  // 30 MB of the second are still unwritten: 80 more would pass the floor, 60 would not.
  await refusal(spool.reserve(80 * MB));
  await spool.reserve(60 * MB);
});

budget('when a reservation is released with part of it unwritten, then that part stops counting against the disk', async () => {
  const floor = (await freeBytes()) - 100 * MB;
  const spool = new SpoolBudget({ dir, maxBytes: Number.MAX_SAFE_INTEGER, minFreeBytes: floor });
  const first = await spool.reserve(60 * MB);
  first.written(10 * MB);
  await refusal(spool.reserve(60 * MB));
  first.release();
  first.release();
  await spool.reserve(80 * MB);
  // Released twice, counted back once: 80 MB unwritten now, so 30 more would pass the floor.
  await refusal(spool.reserve(30 * MB));
});

budget.run();
