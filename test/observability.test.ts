// What an operator sees: Prometheus metrics that move with the traffic, and one log line per conversion.
import { suite } from './support/suite.js';
import * as assert from 'uvu/assert';
import { sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, upload, uploadOk } from './support/api-client.js';
import { startServiceProcess } from './support/service-process.js';
import { testDatabaseUrl } from './support/test-service.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const observability = suite('metrics and logs');

const metricValue = (text: string, line: RegExp) => Number(line.exec(text)?.[1] ?? NaN);

observability('when uploads succeed and fail, then /metrics counts them and the log has one line per conversion, without tokens', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-metrics-'));
  const env = process.env.TEST_EMBEDDED_DATABASE ? { DATA_DIR: dataDir } : { DATA_DIR: dataDir, DATABASE_URL: testDatabaseUrl() };
  const service = await startServiceProcess({ ...env, LOG_REQUESTS: 'true', METRICS_TOKEN: 'metrics-secret-0123456789' });
  try {
    const user = await createUser(service.url, 'observed');
    const wav = encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 2, 8000)]);
    await uploadOk(service.url, wav, { user: user.id, token: user.token });
    const mp3InWav = wav.slice();
    new DataView(mp3InWav.buffer).setUint16(20, 0x55, true);
    assert.is((await upload(service.url, mp3InWav, { user: user.id, token: user.token })).status, 415);

    assert.is((await fetch(`${service.url}/metrics`)).status, 401, 'the metrics token is required');
    const upperCased = await fetch(`${service.url}/metrics`, { headers: { Authorization: 'Bearer METRICS-SECRET-0123456789' } });
    assert.is(upperCased.status, 401, 'the metrics token is compared as it is set, not lower-cased like access tokens');
    const response = await fetch(`${service.url}/metrics`, { headers: { Authorization: 'Bearer metrics-secret-0123456789' } });
    assert.is(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    assert.is(metricValue(text, /^conversions_started_total (\d+)/m), 2);
    assert.is(metricValue(text, /^conversions_succeeded_total (\d+)/m), 1);
    assert.is(metricValue(text, /^conversions_failed_total\{reason="unsupported-audio"\} (\d+)/m), 1);
    assert.is(metricValue(text, /^conversion_audio_seconds_sum (\S+)/m), 2);
    assert.ok(metricValue(text, /^http_request_duration_seconds_count\{method="POST",route="\/record",status="201"\} (\d+)/m) >= 1);
    assert.match(text, /^conversion_queue_depth 0/m);
    assert.is(metricValue(text, /^conversions_split_total (\d+)/m), 0, 'two-second recordings are not split');
    assert.match(text, /^process_resident_memory_bytes /m);

    const lines = service.output().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const stored = lines.filter((l) => l.msg === 'conversion stored');
    assert.is(stored.length, 1);
    assert.equal((stored[0]!.input as Record<string, unknown>).encoding, 'pcm');
    assert.is(stored[0]!.audioSeconds, 2);
    assert.is(stored[0]!.encoder, 'wasm');
    assert.ok(typeof stored[0]!.conversionMs === 'number');
    assert.is(lines.filter((l) => l.msg === 'conversion failed' && l.reason === 'unsupported-audio').length, 1);
    const access = lines.filter((l) => l.msg === 'request');
    assert.ok(access.some((l) => l.route === '/record' && l.status === 201 && typeof l.requestId === 'string' && typeof l.durationMs === 'number'));
    assert.not.ok(service.output().includes(user.token), 'the token never reaches the log');
  } finally {
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

observability('when METRICS_TOKEN is not set, then /metrics is closed: 404 saying how to open it', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-metrics-'));
  const env = process.env.TEST_EMBEDDED_DATABASE ? { DATA_DIR: dataDir } : { DATA_DIR: dataDir, DATABASE_URL: testDatabaseUrl() };
  const service = await startServiceProcess(env);
  try {
    const asked: Record<string, string>[] = [{}, { Authorization: 'Bearer metrics-secret-0123456789' }];
    for (const headers of asked) {
      const response = await fetch(`${service.url}/metrics`, { headers });
      assert.is(response.status, 404);
      assert.is(response.headers.get('content-type'), 'application/problem+json');
      const problem = (await response.json()) as { type: string; detail: string };
      assert.is(problem.type, '/problems/not-found');
      assert.match(problem.detail, /METRICS_TOKEN/);
    }
    assert.is((await fetch(`${service.url}/healthz`)).status, 200, 'the rest of the service is served');
  } finally {
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

observability.run();
