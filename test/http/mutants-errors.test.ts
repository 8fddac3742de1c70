// The mapping from errors to statuses and problem+json bodies, driven through the middleware on a bare Koa app in
// this process (docs/MUTATION.md): every domain code, the database-down codes, Koa's own errors and bare statuses.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import * as assert from 'uvu/assert';
import { DomainError, type DomainErrorCode } from '../../src/domain/errors.js';
import { HttpProblem, problemResponses } from '../../src/http/errors.js';
import type { Logger } from '../../src/log.js';
import { suite } from '../support/suite.js';

interface Context {
  url: string;
  server: http.Server;
  logged: { fields: Record<string, unknown>; message: string }[];
  // What the next request's handler does.
  handle: (ctx: Koa.Context) => void;
}

const errors = suite<Context>('problem responses', {} as Context);

errors.before(async (context) => {
  context.logged = [];
  const log = { error: (fields: Record<string, unknown>, message: string) => context.logged.push({ fields, message }) } as unknown as Logger;
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx, next) => {
    ctx.state.requestId = 'req-1';
    await next();
  });
  // Cast: in Stryker's instrumented build the factory's inferred type also allows undefined.
  app.use(problemResponses(log) as Koa.Middleware);
  app.use((ctx) => context.handle(ctx));
  context.server = http.createServer(app.callback());
  await new Promise<void>((resolve) => context.server.listen(0, '127.0.0.1', resolve));
  context.url = `http://127.0.0.1:${(context.server.address() as AddressInfo).port}`;
});
errors.before.each((context) => {
  context.logged.length = 0;
});
errors.after(async ({ server }) => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function answer(context: Context, handle: (ctx: Koa.Context) => void, method = 'GET', path = '/thing') {
  context.handle = handle;
  const response = await fetch(`${context.url}${path}`, { method });
  const text = await response.text();
  const json = /json/.test(response.headers.get('content-type') ?? '');
  return { status: response.status, headers: response.headers, body: json ? (JSON.parse(text) as Record<string, unknown>) : undefined, text };
}

const thrown = (error: unknown) => () => {
  throw error;
};

const DOMAIN: [DomainErrorCode, number, string][] = [
  ['validation-failed', 422, 'The request has invalid values'],
  ['unauthorized', 401, 'Authentication failed'],
  ['not-found', 404, 'Not found'],
  ['unsupported-audio', 415, 'Unsupported audio format'],
  ['invalid-audio', 422, 'Invalid WAV file'],
  ['unsupported-option', 422, 'Output option not available'],
  ['audio-too-long', 422, 'Recording too long'],
  ['service-busy', 503, 'Service busy'],
  ['too-many-conversions', 429, 'Too many conversions in progress'],
  ['too-many-signups', 429, 'Too many sign-ups from this address'],
  ['storage-quota-exceeded', 403, 'Storage quota exceeded'],
  ['conversion-timeout', 503, 'Conversion took too long'],
  ['database-unavailable', 503, 'Database unavailable'],
  ['shutting-down', 503, 'Shutting down'],
];

errors('when a domain error is thrown, then its code decides the status and title, and its message is the detail', async (context) => {
  for (const [code, status, title] of DOMAIN) {
    const { status: got, headers, body } = await answer(context, thrown(new DomainError(code, `detail of ${code}`)));
    assert.is(got, status, code);
    assert.is(headers.get('content-type'), 'application/problem+json', code);
    assert.equal(body, { type: `/problems/${code}`, title, status, detail: `detail of ${code}`, requestId: 'req-1' }, code);
    assert.is(headers.get('www-authenticate'), code === 'unauthorized' ? 'Bearer realm="wav2mp3"' : null, code);
    assert.is(headers.get('retry-after'), null, code);
  }
  assert.equal(context.logged, []);
});

errors('when a domain error carries a retry time, fields, a property or facts, then they reach the client', async (context) => {
  const busy = await answer(context, thrown(new DomainError('service-busy', 'busy', { retryAfterSeconds: 7 })));
  assert.is(busy.headers.get('retry-after'), '7');
  const now = await answer(context, thrown(new DomainError('service-busy', 'busy', { retryAfterSeconds: 0 })));
  assert.is(now.headers.get('retry-after'), '0');
  const fields = [{ field: 'name', message: 'too long' }];
  const invalid = await answer(context, thrown(new DomainError('validation-failed', 'name: too long', { fields })));
  assert.equal(invalid.body?.errors, fields);
  assert.not.ok('property' in invalid.body!);
  const audio = await answer(context, thrown(new DomainError('invalid-audio', 'bad rate', { property: 'sampleRate' })));
  assert.is(audio.body?.property, 'sampleRate');
  assert.not.ok('errors' in audio.body!);
  const quota = await answer(context, thrown(new DomainError('storage-quota-exceeded', 'full', { facts: { usedBytes: 5, allowedBytes: 10 } })));
  assert.equal(quota.body, {
    type: '/problems/storage-quota-exceeded', title: 'Storage quota exceeded', status: 403, detail: 'full', usedBytes: 5, allowedBytes: 10, requestId: 'req-1',
  });
});

errors('when the database cannot be reached, then every such code is 503 database-unavailable with Retry-After 5', async (context) => {
  const codes = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', '57P01', '57P02', '57P03'];
  for (const code of codes) {
    const { status, headers, body } = await answer(context, thrown(Object.assign(new Error(`connect ${code} 10.0.0.1:5432`), { code })));
    assert.is(status, 503, code);
    assert.is(headers.get('retry-after'), '5', code);
    assert.equal(body, {
      type: '/problems/database-unavailable', title: 'Database unavailable', status: 503,
      detail: 'the database is not reachable right now; retry shortly', requestId: 'req-1',
    }, code);
  }
  assert.equal(context.logged, []);
});

errors('when another error has a code, or a thrown non-error has a database code, then it is an internal error', async (context) => {
  for (const error of [Object.assign(new Error('syntax error at or near'), { code: '42601' }), { code: 'ECONNREFUSED', message: 'x' }, new Error('no code')]) {
    const { status, headers, body } = await answer(context, thrown(error));
    assert.is(status, 500);
    assert.is(headers.get('retry-after'), null);
    assert.equal(body, {
      type: '/problems/internal-error', title: 'Internal server error', status: 500,
      detail: 'the server failed to handle this request; quote the requestId when reporting it', requestId: 'req-1',
    });
  }
  assert.is(context.logged.length, 3);
});

errors('when an error is not foreseen, then it is logged once with the request, and the client learns nothing of it', async (context) => {
  const error = new Error('SELECT secret FROM /var/lib/x');
  const { body } = await answer(context, thrown(error), 'DELETE', '/records/1');
  assert.not.match(JSON.stringify(body), /secret/);
  assert.equal(context.logged, [{ fields: { err: error, requestId: 'req-1', method: 'DELETE', path: '/records/1' }, message: 'unhandled error' }]);
});

errors('when the HTTP layer throws its own problem, then its status, slug, title, detail and headers are sent', async (context) => {
  const problem = new HttpProblem(413, 'upload-too-large', 'Upload too large', 'the upload exceeds 10 bytes', { 'Retry-After': '30', 'X-Limit': '10' });
  assert.is(problem.name, 'HttpProblem');
  assert.is(problem.message, 'the upload exceeds 10 bytes');
  const { status, headers, body } = await answer(context, thrown(problem));
  assert.is(status, 413);
  assert.is(headers.get('retry-after'), '30');
  assert.is(headers.get('x-limit'), '10');
  assert.equal(body, { type: '/problems/upload-too-large', title: 'Upload too large', status: 413, detail: 'the upload exceeds 10 bytes', requestId: 'req-1' });
  assert.equal(new HttpProblem(400, 's', 't', 'd').headers, {});
  assert.equal(context.logged, []);
});

errors('when Koa or its middleware throws a client error, then its status is kept and only an exposed message is shown', async (context) => {
  const cases: [Error, number, string, string][] = [
    [Object.assign(new Error('Unexpected token } in JSON'), { status: 400, expose: true }), 400, 'malformed-request', 'Unexpected token } in JSON'],
    [Object.assign(new Error('request entity too large'), { status: 413, expose: true }), 413, 'payload-too-large', 'request entity too large'],
    [Object.assign(new Error('unsupported charset'), { status: 415, expose: true }), 415, 'http-415', 'unsupported charset'],
    [Object.assign(new Error('at /srv/app/x.js'), { status: 400, expose: false }), 400, 'malformed-request', 'the request could not be processed'],
    [Object.assign(new Error('gone'), { status: 499, expose: true }), 499, 'http-499', 'gone'],
  ];
  for (const [error, status, slug, detail] of cases) {
    const got = await answer(context, thrown(error));
    assert.is(got.status, status, slug);
    assert.equal(got.body, { type: `/problems/${slug}`, title: detail, status, detail, requestId: 'req-1' }, slug);
  }
  assert.equal(context.logged, []);
});

errors('when an error looks like Koa\'s but is a server error, below 400, or not quite shaped so, then it is internal', async (context) => {
  const cases = [
    Object.assign(new Error('db exploded'), { status: 500, expose: true }),
    Object.assign(new Error('redirect'), { status: 399, expose: true }),
    Object.assign(new Error('string status'), { status: '400', expose: true }),
    Object.assign(new Error('no expose'), { status: 400 }),
    Object.assign(new Error('expose as text'), { status: 400, expose: 'true' }),
  ];
  for (const error of cases) {
    const got = await answer(context, thrown(error));
    assert.is(got.status, 500, error.message);
    assert.is(got.body?.type, '/problems/internal-error', error.message);
  }
  assert.is(context.logged.length, cases.length);
});

errors('when no route answers, or the method is not allowed or implemented, then the bare status gets a problem body', async (context) => {
  const none = await answer(context, () => {}, 'GET', '/nowhere');
  assert.is(none.status, 404);
  assert.is(none.headers.get('content-type'), 'application/problem+json');
  assert.equal(none.body, { type: '/problems/not-found', title: 'Not found', status: 404, detail: 'no route for GET /nowhere', requestId: 'req-1' });
  const method = await answer(context, (ctx) => {
    ctx.status = 405;
    ctx.set('Allow', 'GET, HEAD');
  }, 'PUT', '/user');
  assert.is(method.status, 405);
  assert.equal(method.body, {
    type: '/problems/method-not-allowed', title: 'Method not allowed', status: 405, detail: 'PUT is not allowed on /user; allowed: GET, HEAD', requestId: 'req-1',
  });
  const unknown = await answer(context, (ctx) => {
    ctx.status = 501;
  }, 'PATCH');
  assert.equal(unknown.body, { type: '/problems/not-implemented', title: 'Not implemented', status: 501, detail: 'PATCH is not implemented', requestId: 'req-1' });
});

errors('when a route sets such a status with a body of its own, or another status without one, then it is left alone', async (context) => {
  const own = await answer(context, (ctx) => {
    ctx.status = 404;
    ctx.body = { mine: true };
  });
  assert.is(own.status, 404);
  assert.equal(own.body, { mine: true });
  const teapot = await answer(context, (ctx) => {
    ctx.status = 418;
  });
  assert.is(teapot.status, 418);
  assert.is(teapot.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.is(teapot.text, "I'm a Teapot");
});

errors.run();
