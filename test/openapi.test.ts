import { Validator } from '@seriousme/openapi-schema-validator';
import { suite } from './support/suite.js';
import * as assert from 'uvu/assert';
import { routesOf } from '../src/http/app.js';
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

// The error statuses each route can answer with, beyond 404 for unknown paths and 405 for wrong methods: the same
// ones test/errors.test.ts provokes.
const ERROR_STATUSES: Record<string, number[]> = {
  'post /user': [400, 413, 415, 422, 429],
  'get /user': [401, 422],
  'delete /user': [401, 422],
  'post /user/token': [401, 422],
  'post /record': [400, 401, 403, 413, 415, 422, 429, 503],
  'get /record': [404, 416, 422],
  'delete /record': [401, 404, 422],
  'get /records': [401, 422],
  'get /readyz': [503],
};

docs('when the document is read, then every route the router knows is there, with its statuses and examples', async ({ service }) => {
  const document = (await (await fetch(`${service.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, Operation>> };
  const routes = routesOf(service.app);
  assert.ok(routes.length >= 10);
  for (const { method: upper, path: koaPath } of routes) {
    const path = koaPath.replace(/:(\w+)/g, '{$1}');
    // The router answers HEAD wherever it answers GET; HEAD is documented on its own only where it matters.
    const method = upper === 'HEAD' && !document.paths[path]?.head ? 'get' : upper.toLowerCase();
    {
      const operation = document.paths[path]?.[method];
      assert.ok(operation, `${upper} ${path} is documented`);
      for (const status of ERROR_STATUSES[`${method} ${path}`] ?? []) {
        assert.ok(operation!.responses[String(status)], `${upper} ${path} documents ${status}`);
      }
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
});

docs('when the document is read, then a record says whether its input was cut short, and a quota refusal the bytes used and allowed', async ({ service }) => {
  type Schema = { properties: Record<string, Schema & { type?: unknown }>; required?: string[]; $ref?: string };
  const document = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
    components: { schemas: Record<string, Schema> };
    paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: Schema; example: Record<string, unknown> }> }> }>>;
  };
  const { Record: record, RecordPage: page, Problem: problem } = document.components.schemas;
  const input = record!.properties.input!;
  for (const field of ['truncated', 'declaredDurationSeconds', 'durationSeconds']) {
    assert.ok(input.properties[field], `input.${field} is documented`);
    assert.ok(input.required?.includes(field), `input.${field} is required`);
  }
  assert.is(input.properties.truncated!.type, 'boolean');
  assert.is(input.properties.declaredDurationSeconds!.type, 'number');
  // POST /record answers a Record, GET /records a page of them.
  assert.is(document.paths['/record']!.post!.responses['201']!.content['application/json']!.schema.$ref, '#/components/schemas/Record');
  const listed = document.paths['/records']!.get!.responses['200']!.content['application/json']!.schema;
  assert.ok(listed.$ref === '#/components/schemas/RecordPage' && JSON.stringify(page).includes('declaredDurationSeconds'), JSON.stringify(listed));

  for (const field of ['usedBytes', 'allowedBytes', 'neededBytes']) assert.ok(problem!.properties[field], `Problem.${field} is documented`);
  const refusal = document.paths['/record']!.post!.responses['403']!.content['application/problem+json']!.example;
  assert.is(refusal.type, '/problems/storage-quota-exceeded');
  assert.ok(typeof refusal.usedBytes === 'number' && typeof refusal.allowedBytes === 'number', JSON.stringify(refusal));
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
