// A user's library: listing with keyset pagination, and deletion that really removes the MP3.
import { suite } from './support/suite.js';
import * as assert from 'uvu/assert';
import { sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, uploadOk, type CreatedUser, type RecordView } from './support/api-client.js';
import { startTestService, type TestService } from './support/test-service.js';

interface Context {
  service: TestService;
  owner: CreatedUser;
  stranger: CreatedUser;
  uploaded: RecordView[];
}
const library = suite<Context>('GET /records and DELETE /record', {} as Context);

library.before(async (context) => {
  context.service = await startTestService();
  context.owner = await createUser(context.service.url, 'owner');
  context.stranger = await createUser(context.service.url, 'stranger');
  const wav = encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 0.3, 8000)]);
  context.uploaded = [];
  for (let i = 0; i < 5; i++) {
    context.uploaded.push(await uploadOk(context.service.url, wav, { user: context.owner.id, token: context.owner.token, fileName: `take-${i}.wav` }));
  }
  await uploadOk(context.service.url, wav, { user: context.stranger.id, token: context.stranger.token, fileName: 'theirs.wav' });
});
library.after(async ({ service }) => service.close());

/** token null: send no Authorization header. */
const list = (c: Context, query: string, token: string | null = c.owner.token) =>
  fetch(`${c.service.url}/records?${query}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

interface Page {
  records: RecordView[];
  nextCursor: string | null;
}

library('when the owner lists with a page size, then pages come newest first and end with a null cursor', async (context) => {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const response = await list(context, `user=${context.owner.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.is(response.status, 200);
    const page = (await response.json()) as Page;
    seen.push(...page.records.map((r) => r.name));
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  assert.is(pages, 3);
  assert.equal(seen, ['take-4.wav', 'take-3.wav', 'take-2.wav', 'take-1.wav', 'take-0.wav']);
});

library('when listed, then each record carries its metadata and download url, in an answer no shared cache keeps', async (context) => {
  const response = await list(context, `user=${context.owner.id}&limit=1`);
  // A user's library changes with every upload and is theirs alone: a proxy must not store it, a browser must ask again.
  assert.is(response.headers.get('cache-control'), 'private, no-cache');
  const page = (await response.json()) as Page;
  const [newest] = page.records;
  assert.is(newest!.url, context.uploaded[4]!.url);
  assert.is(newest!.input.sampleRate, 8000);
  assert.ok(newest!.output.bytes > 0);
});

library('when the token is missing or another user\'s, then 401 and no records', async (context) => {
  for (const token of [null, context.stranger.token, 'not-a-token']) {
    const response = await list(context, `user=${context.owner.id}`, token);
    assert.is(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.not.match(await response.text(), /take-/);
  }
});

library('when limit or cursor are invalid, then 422 naming them', async (context) => {
  for (const [query, field] of [['limit=0', 'limit'], ['limit=101', 'limit'], ['cursor=garbage', 'cursor']]) {
    const response = await list(context, `user=${context.owner.id}&${query}`);
    assert.is(response.status, 422, query);
    const problem = (await response.json()) as { errors: { field: string }[] };
    assert.equal(problem.errors.map((e) => e.field), [field]);
  }
});

const remove = (c: Context, id: string, user: string, token: string | undefined) =>
  fetch(`${c.service.url}/record?id=${id}&user=${user}`, { method: 'DELETE', headers: token ? { Authorization: `Bearer ${token}` } : {} });

library('when a stranger tries to delete, then 401 or 404 and the record stays', async (context) => {
  const target = context.uploaded[0]!;
  assert.is((await remove(context, target.id, context.owner.id, context.stranger.token)).status, 401);
  assert.is((await remove(context, target.id, context.owner.id, undefined)).status, 401);
  assert.is((await remove(context, target.id, context.stranger.id, context.stranger.token)).status, 404);
  assert.is((await fetch(target.url, { method: 'HEAD' })).status, 200);
});

library('when the owner deletes a record, then 204, the download is 404 and its bytes are gone from the database', async (context) => {
  const target = context.uploaded[1]!;
  const response = await remove(context, target.id, context.owner.id, context.owner.token);
  assert.is(response.status, 204);
  assert.is((await fetch(target.url)).status, 404);
  const [rows] = await context.service.sql<{ records: number; chunks: number }[]>`
    select (select count(*)::int from records where id = ${target.id}) as records,
           (select count(*)::int from record_chunks where record_id = ${target.id}) as chunks`;
  assert.equal(rows, { records: 0, chunks: 0 });
  assert.is((await remove(context, target.id, context.owner.id, context.owner.token)).status, 404);
});

library.run();
