import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { createUser } from './support/api-client.js';
import { startTestService } from './support/test-service.js';

test('when a user is created, then neither the token text nor its 16 bytes appear anywhere in the database', async () => {
  const service = await startTestService();
  try {
    const user = await createUser(service.url, 'secretive');
    const tables = await service.sql<{ name: string }[]>`
      select quote_ident(table_schema) || '.' || quote_ident(table_name) as name
      from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`;
    assert.ok(tables.some((t) => t.name === 'public.users'));
    // Every row of every table as text (bytea as hex), searched by the database itself: the shared test database
    // holds hundreds of megabytes of MP3 chunks, more than one string in this process may.
    const hex = user.token.replaceAll('-', '');
    for (const { name } of tables) {
      for (const needle of [user.token, hex]) {
        const [found] = await service.sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${name} t where strpos(lower(row_to_json(t)::text), $1) > 0`, [
          needle.toLowerCase(),
        ]);
        assert.is(found!.n, 0, `found ${needle} in ${name}`);
      }
    }
    // The users row is there, with a 32-byte hash instead.
    const [row] = await service.sql<{ length: number }[]>`select octet_length(token_sha256) as length from users where id = ${user.id}`;
    assert.is(row!.length, 32);
  } finally {
    await service.close();
  }
});

test.run();
