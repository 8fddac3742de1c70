// Swagger UI at /docs in a real browser: "Try it out" on POST /record, file upload included, reaches the API.
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
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
      // The page is the service's own: no CDN scripts; the only thing blocked is the template's web font.
      assert.equal(problems.filter((p) => !p.includes('fonts.googleapis.com')), []);
    } finally {
      await close();
    }
  } finally {
    await browser.close();
    await service.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
