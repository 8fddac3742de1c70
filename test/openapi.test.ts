import { Validator } from '@seriousme/openapi-schema-validator';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestService, type TestService } from './support/test-service.js';

const docs = suite<{ service: TestService }>('OpenAPI document and Swagger UI', {} as { service: TestService });
docs.before(async (context) => {
  context.service = await startTestService();
});
docs.after(async ({ service }) => service.close());

interface Operation {
  responses: Record<string, { content?: Record<string, { example?: unknown }> }>;
  requestBody?: { content: Record<string, { example?: unknown }> };
}

docs('when /openapi.json is fetched, then it is a valid OpenAPI 3.1 document', async ({ service }) => {
  const response = await fetch(`${service.url}/openapi.json`);
  assert.is(response.status, 200);
  const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, Operation>> };
  assert.is(document.openapi, '3.1.0');
  const validator = new Validator();
  const result = await validator.validate(document);
  assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
  assert.is(validator.version, '3.1');
});

docs('when the document is read, then every route and every error status has an example', async ({ service }) => {
  const document = (await (await fetch(`${service.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, Operation>> };
  const expected: Record<string, string[]> = {
    '/user': ['post'],
    '/record': ['post', 'get', 'head', 'delete'],
    '/records': ['get'],
    '/healthz': ['get'],
    '/readyz': ['get'],
  };
  for (const [path, methods] of Object.entries(expected)) {
    for (const method of methods) {
      const operation = document.paths[path]?.[method];
      assert.ok(operation, `${method.toUpperCase()} ${path} is documented`);
      for (const [status, answer] of Object.entries(operation!.responses)) {
        // HEAD answers carry headers only.
        if (Number(status) >= 400 && method !== 'head') {
          assert.ok(answer.content?.['application/problem+json']?.example, `${method} ${path} ${status} has a problem example`);
        }
      }
      if (operation!.requestBody) {
        assert.ok(Object.values(operation!.requestBody.content).every((c) => c.example !== undefined), `${method} ${path} body example`);
      }
    }
  }
  const upload = document.paths['/record']!.post!;
  for (const status of ['201', '400', '401', '413', '415', '422', '503']) assert.ok(upload.responses[status], `POST /record ${status}`);
});

docs('when /docs is opened, then Swagger UI comes from this service, pointed at /openapi.json', async ({ service }) => {
  const page = await fetch(`${service.url}/docs`);
  assert.is(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  const html = await page.text();
  assert.match(html, /\/openapi\.json/);
  assert.not.match(html, /cdnjs|unpkg|jsdelivr/);
  for (const asset of ['swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'swagger-ui.min.css']) {
    assert.ok(html.includes(`/docs/assets/${asset}`), asset);
    const response = await fetch(`${service.url}/docs/assets/${asset}`);
    assert.is(response.status, 200, asset);
    assert.ok((await response.arrayBuffer()).byteLength > 1000);
  }
  assert.is((await fetch(`${service.url}/docs/assets/..%2Fpackage.json`)).status, 404);
});

docs.run();
