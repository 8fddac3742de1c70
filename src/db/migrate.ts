// Applies the numbered files of sql/ that the database has not seen, all in one transaction, under an
// advisory lock so that several replicas starting together apply each file exactly once.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Sql } from './connect.js';

// Compiled, this file is dist/src/db/migrate.js; the migrations stay at the package root.
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../sql/', import.meta.url));

// Any constant works as long as no other program on the same database picks it.
const MIGRATION_LOCK_KEY = 7_340_112_001;

export interface Migration {
  version: number;
  name: string;
  text: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_[\w-]+\.sql$/.test(f)).sort();
  const migrations = await Promise.all(
    files.map(async (file) => ({
      version: Number.parseInt(file, 10),
      name: file,
      text: await readFile(new URL(file, `file://${dir}`), 'utf8'),
    })),
  );
  const versions = new Set(migrations.map((m) => m.version));
  if (versions.size !== migrations.length) throw new Error(`two migrations share a number in ${dir}`);
  return migrations;
}

/** Returns the names of the migrations it applied. */
export async function migrate(sql: Sql, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations());
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await tx`
      create table if not exists schema_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`;
    const done = new Set((await tx<{ version: number }[]>`select version from schema_migrations`).map((r) => r.version));
    const applied: string[] = [];
    for (const m of all.filter((m) => !done.has(m.version))) {
      await tx.unsafe(m.text);
      await tx`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`;
      applied.push(m.name);
    }
    return applied;
  });
}
