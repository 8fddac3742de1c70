// Migrations on an empty database, applied by several replicas starting at the same moment: each file runs once.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { migrate, readMigrations } from '../src/db/migrate.js';
import { testDatabaseUrl } from './support/test-service.js';

test('when three replicas migrate an empty database at once, then every migration is applied exactly once', async () => {
  const admin = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {} });
  const name = `wav2mp3_migrate_${randomBytes(4).toString('hex')}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  const replicas = [1, 2, 3].map(() => postgres(url.toString(), { max: 1, onnotice: () => {} }));
  try {
    const applied = await Promise.all(replicas.map((sql) => migrate(sql)));
    const expected = (await readMigrations()).map((m) => m.name);
    // One replica applied them all; the others, after waiting on the lock, found nothing to do.
    assert.equal(applied.map((a) => a.length).sort(), [0, 0, expected.length]);
    const rows = await replicas[0]!<{ name: string }[]>`select name from schema_migrations order by version`;
    assert.equal(rows.map((r) => r.name), expected);
    assert.equal(await migrate(replicas[0]!), [], 'a later start applies nothing');
  } finally {
    await Promise.all(replicas.map((sql) => sql.end()));
    await admin.unsafe(`drop database ${name}`);
    await admin.end();
  }
});

test.run();
