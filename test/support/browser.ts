// Headless Chromium for tests of the web page: Debian's `chromium` package (.ci/run installs it), driven by
// playwright-core. A missing browser fails the test with the fix in the message rather than skipping it, since a
// skipped browser test would let the page break unnoticed.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

// CHROMIUM_PATH: for running the suite where the browser lives elsewhere (another distribution, macOS).
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  // CI runs as root in a container, where Chromium's sandbox cannot start.
  '--no-sandbox',
  '--disable-gpu',
  // No calls home, updates or sign-in prompts during a test: they cost time and make runs differ.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const LAUNCH_TIMEOUT_MS = 30_000;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}; the web page test needs it. Install Debian's package ` +
        '(apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH to a Chromium binary.',
    );
  }
  // launch() gives every run a fresh temporary profile, so no state carries over between runs.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: LAUNCH_TIMEOUT_MS });
}

export interface PageUnderTest {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions so far; a CSP violation shows up here too. */
  problems: string[];
  close(): Promise<void>;
}

export async function openPage(browser: Browser, url: string, viewport = { width: 1000, height: 800 }): Promise<PageUnderTest> {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'en-GB', timezoneId: 'UTC' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  // Any listener makes Playwright intercept file choosers, but it switches that on without waiting: one added just
  // before a key press can lose the race, and the chooser then never reaches the test. Listening from the start
  // leaves it on for good.
  page.on('filechooser', () => {});
  await page.goto(url);
  return { context, page, problems, close: () => context.close() };
}
