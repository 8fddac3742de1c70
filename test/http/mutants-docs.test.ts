// The documentation routes (src/http/routes/docs.ts) on a Koa app in this process, no service: the policy derived
// from a page (each inline script, style block and style attribute allowed by its hash, external links dropped, a page
// that would load from another origin refused), the document at /openapi.json, the Swagger UI page with its policy,
// and each asset with its type, bytes and caching. test/swagger-ui.test.ts opens the page in Chromium.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Router from '@koa/router';
import Koa from 'koa';
import * as assert from 'uvu/assert';
import { openApiDocument } from '../../src/http/openapi.js';
import { docsRoutes, swaggerPage } from '../../src/http/routes/docs.js';
import { test } from '../support/suite.js';

const OPTIONS = { maxNameLength: 77, maxUploadBytes: 12_345_678 };
const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const policy = (script: string, style: string, styleAttr: string) =>
  [
    "default-src 'self'",
    script,
    style,
    styleAttr,
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

let url: string;
let server: http.Server;

test.before(async () => {
  const app = new Koa();
  const router = new Router();
  docsRoutes(router, OPTIONS);
  app.use(router.routes());
  server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

test('when a page has inline scripts, style blocks and style attributes, then each is allowed by its own hash and nothing else inline', () => {
  const page = [
    '<html><head><STYLE media="x">a{}</STYLE><style>b{}</style></head>',
    '<body style="margin:0"><div style = "color:red">x</div>',
    '<script src="/docs/assets/a.js"></script><script src = "/docs/assets/b.js"></script><script>one()</script><Script type="module">\ntwo()\n</Script>',
    '</body></html>',
  ].join('');
  const { html, contentSecurityPolicy } = swaggerPage(page);
  assert.is(html, page, 'nothing to drop');
  assert.is(
    contentSecurityPolicy,
    policy(
      `script-src 'self' ${hash('one()')} ${hash('\ntwo()\n')}`,
      `style-src 'self' ${hash('a{}')} ${hash('b{}')}`,
      `style-src-attr 'unsafe-hashes' ${hash('margin:0')} ${hash('color:red')}`,
    ),
  );
});

test('when a page has nothing inline, then its policy allows only this origin, and no style attribute at all', () => {
  const { contentSecurityPolicy } = swaggerPage('<html><body><script src="/x.js"></script></body></html>');
  assert.is(contentSecurityPolicy, policy("script-src 'self'", "style-src 'self'", "style-src-attr 'none'"));
});

test('when a page links to another origin, then the link and its line end are dropped; a script or image from there is refused', () => {
  const page =
    '<head>\n  <link rel="stylesheet" href="https://fonts.example/css">  \n  <link href=//cdn.example/x.css rel=stylesheet>\n' +
    '<link rel="icon" href="/docs/x.png">\n<link href = "http://plain.example/a.css"><link href= \'//cdn.example/b.css\'><meta charset="utf-8">\n</head>';
  assert.is(swaggerPage(page).html, '<head>\n    <link rel="icon" href="/docs/x.png">\n<meta charset="utf-8">\n</head>');
  for (const [tag, found] of [
    ['<script src="https://cdn.example/ui.js"></script>', 'src="https://cdn.example/ui.js'],
    ["<img src='//img.example/a.png'>", "src='//img.example/a.png"],
    ['<a href=http://elsewhere.example/>x</a>', 'href=http://elsewhere.example/'],
    ['<iframe src = "https://frame.example/"></iframe>', 'src = "https://frame.example/'],
  ]) {
    try {
      swaggerPage(`<body>${tag}</body>`);
      assert.unreachable(tag);
    } catch (error) {
      assert.instance(error, Error);
      assert.is((error as Error).message, `the Swagger UI page loads ${found} from another origin; serve it from /docs/assets instead`);
    }
  }
});

test('when /openapi.json is fetched, then it is the document for these limits, as JSON', async () => {
  const response = await fetch(`${url}/openapi.json`);
  assert.is(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(await response.json(), JSON.parse(JSON.stringify(openApiDocument(OPTIONS))));
});

test('when /docs is fetched, then the Swagger UI page comes with a policy that allows exactly its own inline parts', async () => {
  const response = await fetch(`${url}/docs`);
  assert.is(response.status, 200);
  assert.is(response.headers.get('content-type'), 'text/html; charset=utf-8');
  const html = await response.text();
  assert.is(response.headers.get('content-security-policy'), swaggerPage(html).contentSecurityPolicy, 'the policy of the page served');
  assert.match(html, '<title>wav2mp3 API</title>');
  assert.match(html, 'href="/docs/assets/swagger-ui.min.css"');
  assert.match(html, 'href="/docs/assets/favicon.png"');
  assert.match(html, 'src="/docs/assets/swagger-ui-bundle.js"');
  assert.match(html, 'src="/docs/assets/swagger-ui-standalone-preset.js"');
  assert.match(html, /"url":\s*"\/openapi.json"/);
  assert.match(html, /"tryItOutEnabled":\s*true/);
  assert.match(html, /"validatorUrl":\s*null/);
  assert.match(html, 'HideTopbarPlugin');
  assert.not.match(html, /fonts\.googleapis|https?:\/\/(?!www\.w3\.org)/, 'nothing from another origin');
});

test('when each asset is fetched, then it comes with its type, a day of caching and the bytes of swagger-ui-dist', async () => {
  const dist = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const assets: [string, string, string][] = [
    ['swagger-ui.min.css', 'swagger-ui.css', 'text/css; charset=utf-8'],
    ['swagger-ui-bundle.js', 'swagger-ui-bundle.js', 'application/javascript; charset=utf-8'],
    ['swagger-ui-standalone-preset.js', 'swagger-ui-standalone-preset.js', 'application/javascript; charset=utf-8'],
    ['favicon.png', 'favicon-32x32.png', 'image/png'],
  ];
  for (const [name, file, type] of assets) {
    const response = await fetch(`${url}/docs/assets/${name}`);
    assert.is(response.status, 200, name);
    assert.is(response.headers.get('content-type'), type, name);
    assert.is(response.headers.get('cache-control'), 'public, max-age=86400', name);
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(await readFile(path.join(dist, file))), name);
  }
});

test('when an asset is not one of the four, then nothing is served (a name like __proto__ finds nothing either)', async () => {
  for (const name of ['swagger-ui.css', 'index.html', '__proto__', 'toString', 'constructor', '..%2Fpackage.json']) {
    const response = await fetch(`${url}/docs/assets/${name}`);
    assert.is(response.status, 404, name);
    assert.is(response.headers.get('cache-control'), null, name);
    await response.arrayBuffer();
  }
});

test.run();
