// Download links carry the scheme, host and port the client used: the Host header, or X-Forwarded-Proto/-Host when
// the peer is a trusted proxy (TRUSTED_PROXIES), never when it is not; PUBLIC_URL wins over both.
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, uploadForm } from './support/api-client.js';
import { startTestService, type TestServiceOptions } from './support/test-service.js';

const wav = encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 0.1, 8000)]);
const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'audio.example.com:8443, proxy.internal' };

async function linkFor(options: TestServiceOptions, headers: Record<string, string>): Promise<string> {
  const service = await startTestService(options);
  try {
    const user = await createUser(service.url, 'links');
    const response = await fetch(`${service.url}/record`, { method: 'POST', body: uploadForm(wav, { user: user.id, token: user.token }), headers });
    assert.is(response.status, 201);
    const { url } = (await response.json()) as { url: string };
    assert.is(response.headers.get('location'), url);
    // The library shows the same link.
    const list = await fetch(`${service.url}/records?user=${user.id}`, { headers: { Authorization: `Bearer ${user.token}`, ...headers } });
    assert.is(((await list.json()) as { records: { url: string }[] }).records[0]!.url, url);
    return url;
  } finally {
    await service.close();
  }
}

test('when no proxy is trusted, then X-Forwarded-* are ignored and the link uses the Host the client sent', async () => {
  const url = await linkFor({}, forwarded);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/record\?id=[0-9a-f-]{36}&user=[0-9a-f-]{36}$/);
});

test('when the peer is a trusted proxy, then the link carries its X-Forwarded-Proto and the first X-Forwarded-Host', async () => {
  const url = await linkFor({ trustedProxies: ['loopback'] }, forwarded);
  assert.match(url, /^https:\/\/audio\.example\.com:8443\/record\?id=/);
});

test('when a trusted proxy forwards a host that could end the URL early, then the Host header is used instead', async () => {
  const url = await linkFor({ trustedProxies: ['127.0.0.1/8'] }, { 'X-Forwarded-Host': 'evil.example/phish?x=' });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/record\?id=/);
});

test('when the trusted proxies name another network, then the loopback peer is not believed', async () => {
  const url = await linkFor({ trustedProxies: ['10.0.0.0/8'] }, forwarded);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/record\?id=/);
});

test('when PUBLIC_URL is set, then it wins over the forwarded host', async () => {
  const url = await linkFor({ trustedProxies: ['loopback'], publicUrl: 'https://mp3.example.org/' }, forwarded);
  assert.match(url, /^https:\/\/mp3\.example\.org\/record\?id=/);
});

test.run();
