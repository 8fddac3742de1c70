// Opens the postgres.js client: on DATABASE_URL when given, else on an embedded server started here.
import postgres from 'postgres';
import type { Logger } from '../log.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.js';

export type Sql = postgres.Sql;
/** Inside `sql.begin`: query functions that may run in a transaction take this. */
export type TransactionSql = postgres.TransactionSql;

export interface Database {
  sql: Sql;
  /** True when this process started the server itself. */
  embedded: boolean;
  close(timeoutSeconds?: number): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  poolMax: number;
  log: Logger;
}

export async function openDatabase({ databaseUrl, dataDir, poolMax, log }: DatabaseOptions): Promise<Database> {
  let server: EmbeddedPostgres | undefined;
  if (!databaseUrl) server = await startEmbeddedPostgres(dataDir, log);
  const sql = postgres(databaseUrl ?? server!.url, {
    max: poolMax,
    // Migrations and server chatter are not worth a log line each.
    onnotice: () => {},
    // ISO dates whatever the server's default: the page cursors of GET /records carry created_at as PostgreSQL prints
    // it, and are checked against that format when they come back (domain/record-cursor.ts).
    connection: { application_name: 'wav2mp3', DateStyle: 'ISO, MDY' },
  });
  return {
    sql,
    embedded: server !== undefined,
    async close(timeoutSeconds = 5) {
      await sql.end({ timeout: timeoutSeconds });
      await server?.stop();
    },
  };
}
