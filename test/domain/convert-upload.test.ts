// The upload use case (src/domain/convert-upload.ts) called directly, with a real conversion pool and the real
// database, no HTTP: what it stores, what it tells its listener, how each kind of failure is translated, and that a
// failure leaves nothing behind. test/records.test.ts and test/upload-options.test.ts drive the same through the app.
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import * as assert from 'uvu/assert';
import { wholeFile } from '../../src/audio/arriving-file.js';
import { ConversionPool } from '../../src/audio/conversion-pool.js';
import type { Sql } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { convertUpload, ensureConversionCapacity, type ConversionOutcomeListener } from '../../src/domain/convert-upload.js';
import { DomainError } from '../../src/domain/errors.js';
import { createUser } from '../../src/domain/users.js';
import { sine } from '../fixtures/signals.js';
import { encodeWav } from '../fixtures/wav-writer.js';
import { rejection } from '../support/domain-refusal.js';
import { readId3v24 } from '../support/id3-reader.js';
import { test } from '../support/suite.js';
import { testDatabaseUrl } from '../support/test-service.js';

const sql = postgres(testDatabaseUrl(), { max: 4, onnotice: () => {} }) as unknown as Sql;
const created: string[] = [];
let pool: ConversionPool;
let dir: string;
let wav: string;

