// The web page at /, end to end in headless Chromium against the real service: a person's path through it, by
// labels and roles (which also proves every control has an accessible name), and partly by keyboard alone.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import { suite } from './support/suite.js';
import * as assert from 'uvu/assert';
import { musicLike, sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { download, upload } from './support/api-client.js';
import { launchChromium, openPage, type PageUnderTest } from './support/browser.js';
import { startTestService, type TestService } from './support/test-service.js';

// Written only on request (UPDATE_SCREENSHOT=1), so an ordinary test run leaves the working tree clean.
const SCREENSHOT = fileURLToPath(new URL('../../docs/screenshot.png', import.meta.url));
const STEP_TIMEOUT_MS = 15_000;
// Lengths that are not a whole number of MP3 frames: a player that counted the encoder's padding would be off by
// tens of milliseconds, far outside the 1 ms the test allows.
const TAKE = { name: 'take.wav', sampleRate: 44100, samples: 103_447 };
const INTERVIEW = { name: 'interview.wav', sampleRate: 48000, samples: 150_001 };
// Small enough that one long recording passes it, large enough for the suite's short ones.
const STORAGE_LIMIT_BYTES = 1_000_000;

interface Context {
  service: TestService;
  browser: Browser;
  tab: PageUnderTest;
  user: { id: string; name: string; token: string };
  setupError?: unknown;
}
const webPage = suite<Context>('web page', {} as Context);

webPage.before(async (context) => {
  try {
    context.service = await startTestService({ maxStorageBytesPerUser: STORAGE_LIMIT_BYTES });
    context.browser = await launchChromium();
    context.tab = await openPage(context.browser, context.service.url);
  } catch (error) {
    // uvu drops an error thrown by a before hook without printing it; each test reports it instead.
    context.setupError = error;
  }
});
webPage.before.each(({ setupError }) => {
  if (setupError) throw setupError;
});
webPage.after(async ({ tab, browser, service }) => {
  await tab?.close();
  await browser?.close();
  await service?.close();
});

const takeWav = () => {
  const s = sine(440, TAKE.samples / TAKE.sampleRate, TAKE.sampleRate);
  return encodeWav({ sampleRate: TAKE.sampleRate, channels: 2 }, [s, s]);
};
const interviewWav = () => encodeWav({ sampleRate: INTERVIEW.sampleRate, channels: 2 }, musicLike(INTERVIEW.samples / INTERVIEW.sampleRate, INTERVIEW.sampleRate, 2));

const recordItem = (page: Page, fileName: string): Locator => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: fileName }) });
const uploadItem = (page: Page, fileName: string): Locator => page.getByRole('list', { name: 'Files being converted' }).getByRole('listitem').filter({ hasText: fileName });

async function listRecords(service: TestService, user: Context['user']) {
  const response = await fetch(`${service.url}/records?user=${user.id}`, { headers: { Authorization: `Bearer ${user.token}` } });
  return ((await response.json()) as { records: Array<{ id: string; url: string; fileName: string; output: { channels: number; vbrQuality: number | null } }> }).records;
}

async function storedBytes(service: TestService, user: Context['user']): Promise<number> {
  const response = await fetch(`${service.url}/user?id=${user.id}`, { headers: { Authorization: `Bearer ${user.token}` } });
  return ((await response.json()) as { storage: { usedBytes: number } }).storage.usedBytes;
}

/** The storage line for a user storing bytes (between 1 kB and 1 MB) of the suite's limit, as an en-GB page says it. */
function storageLine(bytes: number): string {
  assert.ok(bytes >= 1000 && bytes < STORAGE_LIMIT_BYTES, `${bytes} bytes are shown in kB`);
  return `Storage: ${new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 }).format(bytes / 1000)} kB of 1 MB`;
}

const apiStatus = async (url: string, token: string, method = 'GET') => (await fetch(url, { method, headers: { Authorization: `Bearer ${token}` } })).status;

// This suite compiles without lib.dom (so that src/ cannot use browser globals by mistake). Code that runs in the
// page is therefore either a string expression or a function of an element, whose DOM type goes unchecked.
const storedUser = (page: Page) => page.evaluate<string | null>("localStorage.getItem('wav2mp3.user')");
const focusedId = (page: Page) => page.evaluate<string | undefined>('document.activeElement?.id');

