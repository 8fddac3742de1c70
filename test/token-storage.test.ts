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
    let dump = '';
    for (const { name } of tables) {
      const rows = await service.sql.unsafe(`select row_to_json(t)::text as row from ${name} t`);
      dump += rows.map((r) => String(r.row)).join('\n');
    }
    const hex = user.token.replaceAll('-', '');
    for (const needle of [user.token, hex, user.token.toUpperCase(), hex.toUpperCase()]) {
      assert.not.ok(dump.includes(needle), `found ${needle} in the database`);
    }
    // The users row is there, with a 32-byte hash instead.
    const [row] = await service.sql<{ length: number }[]>`select octet_length(token_sha256) as length from users where id = ${user.id}`;
    assert.is(row!.length, 32);
  } finally {
    await service.close();
  }
});

test.run();
