// The web page at / (public/index.html) and its assets (public/assets/*), read once at start-up. No build step: the
// files are served as they are, with validators so browsers revalidate cheaply.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Router from '@koa/router';
import type { Context } from 'koa';

// Compiled, this file is dist/src/http/routes/web-page.js; public/ stays at the package root.
const PUBLIC_DIR = fileURLToPath(new URL('../../../../public/', import.meta.url));

// The page talks only to this service; audio plays from its own download URLs.
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

function load(file: string): StaticFile {
  const body = readFileSync(file);
  return { body, type: TYPES[path.extname(file)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

function send(ctx: Context, file: StaticFile, cacheControl: string) {
  ctx.set('Content-Security-Policy', PAGE_CSP);
  ctx.set('Cache-Control', cacheControl);
  ctx.set('ETag', file.etag);
  ctx.type = file.type;
  if (ctx.get('If-None-Match') === file.etag) {
    ctx.status = 304;
    return;
  }
  ctx.body = file.body;
}

export function webPageRoutes(router: Router, publicDir = PUBLIC_DIR): void {
  const indexFile = path.join(publicDir, 'index.html');
  if (!existsSync(indexFile)) return;
  const page = load(indexFile);
  const assetsDir = path.join(publicDir, 'assets');
  const assets = new Map(
    existsSync(assetsDir) ? readdirSync(assetsDir).map((name) => [name, load(path.join(assetsDir, name))] as const) : [],
  );
  router.get('/', (ctx) => send(ctx, page, 'no-cache'));
  router.get('/assets/:name', (ctx) => {
    const asset = assets.get(ctx.params.name ?? '');
    // Revalidated every time (cheap with the ETag): the page has no build step to fingerprint file names.
    if (asset) send(ctx, asset, 'no-cache');
  });
}
