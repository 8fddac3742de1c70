// The service assembled in-process for a test: the real app factory, real worker threads and the real database
// named by DATABASE_URL (npm test provides one), listening on an ephemeral port.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type Koa from 'koa';
import postgres from 'postgres';
import { ConversionPool } from '../../src/audio/conversion-pool.js';
import type { EncoderName } from '../../src/audio/mp3-encoder.js';
import type { Sql } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { UserConversionSlots } from '../../src/domain/user-conversion-slots.js';
import { httpServerLimits, loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { SpoolBudget } from '../../src/http/spool-budget.js';
import type { LingeringCloseLimits } from '../../src/http/lingering-close.js';
import type { Lifecycle } from '../../src/http/routes/health.js';
import { createLogger } from '../../src/log.js';

export interface TestService {
  url: string;
  app: Koa;
  pool: ConversionPool;
  lifecycle: Lifecycle;
  sql: Sql;
  spoolDir: string;
  /** The spool's byte budget, to see what an upload reserved. */
  spoolBudget: SpoolBudget;
  spooledFiles(): Promise<string[]>;
  /** How each lingering close so far ended, and the bytes it discarded. */
  lingered: { outcome: string; bytes: number }[];
  /** Connections closed for moving too slowly, by direction, in order. */
  slowDrops: ('request' | 'response')[];
  close(): Promise<void>;
}

export interface TestServiceOptions {
  encoder?: EncoderName;
  threads?: number;
  maxQueue?: number;
  maxUploadBytes?: number;
  maxAudioSeconds?: number;
  maxConversionsPerUser?: number;
  maxNameLength?: number;
  /** 0 (no limit) unless given. */
  maxStorageBytesPerUser?: number;
  /** 0 (no limit) unless given: the suite creates hundreds of users from 127.0.0.1. */
  maxSignupsPerHour?: number;
  taskTimeoutMs?: number;
  publicUrl?: string;
  trustedProxies?: string[];
  lingering?: Partial<LingeringCloseLimits>;
  maxSpoolBytes?: number;
  minFreeDiskBytes?: number;
  /** Recordings at least this long are split across idle threads (0: never); the service's default otherwise. */
  splitMinSeconds?: number;
  /** Settings of the HTTP server's limits, as environment variables (MAX_CONNECTIONS, SLOW_TRANSFER_WINDOW_MS, …). */
  serverSettings?: Record<string, string>;
}

export function testDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run the tests with `npm test`');
  return url;
}

export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const sql = postgres(testDatabaseUrl(), { max: 10, onnotice: () => {} });
  await migrate(sql);
  const pool = await ConversionPool.start({
    threads: options.threads ?? 2,
    maxQueue: options.maxQueue ?? 8,
    taskTimeoutMs: options.taskTimeoutMs ?? 120_000,
    // As the service runs by default (config.ts).
    splitMinSeconds: options.splitMinSeconds ?? 180,
  });
  const spoolDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-test-spool-'));
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const lifecycle: Lifecycle = { draining: false };
  const spoolBudget = new SpoolBudget({
    dir: spoolDir,
    maxBytes: options.maxSpoolBytes ?? 8 * 1024 ** 3,
    minFreeBytes: options.minFreeDiskBytes ?? 0,
  });
  const app = buildApp({
    lifecycle,
    conversionSlots: new UserConversionSlots(options.maxConversionsPerUser ?? 2),
    sql,
    databaseConnections: 10,
    pool,
    log,
    encoder: options.encoder ?? 'wasm',
    spoolDir,
    spoolBudget,
    maxUploadBytes: options.maxUploadBytes ?? 1024 ** 3,
    maxAudioSeconds: options.maxAudioSeconds ?? 3 * 3600,
    maxNameLength: options.maxNameLength ?? 100,
    maxStorageBytesPerUser: options.maxStorageBytesPerUser ?? 0,
    maxSignupsPerHour: options.maxSignupsPerHour ?? 0,
    publicUrl: options.publicUrl,
    trustedProxies: options.trustedProxies ?? [],
    logRequests: false,
  });
  // The server main.ts runs: its 100-continue handling and lingering close are part of what the tests check.
  const lingered: TestService['lingered'] = [];
  const slowDrops: TestService['slowDrops'] = [];
  const limits = httpServerLimits(
    loadConfig({
      MAX_UPLOAD_BYTES: String(options.maxUploadBytes ?? 1024 ** 3),
      // Every test client is 127.0.0.1, and some open hundreds of connections at once on purpose; the per-address cap
      // is tested on its own (connection-limits.test.ts).
      MAX_CONNECTIONS_PER_ADDRESS: '0',
      ...options.serverSettings,
    }),
  );
  const server = createHttpServer(app, {
    ...limits,
    lingering: { ...limits.lingering, ...options.lingering },
    events: { lingered: (outcome, bytes) => lingered.push({ outcome, bytes }), refused: () => {}, dropped: (direction) => slowDrops.push(direction) },
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    pool,
    lifecycle,
    sql,
    spoolDir,
    spoolBudget,
    spooledFiles: () => readdir(spoolDir),
    lingered,
    slowDrops,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.close();
      await sql.end({ timeout: 5 });
      await rm(spoolDir, { recursive: true, force: true });
    },
  };
}
