// GET /openapi.json and the Swagger UI at /docs, served from this service (no CDN), so "Try it out" works offline.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { koaSwagger } from 'koa2-swagger-ui';
import { openApiDocument } from '../openapi.js';

const swaggerDist = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
// A Map, not an object literal: a name like `__proto__` or `toString` must find nothing, not Object.prototype's.
const ASSETS = new Map<string, { file: string; type: string }>([
  ['swagger-ui.min.css', { file: 'swagger-ui.css', type: 'text/css' }],
  ['swagger-ui-bundle.js', { file: 'swagger-ui-bundle.js', type: 'application/javascript' }],
  ['swagger-ui-standalone-preset.js', { file: 'swagger-ui-standalone-preset.js', type: 'application/javascript' }],
  ['favicon.png', { file: 'favicon-32x32.png', type: 'image/png' }],
]);

export interface SwaggerPage {
  html: string;
  contentSecurityPolicy: string;
}

const sha256Source = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The text of every `<tag>…</tag>` element, skipping those whose attributes match `skip` (a script with a src). */
function inlineBodies(html: string, tag: string, skip?: RegExp): string[] {
  return [...html.matchAll(new RegExp(`<${tag}\\b([^>]*)>([\\s\\S]*?)</${tag}>`, 'gi'))]
    .filter((m) => !(skip && skip.test(m[1] ?? '')))
    .map((m) => m[2] ?? '');
}

/**
 * The page koa2-swagger-ui renders, made to work under a policy without 'unsafe-inline': its external links dropped
 * (the template asks Google Fonts for its web fonts; the CSS falls back to local fonts) and the hash of each inline
 * script, style block and style attribute allowed by name. Derived from the rendered page, not written down, so an
 * upgrade of the library that changes its template changes the hashes with it instead of breaking the page.
 */
export function swaggerPage(rendered: string): SwaggerPage {
  const html = rendered.replace(/<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?\/\/[^>]*>[ \t]*\r?\n?/gi, '');
  // Anything else the page would load from another origin is blocked by the policy below; better to fail at start-up
  // than to serve a page that breaks in the browser.
  const external = /\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\/[^\s"'>]+/i.exec(html);
  if (external) throw new Error(`the Swagger UI page loads ${external[0]} from another origin; serve it from /docs/assets instead`);
  const scripts = inlineBodies(html, 'script', /\bsrc\s*=/i).map(sha256Source);
  const styles = inlineBodies(html, 'style').map(sha256Source);
  const styleAttributes = [...html.matchAll(/\bstyle\s*=\s*"([^"]*)"/gi)].map((m) => sha256Source(m[1] ?? ''));
  const contentSecurityPolicy = [
    "default-src 'self'",
    `script-src 'self' ${scripts.join(' ')}`.trimEnd(),
    `style-src 'self' ${styles.join(' ')}`.trimEnd(),
    // CSP3 browsers check style="…" attributes here; 'unsafe-hashes' allows exactly the ones hashed.
    styleAttributes.length > 0 ? `style-src-attr 'unsafe-hashes' ${styleAttributes.join(' ')}` : "style-src-attr 'none'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}

function renderSwaggerUi(): string {
  const ui = koaSwagger({
    routePrefix: '/docs',
    title: 'wav2mp3 API',
    swaggerCdnUrl: '/docs',
    swaggerVersion: 'assets',
    hideTopbar: true,
    favicon: '/docs/assets/favicon.png',
    // No validator badge: it is an image from validator.swagger.io that would tell a third party where the API is.
    swaggerOptions: { url: '/openapi.json', tryItOutEnabled: true, validatorUrl: null },
  });
  // The library offers only a middleware; run once on a stand-in context, it hands over the page it would serve.
  const standIn = { path: '/docs', type: '', body: undefined as unknown };
  void ui(standIn as unknown as Context, async () => {});
  if (typeof standIn.body !== 'string') throw new Error('koa2-swagger-ui rendered no page for /docs');
  return standIn.body;
}

export function docsRoutes(router: Router, options: { maxNameLength: number; maxUploadBytes: number }): void {
  const document = openApiDocument(options);
  const page = swaggerPage(renderSwaggerUi());

  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  router.get('/docs', (ctx) => {
    ctx.set('Content-Security-Policy', page.contentSecurityPolicy);
    ctx.type = 'text/html';
    ctx.body = page.html;
  });
  router.get('/docs/assets/:name', (ctx) => {
    const asset = ASSETS.get(ctx.params.name ?? '');
    if (!asset) return; // falls through to the 404 problem
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.type = asset.type;
    ctx.body = createReadStream(path.join(swaggerDist, asset.file));
  });
}
