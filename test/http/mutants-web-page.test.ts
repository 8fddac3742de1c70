// The web page's route (src/http/routes/web-page.ts) on a Koa app in this process, over a public folder made here:
// each file type's Content-Type, the page's Content-Security-Policy and caching headers on the page and its assets,
// the ETag and its 304, an unknown asset, and a folder without index.html or without assets. test/web-page.test.ts
// drives the real page in Chromium.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Router from '@koa/router';
import Koa from 'koa';
import * as assert from 'uvu/assert';
import { webPageRoutes } from '../../src/http/routes/web-page.js';
import { test } from '../support/suite.js';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

async function serving(files: Record<string, string>, run: (url: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-public-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), text);
    }
    const app = new Koa();
    const router = new Router();
    webPageRoutes(router, dir);
    app.use(router.routes());
    const server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const etagOf = (text: string) => `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;

const FILES = {
  'index.html': '<!doctype html><title>page</title>',
  'assets/app.js': 'console.log(1)',
  'assets/style.css': 'body{}',
  'assets/logo.svg': '<svg/>',
  'assets/icon.png': 'png',
  'assets/favicon.ico': 'ico',
  'assets/notes.txt': 'other',
};

test('when the page and each asset are asked for, then each comes with its type, the CSP, no-cache and its ETag', async () => {
  await serving(FILES, async (url) => {
    const expected: [string, string, string][] = [
      ['/', 'text/html; charset=utf-8', FILES['index.html']],
      ['/assets/app.js', 'text/javascript; charset=utf-8', FILES['assets/app.js']],
      ['/assets/style.css', 'text/css; charset=utf-8', FILES['assets/style.css']],
      ['/assets/logo.svg', 'image/svg+xml', FILES['assets/logo.svg']],
      ['/assets/icon.png', 'image/png', FILES['assets/icon.png']],
      ['/assets/favicon.ico', 'image/x-icon', FILES['assets/favicon.ico']],
      ['/assets/notes.txt', 'application/octet-stream', FILES['assets/notes.txt']],
    ];
    for (const [where, type, body] of expected) {
      const response = await fetch(url + where);
      assert.is(response.status, 200, where);
      assert.is(response.headers.get('content-type'), type, where);
      assert.is(response.headers.get('content-security-policy'), CSP, where);
      assert.is(response.headers.get('cache-control'), 'no-cache', where);
      assert.is(response.headers.get('etag'), etagOf(body), where);
      assert.is(await response.text(), body, where);
    }
  });
});

test('when the browser already holds the file, then 304 with no body; another ETag gets the file', async () => {
  await serving(FILES, async (url) => {
    for (const where of ['/', '/assets/app.js']) {
      const etag = (await fetch(url + where)).headers.get('etag')!;
      const same = await fetch(url + where, { headers: { 'If-None-Match': etag } });
      assert.is(same.status, 304, where);
      assert.is(same.headers.get('etag'), etag);
      assert.is(same.headers.get('content-security-policy'), CSP);
      assert.is(await same.text(), '');
      const other = await fetch(url + where, { headers: { 'If-None-Match': '"something-else"' } });
      assert.is(other.status, 200, where);
    }
  });
});

test('when an asset does not exist, then 404; without an assets folder the page is still served; without index.html nothing is', async () => {
  await serving(FILES, async (url) => {
    assert.is((await fetch(`${url}/assets/missing.js`)).status, 404);
  });
  await serving({ 'index.html': FILES['index.html'] }, async (url) => {
    assert.is((await fetch(url)).status, 200);
    assert.is((await fetch(`${url}/assets/app.js`)).status, 404);
  });
  await serving({ 'assets/app.js': 'x' }, async (url) => {
    assert.is((await fetch(url)).status, 404);
    assert.is((await fetch(`${url}/assets/app.js`)).status, 404, 'no page, no assets either');
  });
});

test.run();
