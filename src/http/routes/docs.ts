// GET /openapi.json and the Swagger UI at /docs, served from this service (no CDN), so "Try it out" works offline.
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Router from '@koa/router';
import { koaSwagger } from 'koa2-swagger-ui';
import { openApiDocument } from '../openapi.js';

// Swagger UI's page runs an inline start-up script; the rest of the service keeps the stricter default policy.
const DOCS_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

const swaggerDist = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, { file: string; type: string }> = {
  'swagger-ui.min.css': { file: 'swagger-ui.css', type: 'text/css' },
  'swagger-ui-bundle.js': { file: 'swagger-ui-bundle.js', type: 'application/javascript' },
  'swagger-ui-standalone-preset.js': { file: 'swagger-ui-standalone-preset.js', type: 'application/javascript' },
  'favicon.png': { file: 'favicon-32x32.png', type: 'image/png' },
};

export function docsRoutes(router: Router, options: { maxNameLength: number; maxUploadBytes: number }): void {
  const document = openApiDocument(options);
  const ui = koaSwagger({
    routePrefix: '/docs',
    title: 'wav2mp3 API',
    swaggerCdnUrl: '/docs',
    swaggerVersion: 'assets',
    hideTopbar: true,
    favicon: '/docs/assets/favicon.png',
    swaggerOptions: { url: '/openapi.json', tryItOutEnabled: true },
  });

  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  router.get('/docs', async (ctx, next) => {
    ctx.set('Content-Security-Policy', DOCS_CSP);
    await ui(ctx, next);
  });
  router.get('/docs/assets/:name', (ctx) => {
    const asset = ASSETS[ctx.params.name ?? ''];
    if (!asset) return; // falls through to the 404 problem
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.type = asset.type;
    ctx.body = createReadStream(path.join(swaggerDist, asset.file));
  });
}