test.before(async () => {
  await migrate(sql);
  pool = await ConversionPool.start({ threads: 1, maxQueue: 0, taskTimeoutMs: 60_000, splitMinSeconds: 0 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-convert-upload-'));
  wav = path.join(dir, 'tone.wav');
  await writeFile(wav, encodeWav({ sampleRate: 22_050, channels: 2 }, [sine(440, 1, 22_050), sine(660, 1, 22_050)]));
});
test.after(async () => {
  await sql`delete from users where id = any(${created}::uuid[])`;
  await sql.end({ timeout: 5 });
  await pool?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function newUser(): Promise<string> {
  const user = await createUser(sql, 'convert-upload');
  created.push(user.id);
  return user.id;
}

/** Every call the listener got, in order. */
function recordingListener(): ConversionOutcomeListener & { calls: [string, Record<string, unknown>?][] } {
  const calls: [string, Record<string, unknown>?][] = [];
  return {
    calls,
    started: () => calls.push(['started']),
    succeeded: (event) => calls.push(['succeeded', event]),
    failed: (event) => calls.push(['failed', event]),
  };
}

async function storedBytes(recordId: string): Promise<Buffer> {
  const rows = await sql<{ data: Buffer }[]>`select data from record_chunks where record_id = ${recordId} order by seq`;
  return Buffer.concat(rows.map((row) => row.data));
}

const recordsOf = async (userId: string) => (await sql<{ id: string }[]>`select id from records where user_id = ${userId}`).length;
const chunksWithoutRecord = async () =>
  Number((await sql<{ n: string }[]>`select count(*) as n from record_chunks c where not exists (select 1 from records r where r.id = c.record_id)`)[0]!.n);

/** A settled refusal, as the upload route passes it: observed, so that it is not an unhandled rejection meanwhile. */
function rejected(error: Error): Promise<unknown> {
  const promise = Promise.reject(error);
  promise.catch(() => {});
  return promise;
}

test('when a WAV converts, then its record holds the input and output facts, the bytes carry the Info frame and the title, and the listener hears started then succeeded', async () => {
  const userId = await newUser();
  const events = recordingListener();
  const before = performance.now();
  const record = await convertUpload({ sql, pool, events, storageQuota: { maxBytesPerUser: 0 } }, userId, { file: wholeFile(wav, 88_244), originalName: ' \u202Etone.wav ' }, { encoder: 'wasm' });
  const elapsedSeconds = (performance.now() - before) / 1000;
  assert.is(record.userId, userId);
  assert.is(record.originalName, 'tone.wav', 'the name is cleaned');
  assert.equal(
    [record.inputContainer, record.inputEncoding, record.inputBitsPerSample, record.inputSampleRate, record.inputChannels],
    ['RIFF', 'pcm', 16, 22_050, 2],
  );
  assert.is(record.durationSeconds, 1);
  assert.is(record.declaredDurationSeconds, 1);
  assert.equal([record.sampleRate, record.channels, record.bitrateKbps, record.vbrQuality, record.encoder], [22_050, 2, 128, null, 'wasm']);
  assert.is(record.chunkBytes, 256 * 1024);
  assert.is(record.audioSha256.length, 32);

  const bytes = await storedBytes(record.id);
  assert.is(bytes.length, record.byteSize);
  const tag = readId3v24(bytes);
  assert.is(tag.frames.TIT2, 'tone.wav');
  // The Info frame is written last (its counts are known at the end): patched in, it names the frames that follow.
  const info = bytes.indexOf('Info', tag.bytes);
  assert.ok(info > tag.bytes && info < tag.bytes + 64, 'an Info frame follows the ID3 tag');
  const frameCount = bytes.readUInt32BE(info + 8);
  assert.ok(frameCount > 30, `the Info frame counts ${frameCount} frames`);

  assert.equal(
    events.calls.map(([name]) => name),
    ['started', 'succeeded'],
  );
  const succeeded = events.calls[1]![1] as { record: { id: string }; audioSeconds: number; wallSeconds: number };
  assert.is(succeeded.record.id, record.id);
  assert.is(succeeded.audioSeconds, 1);
  assert.ok(succeeded.wallSeconds > 0 && succeeded.wallSeconds <= elapsedSeconds, `${succeeded.wallSeconds} s of ${elapsedSeconds} s`);
});

test('when the file is not audio, then the audio error becomes its domain error with the property, nothing is stored, and the listener hears failed with that code', async () => {
  const userId = await newUser();
  const junk = path.join(dir, 'junk.wav');
  await writeFile(junk, Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt '), Buffer.alloc(40, 7)]));
  // With and without a storage quota: only a size refusal becomes the quota's.
  for (const quota of [{ maxBytesPerUser: 0 }, { maxBytesPerUser: 1_000_000 }]) {
    const events = recordingListener();
    const error = await rejection(() =>
      convertUpload({ sql, pool, events, storageQuota: quota }, userId, { file: wholeFile(junk, 52), originalName: 'junk.wav' }, {
        encoder: 'wasm',
        maxOutputBytes: quota.maxBytesPerUser || undefined,
      }),
    );
    assert.instance(error, DomainError);
    const domain = error as DomainError;
    assert.ok(['invalid-audio', 'unsupported-audio'].includes(domain.code), domain.code);
    assert.type(domain.extra.property, 'string');
    assert.is(await recordsOf(userId), 0);
    assert.equal(events.calls.map(([name]) => name), ['started', 'failed']);
    assert.equal(events.calls[1]![1]!.reason, domain.code);
    assert.is(events.calls[1]![1]!.message, domain.message);
  }
});

test('when a VBR MP3 outgrows the room left, then it stops with the quota refusal and its numbers; exactly the room it needs is enough', async () => {
  const userId = await newUser();
  const options = { encoder: 'wasm' as const, vbrQuality: 2 };
  const deps = { sql, pool, storageQuota: { maxBytesPerUser: 10_000_000 } };
  const fits = await convertUpload(deps, userId, { file: wholeFile(wav, 88_244), originalName: 'a.wav' }, { ...options, maxOutputBytes: 10_000_000 });
  const needed = fits.byteSize;
  const exactly = await convertUpload(deps, userId, { file: wholeFile(wav, 88_244), originalName: 'b.wav' }, { ...options, maxOutputBytes: needed });
  assert.is(exactly.byteSize, needed);
  const events = recordingListener();
  const error = (await rejection(() =>
    convertUpload({ ...deps, events }, userId, { file: wholeFile(wav, 88_244), originalName: 'c.wav' }, { ...options, maxOutputBytes: needed - 1 }),
  )) as DomainError;
  assert.instance(error, DomainError);
  assert.is(error.code, 'storage-quota-exceeded');
  // What the user stored when it started: the quota less the room that was left.
  assert.is(error.extra.facts?.usedBytes, 10_000_000 - (needed - 1));
  assert.is(error.extra.facts?.allowedBytes, 10_000_000);
  assert.ok((error.extra.facts?.neededBytes ?? 0) > needed - 1);
  assert.is(await recordsOf(userId), 2);
  assert.is(events.calls[1]![1]!.reason, 'storage-quota-exceeded');
});

test('when the request is cancelled, or the rest of it fails, before the commit, then nothing is stored and the listener tells which', async () => {
  const userId = await newUser();
  const before = await chunksWithoutRecord();
  const deps = { sql, pool, storageQuota: { maxBytesPerUser: 0 } };

  // Cancelled while the rest of the request is being read, after the conversion itself ended.
  const controller = new AbortController();
  const cancelled = recordingListener();
  const abortOnAwait = { then: (resolve: () => void) => (controller.abort(), resolve()) } as unknown as Promise<unknown>;
  const aborted = await rejection(() =>
    convertUpload({ ...deps, events: cancelled }, userId, { file: wholeFile(wav, 88_244), originalName: 'a.wav' }, { encoder: 'wasm' }, { signal: controller.signal, beforeCommit: abortOnAwait }),
  );
  assert.is((aborted as Error).name, 'AbortError');
  assert.is(cancelled.calls[1]![1]!.reason, 'cancelled');

  // The rest of the request turned out invalid: its error, as it is, and not a fault of the conversion's.
  const invalid = new DomainError('validation-failed', 'bitrate: not a number');
  const failed = recordingListener();
  const refused = await rejection(() =>
    convertUpload({ ...deps, events: failed }, userId, { file: wholeFile(wav, 88_244), originalName: 'b.wav' }, { encoder: 'wasm' }, { beforeCommit: rejected(invalid) }),
  );
  assert.is(refused, invalid);
  assert.is(failed.calls[1]![1]!.reason, 'validation-failed');

  // Something unexpected: passed on as it is, and counted as an internal error.
  const broken = recordingListener();
  const surprise = new Error('disk on fire');
  assert.is(
    await rejection(() =>
      convertUpload({ ...deps, events: broken }, userId, { file: wholeFile(wav, 88_244), originalName: 'c.wav' }, { encoder: 'wasm' }, { beforeCommit: rejected(surprise) }),
    ),
    surprise,
  );
  assert.equal(broken.calls[1]![1], { reason: 'internal-error', message: 'disk on fire', wallSeconds: broken.calls[1]![1]!.wallSeconds });

  assert.is(await recordsOf(userId), 0);
  assert.is(await chunksWithoutRecord(), before, 'no chunk outlives its record');
});

test('when every thread is busy and the queue is full, then the capacity check and the conversion both refuse with service-busy and a retry time', async () => {
  const fifo = path.join(dir, 'blocked.wav');
  await promisify(execFile)('mkfifo', [fifo]);
  ensureConversionCapacity(pool);
  const running = pool.convert(fifo, { encoder: 'wasm', title: 'blocked' }, async () => {}).catch(() => {});
  while (!pool.isFull) await new Promise((r) => setTimeout(r, 5));
  try {
    const early = await rejection(async () => ensureConversionCapacity(pool));
    const late = await rejection(() =>
      convertUpload({ sql, pool, storageQuota: { maxBytesPerUser: 0 } }, created[0]!, { file: wholeFile(wav, 88_244), originalName: 'a.wav' }, { encoder: 'wasm' }),
    );
    for (const error of [early, late] as DomainError[]) {
      assert.instance(error, DomainError);
      assert.is(error.code, 'service-busy');
      assert.is(error.extra.retryAfterSeconds, 5);
      assert.is(error.message, 'every conversion slot is taken; retry shortly');
    }
  } finally {
    const writer = await open(fifo, 'w');
    await writer.close();
    await running;
  }
});

test('when a conversion runs past its time limit, then it is conversion-timeout with a minute to wait', async () => {
  const slow = await ConversionPool.start({ threads: 1, maxQueue: 0, taskTimeoutMs: 1, splitMinSeconds: 0 });
  try {
    const userId = await newUser();
    const events = recordingListener();
    const error = (await rejection(() =>
      convertUpload({ sql, pool: slow, events, storageQuota: { maxBytesPerUser: 0 } }, userId, { file: wholeFile(wav, 88_244), originalName: 'a.wav' }, { encoder: 'wasm' }),
    )) as DomainError;
    assert.instance(error, DomainError);
    assert.is(error.code, 'conversion-timeout');
    assert.is(error.extra.retryAfterSeconds, 60);
    assert.is(error.message, 'the conversion took longer than this server allows; retry later, or try a shorter file');
    assert.is(events.calls[1]![1]!.reason, 'conversion-timeout');
    assert.is(await recordsOf(userId), 0);
  } finally {
    await slow.close();
  }
});

test.run();