/** Every text a file's row showed, in order, recorded in the page as it changes (too fast to poll for). */
async function watchUploadStates(page: Page): Promise<() => Promise<string[]>> {
  const list = page.locator('#uploads');
  await list.evaluate((element) => {
    const seen: string[] = (element.uploadStates = []);
    new element.ownerDocument.defaultView.MutationObserver(() => {
      for (const state of element.querySelectorAll('.upload-state')) {
        const text = `${state.closest('li').querySelector('.upload-name').textContent}: ${state.textContent}`;
        if (seen.at(-1) !== text) seen.push(text);
      }
    }).observe(element, { subtree: true, childList: true, characterData: true });
  });
  return () => list.evaluate((element): string[] => element.uploadStates);
}

/** The duration the <audio> element reports once it has loaded the file's metadata. */
const audioDuration = (audio: Locator) =>
  audio.evaluate(
    (element) =>
      new Promise<number>((resolve, reject) => {
        if (element.readyState >= 1) resolve(element.duration);
        element.addEventListener('loadedmetadata', () => resolve(element.duration));
        element.addEventListener('error', () => reject(new Error(`media error ${element.error.code}: ${element.error.message}`)));
      }),
  );

/** Drops a file on the element as a person dragging it from their file manager would: dragenter, dragover, drop. */
const dropFile = (target: Locator, name: string, bytes: Uint8Array) =>
  target.evaluate(
    (element, [fileName, base64]) => {
      const window = element.ownerDocument.defaultView;
      const transfer = new window.DataTransfer();
      transfer.items.add(new window.File([Uint8Array.from(window.atob(base64), (c: string) => c.charCodeAt(0))], fileName, { type: 'audio/wav' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        element.dispatchEvent(new window.DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }
    },
    [name, Buffer.from(bytes).toString('base64')] as const,
  );

webPage('when a visitor creates a user, then the page keeps it across reloads and shows the converter', async (context) => {
  const { page } = context.tab;
  await page.getByLabel('Your name').fill('Ann');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByText('Signed in as Ann').waitFor({ timeout: STEP_TIMEOUT_MS });
  context.user = JSON.parse((await storedUser(page))!) as Context['user'];
  assert.is(context.user.name, 'Ann');
  assert.is(await page.locator('#user-token').textContent(), context.user.token, 'the new token is shown, to be kept');
  await page.getByText('Storage: 0 bytes of 1 MB', { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });

  await page.reload();
  await page.getByText('Signed in as Ann').waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.ok(await page.getByRole('heading', { name: 'Convert' }).isVisible());
  await page.getByText('No recordings yet').waitFor({ timeout: STEP_TIMEOUT_MS });
});

webPage('when a WAV is chosen with the keyboard alone, then its row shows upload progress, conversion and done, and the record is listed', async ({ tab: { page } }) => {
  const states = await watchUploadStates(page);
  // Tab from the top of the page to the file picker: it must be reachable, and Enter must open it.
  await page.locator('body').focus();
  let reached = false;
  for (let presses = 0; presses < 30 && !reached; presses++) {
    await page.keyboard.press('Tab');
    reached = (await focusedId(page)) === 'wav-files';
  }
  assert.ok(reached, 'Tab reaches the file picker');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
  assert.ok(chooser.isMultiple(), 'several files can be chosen at once');
  await chooser.setFiles({ name: TAKE.name, mimeType: 'audio/wav', buffer: Buffer.from(takeWav()) });

  await uploadItem(page, TAKE.name).getByText('done', { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const seen = await states();
  assert.ok(seen.some((s) => /^take\.wav: uploading \d+ %$/.test(s)), `upload progress shown: ${seen.join(' | ')}`);
  assert.ok(seen.includes('take.wav: converting…'), `conversion shown: ${seen.join(' | ')}`);
  assert.is(await uploadItem(page, TAKE.name).getByRole('progressbar', { name: TAKE.name }).getAttribute('value'), '100');
  await recordItem(page, 'take.mp3').waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.match((await recordItem(page, 'take.mp3').locator('.record-facts').textContent())!, /^2\.3 s · .* kB · 128 kbps · stereo · 44\.1 kHz · /);
});

webPage('when a WAV is dropped with VBR and mono chosen, then it converts with those options', async ({ tab: { page }, service, user }) => {
  await page.getByLabel('Variable bitrate').check();
  assert.ok(await page.getByLabel('Bitrate', { exact: true }).isDisabled(), 'the CBR choice is off while VBR is chosen');
  await page.getByLabel('VBR quality').selectOption('2');
  await page.getByLabel(/^Mono/).check();
  await dropFile(page.locator('#drop-zone'), INTERVIEW.name, interviewWav());

  await uploadItem(page, INTERVIEW.name).getByText('done', { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await recordItem(page, 'interview.mp3').waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.match((await recordItem(page, 'interview.mp3').locator('.record-facts').textContent())!, /VBR quality 2 · mono · 48 kHz/);
  const saved = (await listRecords(service, user)).find((r) => r.fileName === 'interview.mp3');
  assert.equal([saved?.output.vbrQuality, saved?.output.channels], [2, 1]);
  const titles = await page.locator('.record-title').allTextContents();
  assert.equal(titles, ['interview.mp3', 'take.mp3'], 'newest first');
});

webPage('when a record is listed, then its <audio> player loads exactly the source duration', async ({ tab: { page } }) => {
  for (const source of [TAKE, INTERVIEW]) {
    const audio = recordItem(page, source.name.replace('.wav', '.mp3')).locator('audio');
    assert.is(await audio.getAttribute('preload'), 'metadata');
    assert.match((await audio.getAttribute('src'))!, /\/record\?id=[0-9a-f-]{36}&user=[0-9a-f-]{36}&inline=1$/);
    const duration = await audioDuration(audio);
    const expected = source.samples / source.sampleRate;
    assert.ok(Math.abs(duration - expected) < 0.001, `${source.name}: <audio> reports ${duration} s, the source is ${expected} s`);
  }
});

webPage('when the page shows a user with records, then it fits a 375 px phone screen without horizontal scrolling', async ({ tab: { page } }) => {
  // The players show their lengths once loaded; the screenshot should too.
  for (const audio of await page.locator('audio').all()) await audioDuration(audio);
  const screenshot = await page.screenshot({ fullPage: true });
  if (process.env.UPDATE_SCREENSHOT === '1') await writeFile(SCREENSHOT, screenshot);

  await page.setViewportSize({ width: 375, height: 800 });
  const widths = await page.evaluate<{ document: number; viewport: number }>('({ document: document.documentElement.scrollWidth, viewport: innerWidth })');
  assert.ok(widths.document <= widths.viewport, `the page is ${widths.document} px wide in a ${widths.viewport} px viewport`);
  await page.setViewportSize({ width: 1000, height: 800 });
});

webPage('when the download link is followed, then the file is the MP3 the API serves, under its MP3 name', async ({ tab: { page }, service, user }) => {
  const [saved] = await Promise.all([page.waitForEvent('download'), recordItem(page, 'take.mp3').getByRole('link', { name: 'Download take.mp3' }).click()]);
  assert.is(saved.suggestedFilename(), 'take.mp3');
  const fromBrowser = await readFile((await saved.path())!);
  const record = (await listRecords(service, user)).find((r) => r.fileName === 'take.mp3')!;
  const fromApi = await download(record.url);
  assert.is(fromApi.response.status, 200);
  assert.ok(fromBrowser.length > 0 && Buffer.compare(fromBrowser, Buffer.from(fromApi.bytes)) === 0, 'the same bytes');
});

webPage('when a record is deleted with the keyboard, then it leaves the list and the service', async ({ tab: { page }, service, user }) => {
  const record = (await listRecords(service, user)).find((r) => r.fileName === 'take.mp3')!;
  page.once('dialog', (dialog) => void dialog.accept());
  await recordItem(page, 'take.mp3').getByRole('button', { name: 'Delete take.mp3' }).focus();
  await page.keyboard.press('Enter');
  await recordItem(page, 'take.mp3').waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
  assert.ok(await page.getByText('Deleted take.mp3.').isVisible());
  assert.is(await focusedId(page), 'library-heading', 'focus goes back to the list, not to the body');
  assert.is((await fetch(record.url)).status, 404);
  assert.equal(await page.locator('.record-title').allTextContents(), ['interview.mp3']);
});

webPage('when a file that is not a WAV is uploaded, then the service’s reason is shown beside that file', async ({ tab: { page }, service, user }) => {
  const broken = Buffer.from('this is a text file, not a WAV');
  await page.getByLabel('Choose WAV files').setInputFiles({ name: 'broken.wav', mimeType: 'audio/wav', buffer: broken });
  const row = uploadItem(page, 'broken.wav');
  await row.getByText('not converted').waitFor({ timeout: STEP_TIMEOUT_MS });

  const problem = (await (await upload(service.url, broken, { user: user.id, token: user.token, fileName: 'broken.wav' })).json()) as { title: string; detail: string };
  const shown = (await row.locator('.error').textContent())!;
  assert.ok(shown.startsWith(`${problem.title}. `), `the title leads: ${shown}`);
  assert.ok(shown.toLowerCase().includes(problem.detail.toLowerCase()), `the detail "${problem.detail}" is shown: ${shown}`);
  assert.equal(await page.locator('.record-title').allTextContents(), ['interview.mp3'], 'nothing was added');
});

webPage('when a WAV cut short is uploaded, then its row and its record say how much was declared and how much converted', async ({ tab: { page }, service, user }) => {
  const whole = encodeWav({ sampleRate: 8000, channels: 1 }, musicLike(3, 8000, 1));
  const cut = Buffer.from(whole.subarray(0, 44 + 2 * 8000)); // 1 s of the 3 its header declares
  await page.getByLabel('Choose WAV files').setInputFiles({ name: 'cut.wav', mimeType: 'audio/wav', buffer: cut });
  const row = uploadItem(page, 'cut.wav');
  await row.getByText('done, cut short', { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const notice = 'The file was cut short: its header declares 3 s, and the 1 s it holds were converted.';
  assert.is(await row.locator('.upload-warning').textContent(), notice);
  await recordItem(page, 'cut.mp3').waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.ok(await recordItem(page, 'cut.mp3').locator('.record-warning').isVisible());
  assert.is(await recordItem(page, 'cut.mp3').locator('.record-warning').textContent(), notice);
  assert.not.ok(await recordItem(page, 'interview.mp3').locator('.record-warning').isVisible(), 'a whole file has no warning');
  // Leave the list as the later tests expect it.
  const record = (await listRecords(service, user)).find((r) => r.fileName === 'cut.mp3')!;
  assert.is((await fetch(`${service.url}/record?id=${record.id}&user=${user.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${user.token}` } })).status, 204);
  await page.reload();
  await recordItem(page, 'interview.mp3').waitFor({ timeout: STEP_TIMEOUT_MS });
});

webPage('when a file is converted and later deleted, then the storage line grows and shrinks by its MP3 bytes', async ({ tab: { page }, service, user }) => {
  const before = await storedBytes(service, user);
  await page.getByText(storageLine(before), { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });

  await page.getByLabel('Choose WAV files').setInputFiles({ name: 'extra.wav', mimeType: 'audio/wav', buffer: Buffer.from(takeWav()) });
  await uploadItem(page, 'extra.wav').getByText('done', { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const after = await storedBytes(service, user);
  const record = (await listRecords(service, user)).find((r) => r.fileName === 'extra.mp3')!;
  assert.ok(after > before, `the service counts the new MP3: ${before} → ${after} bytes`);
  await page.getByText(storageLine(after), { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });

  page.once('dialog', (dialog) => void dialog.accept());
  await recordItem(page, 'extra.mp3').getByRole('button', { name: 'Delete extra.mp3' }).click();
  await recordItem(page, 'extra.mp3').waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
  assert.is((await fetch(record.url)).status, 404);
  await page.getByText(storageLine(before), { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.equal(await page.locator('.record-title').allTextContents(), ['interview.mp3']);
});

webPage('when an upload would pass the storage limit, then its row says what is stored, allowed and needed, and nothing is added', async ({ tab: { page }, service, user }) => {
  // 30 s at 320 kbps: 1.2 MB of MP3, past the 1 MB limit on its own.
  await page.getByLabel('Constant bitrate').check();
  await page.getByLabel('Bitrate', { exact: true }).selectOption('320');
  const long = encodeWav({ sampleRate: 44100, channels: 1 }, [sine(440, 30, 44100)]);
  await page.getByLabel('Choose WAV files').setInputFiles({ name: 'long.wav', mimeType: 'audio/wav', buffer: Buffer.from(long) });
  const row = uploadItem(page, 'long.wav');
  await row.getByText('not converted').waitFor({ timeout: STEP_TIMEOUT_MS });

  const used = await storedBytes(service, user);
  const shown = (await row.locator('.error').textContent())!;
  const stored = storageLine(used).replace(/^Storage: (.*) of 1 MB$/, '$1');
  const expected = `Not enough storage left. Your recordings take ${stored} of the 1 MB you may keep, and this one needs 1.2 MB more. ` +
    'Delete recordings to make room, or choose a lower bitrate.';
  assert.is(shown, expected);
  assert.equal(await page.locator('.record-title').allTextContents(), ['interview.mp3'], 'nothing was added');
  await page.getByText(storageLine(used), { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.getByLabel('Bitrate', { exact: true }).selectOption('128');
});

webPage('when the user is forgotten and comes back with id and token, then the records are there again', async ({ tab: { page }, user }) => {
  await page.getByRole('button', { name: 'Forget me' }).click();
  assert.is(await storedUser(page), null);
  assert.not.ok(await page.getByRole('heading', { name: 'Your recordings' }).isVisible());

  await page.getByLabel('User id').fill(user.id);
  await page.getByLabel('Token').fill('00000000-0000-4000-8000-000000000000');
  await page.getByRole('button', { name: 'Use this user' }).click();
  await page.getByRole('alert').filter({ hasText: 'Authentication failed' }).waitFor({ timeout: STEP_TIMEOUT_MS });

  await page.getByLabel('User id').fill('not-an-id');
  await page.getByLabel('Token').fill(user.token);
  await page.getByRole('button', { name: 'Use this user' }).click();
  await page.getByText('User must be a UUID.').waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.is(await page.getByLabel('User id').getAttribute('aria-invalid'), 'true', 'the message is beside the field at fault');

  await page.getByLabel('User id').fill(user.id);
  await page.getByRole('button', { name: 'Use this user' }).click();
  await recordItem(page, 'interview.mp3').waitFor({ timeout: STEP_TIMEOUT_MS });
  // The profile (GET /user) gives the name back to a user who signs in with only the id and token.
  assert.ok(await page.getByText('Signed in as Ann').isVisible());
});

webPage('when a new token is made, then the page goes on working with it and the old token gets 401', async (context) => {
  const { tab: { page }, service } = context;
  const old = context.user;
  await page.getByRole('button', { name: 'New token' }).click();
  await page.getByRole('status').filter({ hasText: 'The old one no longer works.' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const renewed = JSON.parse((await storedUser(page))!) as Context['user'];
  assert.is(renewed.id, old.id);
  assert.is.not(renewed.token, old.token);
  assert.ok(await page.locator('#user-token').isVisible(), 'the new token is shown, to be kept');
  assert.is(await page.locator('#user-token').textContent(), renewed.token);

  assert.is(await apiStatus(`${service.url}/user?id=${old.id}`, old.token), 401, 'the old token no longer opens the profile');
  assert.is(await apiStatus(`${service.url}/records?user=${old.id}`, old.token), 401, 'nor the records');
  assert.is(await apiStatus(`${service.url}/user?id=${old.id}`, renewed.token), 200, 'the new one does');

  // Without a reload: an upload and a deletion carry the new token.
  await page.getByLabel('Choose WAV files').setInputFiles({ name: 'renewed.wav', mimeType: 'audio/wav', buffer: Buffer.from(takeWav()) });
  await uploadItem(page, 'renewed.wav').getByText('done', { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
  page.once('dialog', (dialog) => void dialog.accept());
  await recordItem(page, 'renewed.mp3').getByRole('button', { name: 'Delete renewed.mp3' }).click();
  await page.getByText('Deleted renewed.mp3.').waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.equal((await listRecords(service, renewed)).map((r) => r.fileName), ['interview.mp3']);

  await page.reload();
  await recordItem(page, 'interview.mp3').waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.ok(await page.getByText('Signed in as Ann').isVisible());
  context.user = renewed;
});

webPage('when the account is deleted, then after the confirmation the page is back at sign-up and the service knows neither the user nor its records', async ({ tab: { page }, service, user }) => {
  const [record] = await listRecords(service, user);
  const questions: string[] = [];
  page.once('dialog', (dialog) => {
    questions.push(dialog.message());
    void dialog.dismiss();
  });
  await page.getByRole('button', { name: 'Delete my account' }).click();
  // The button is off while the page counts the records and asks; on again once the answer was no.
  await page.locator('#delete-account:enabled').waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.equal(questions.length, 1, 'the page asked');
  assert.is(await apiStatus(`${service.url}/user?id=${user.id}`, user.token), 200, 'a dismissed question deletes nothing');
  assert.ok(await page.getByText('Signed in as Ann').isVisible());

  page.once('dialog', (dialog) => {
    questions.push(dialog.message());
    void dialog.accept();
  });
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await page.getByRole('status').filter({ hasText: 'Your user and its 1 recording were deleted from the service.' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.equal(questions.length, 2);
  assert.match(questions[1]!, /^Delete your user and its 1 recording\? This cannot be undone/);
  assert.ok(await page.getByRole('button', { name: 'Create user' }).isVisible(), 'back at sign-up');
  assert.not.ok(await page.getByRole('heading', { name: 'Your recordings' }).isVisible());
  assert.is(await storedUser(page), null);
  assert.is(await focusedId(page), 'new-name', 'focus goes to the sign-up form, not to the body');

  assert.is(await apiStatus(`${service.url}/user?id=${user.id}`, user.token), 401);
  assert.is(await apiStatus(`${service.url}/records?user=${user.id}`, user.token), 401);
  assert.is((await fetch(record!.url)).status, 404, 'the old download link is dead');
  await page.reload();
  await page.getByRole('button', { name: 'Create user' }).waitFor({ timeout: STEP_TIMEOUT_MS });
});

webPage('when the whole path has run, then the page logged no errors other than the refusals it showed', async ({ tab }) => {
  // The browser logs every 4xx answer; those are the refusals the earlier steps asked for. Anything else (a CSP
  // violation, an exception) is a fault.
  const unexpected = tab.problems.filter((p) => !/Failed to load resource: the server responded with a status of (401|403|415|422)/.test(p));
  assert.equal(unexpected, []);
});

webPage.run();

// Sign-up past MAX_SIGNUPS_PER_IP_PER_HOUR, on a service of its own that allows one sign-up per address and hour. The
// browser reaches it through a "proxy": the service trusts loopback, and the page's requests carry X-Forwarded-For
// with an address of this run's own.
const signupLimit = suite<{ service: TestService; browser: Browser; tab: PageUnderTest; address: string }>('web page at the sign-up limit', {} as never);
signupLimit.before(async (context) => {
  context.service = await startTestService({ maxSignupsPerHour: 1, trustedProxies: ['loopback'] });
  context.address = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
  await context.service.sql`delete from signups where address = ${context.address}`;
  context.browser = await launchChromium();
  context.tab = await openPage(context.browser, context.service.url);
  await context.tab.page.setExtraHTTPHeaders({ 'X-Forwarded-For': context.address });
});
signupLimit.after(async ({ service, browser, tab, address }) => {
  await tab?.close();
  await browser?.close();
  if (service) {
    await service.sql`delete from signups where address = ${address}`;
    await service.close();
  }
});

signupLimit('when the network has used up its sign-ups, then the page says so in words and what to do instead', async ({ tab: { page } }) => {
  await page.getByLabel('Your name').fill('Ann');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByText('Signed in as Ann').waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.getByRole('button', { name: 'Forget me' }).click();

  await page.getByLabel('Your name').fill('Bob');
  await page.getByRole('button', { name: 'Create user' }).click();
  const expected =
    'Too many new users from your network. This network has created as many users as it may in an hour. ' +
    'Sign in with a user you already have, or try again in about 60 minutes.';
  await page.getByRole('alert').filter({ hasText: 'Too many new users' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.is(await page.getByRole('alert').filter({ hasText: 'Too many new users' }).textContent(), expected);
  assert.not.ok(await page.getByText('Signed in as Bob').isVisible());
  assert.is(await storedUser(page), null);
});

signupLimit.run();
