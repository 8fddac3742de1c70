// Swagger UI at /docs in a real browser: "Try it out" on POST /record, file upload included, reaches the API.
import { createHash } from 'node:crypto';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser } from './support/api-client.js';
import { launchChromium, openPage } from './support/browser.js';
import { startTestService } from './support/test-service.js';

test('when POST /record is tried out in Swagger UI with a WAV file, then the service answers 201', async () => {
  const service = await startTestService();
  const browser = await launchChromium();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-swagger-'));
  try {
    const user = await createUser(service.url, 'swagger');
    const wav = path.join(dir, 'try.wav');
    await writeFile(wav, encodeWav({ sampleRate: 44100, channels: 1 }, [sine(440, 0.5, 44100)]));
    const { page, problems, close } = await openPage(browser, `${service.url}/docs`);
    try {
      // Hashes, not 'unsafe-inline': a script injected into the page would not run.
      const policy = (await page.request.get(`${service.url}/docs`)).headers()['content-security-policy'] ?? '';
      const scriptSrc = /(?:^|;)\s*script-src ([^;]*)/.exec(policy)?.[1] ?? '';
      assert.match(scriptSrc, /'sha256-[A-Za-z0-9+/]+=*'/, policy);
      assert.not.match(scriptSrc, /unsafe-inline|unsafe-eval|\*|https?:/, policy);
      await page.locator('#operations-default-listRecords').waitFor();
      const operation = page.locator('#operations-default-uploadRecord');
      await operation.getByText('Upload a WAV and convert it to MP3').click();
      // Try-it-out is on from the start (tryItOutEnabled).
      await operation.locator('tr[data-property-name="user"] input[type=text]').fill(user.id);
      await operation.locator('tr[data-property-name="token"] input[type=text]').fill(user.token);
      await operation.locator('tr[data-property-name="bitrate"] select').selectOption('192');
      // Swagger fills optional fields with samples; bitrate and vbr together are refused, so clear vbr.
      await operation.locator('tr[data-property-name="vbr"] input[type=text]').fill('');
      await operation.locator('input[type=file]').setInputFiles(wav);
      const answer = page.waitForResponse((r) => r.url().endsWith('/record') && r.request().method() === 'POST');
      await operation.getByRole('button', { name: 'Execute' }).click();
      const response = await answer;
      assert.is(response.status(), 201, await response.text());
      const record = (await response.json()) as { url: string; name: string; output: { bitrateKbps: number } };
      assert.is(record.name, 'try.wav');
      assert.is(record.output.bitrateKbps, 192);
      await operation.locator('.live-responses-table').getByText('201').first().waitFor();
      // Nothing was blocked or failed: the inline start-up script ran under its hash, the page asks no other origin
      // (not even for the template's web fonts) and Chromium reported no Content Security Policy violation.
      assert.equal(problems, []);
    } finally {
      await close();
    }
  } finally {
    await browser.close();
    await service.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('when /docs is fetched, then it loads nothing from another origin and every inline script and style is allowed by its hash', async () => {
  const service = await startTestService();
  try {
    const response = await fetch(`${service.url}/docs`);
    assert.is(response.status, 200);
    const html = await response.text();
    assert.not.match(html, /\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i, 'no external link, script or font');
    const policy = response.headers.get('content-security-policy') ?? '';
    const directive = (name: string) => new RegExp(`(?:^|;)\\s*${name} ([^;]*)`).exec(policy)?.[1] ?? '';
    const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const inlineScripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    const inlineStyles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    assert.ok(inlineScripts.length > 0 && inlineStyles.length > 0, 'the page has its inline start-up script and style');
    for (const script of inlineScripts) assert.ok(directive('script-src').includes(sha256(script)), policy);
    for (const style of inlineStyles) assert.ok(directive('style-src').includes(sha256(style)), policy);
    assert.not.match(policy, /unsafe-inline/);
  } finally {
    await service.close();
  }
});

test.run();
