import { suite } from './support/suite.js';
import * as assert from 'uvu/assert';
import { startTestService, type TestService } from './support/test-service.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const users = suite<{ service: TestService }>('POST /user', {} as { service: TestService });

users.before(async (context) => {
  context.service = await startTestService();
});
users.after(async ({ service }) => service.close());

const postUser = (service: TestService, body: string, contentType = 'application/json') =>
  fetch(`${service.url}/user`, { method: 'POST', headers: { 'Content-Type': contentType }, body });

users('when a name is given, then 201 with a UUID id and a UUID v4 token', async ({ service }) => {
  const response = await postUser(service, JSON.stringify({ name: 'Ann' }));
  assert.is(response.status, 201);
  const body = (await response.json()) as { id: string; token: string; name: string };
  assert.match(body.id, UUID_V4);
  assert.match(body.token, UUID_V4);
  assert.is(body.name, 'Ann');
});

users('when two users share a name, then each gets its own id and token', async ({ service }) => {
  const [a, b] = await Promise.all(
    [1, 2].map(async () => (await (await postUser(service, JSON.stringify({ name: 'Same' }))).json()) as { id: string; token: string }),
  );
  assert.is.not(a!.id, b!.id);
  assert.is.not(a!.token, b!.token);
});

users('when the name is empty or blank, then 422 problem naming the field', async ({ service }) => {
  for (const name of ['', '   ']) {
    const response = await postUser(service, JSON.stringify({ name }));
    assert.is(response.status, 422);
    assert.is(response.headers.get('content-type'), 'application/problem+json');
    const problem = (await response.json()) as { type: string; errors: { field: string }[] };
    assert.is(problem.type, '/problems/validation-failed');
    assert.equal(problem.errors.map((e) => e.field), ['name']);
  }
});

users('when the name is longer than the limit, then 422', async ({ service }) => {
  const response = await postUser(service, JSON.stringify({ name: 'x'.repeat(101) }));
  assert.is(response.status, 422);
});

users('when the body is not JSON, then 400; when it is not declared JSON, then 415', async ({ service }) => {
  const broken = await postUser(service, '{"name": ');
  assert.is(broken.status, 400);
  assert.is((await broken.json() as { type: string }).type, '/problems/malformed-json');
  const form = await postUser(service, 'name=Ann', 'application/x-www-form-urlencoded');
  assert.is(form.status, 415);
});

users('when a name has non-ASCII characters, then it is stored and echoed as given', async ({ service }) => {
  const name = 'Zoë «ёжик» 🎧';
  const response = await postUser(service, JSON.stringify({ name }));
  const body = (await response.json()) as { id: string; name: string };
  assert.is(body.name, name);
  const [row] = await service.sql<{ name: string }[]>`select name from users where id = ${body.id}`;
  assert.is(row!.name, name);
});

users('when a user asks for its profile with its token, then 200 with the name; with another token, then 401', async ({ service }) => {
  const created = (await (await postUser(service, JSON.stringify({ name: 'Returning' }))).json()) as { id: string; token: string };
  const other = (await (await postUser(service, JSON.stringify({ name: 'Other' }))).json()) as { id: string; token: string };
  const mine = await fetch(`${service.url}/user?id=${created.id}`, { headers: { Authorization: `Bearer ${created.token}` } });
  assert.is(mine.status, 200);
  const profile = (await mine.json()) as { id: string; name: string; token?: string };
  assert.equal({ id: profile.id, name: profile.name, token: profile.token }, { id: created.id, name: 'Returning', token: undefined });
  const wrongHeaders: Record<string, string>[] = [{ Authorization: `Bearer ${other.token}` }, {}];
  for (const headers of wrongHeaders) {
    const response = await fetch(`${service.url}/user?id=${created.id}`, { headers });
    assert.is(response.status, 401);
  }
});

users.run();
