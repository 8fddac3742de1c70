// Composition root: config → database → migrations → worker pool → HTTP server, and the one shutdown routine.
import type { AddressInfo } from 'node:net';
import { ConversionPool } from './audio/conversion-pool.js';
import { enableWasmInlining } from './audio/wasm-inlining.js';
import { ConfigError, httpServerLimits, loadConfig, loadDotEnv } from './config.js';
import { openDatabase } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { UserConversionSlots } from './domain/user-conversion-slots.js';
import { buildApp } from './http/app.js';
import { connectionsWithinLimit, openFileLimit } from './http/descriptor-limit.js';
import { createHttpServer } from './http/http-server.js';
import { SpoolBudget } from './http/spool-budget.js';
import { createLogger } from './log.js';
import { allOf, conversionLog } from './observability/conversion-log.js';
import { ServiceMetrics } from './observability/metrics.js';
import { prepareUploadSpool } from './upload-spool.js';

async function main(): Promise<void> {
  // Before the conversion pool compiles the encoder.
  const wasmInlining = enableWasmInlining() ? 'turned on at start-up' : "V8's default";
  loadDotEnv();
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const spoolDir = await prepareUploadSpool(config.spoolDir);

  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    poolMax: config.DATABASE_POOL_MAX,
    log,
  });
  const applied = await migrate(database.sql);
  if (applied.length) log.info({ applied }, 'migrations applied');

  const pool = await ConversionPool.start({
    threads: config.WORKER_THREADS,
    maxQueue: config.CONVERSION_QUEUE_MAX,
    taskTimeoutMs: config.CONVERSION_TIMEOUT_MS,
    splitMinSeconds: config.SPLIT_MIN_SECONDS,
  });

  const lifecycle = { draining: false };
  const spoolBudget = new SpoolBudget({ dir: spoolDir, maxBytes: config.MAX_SPOOL_BYTES, minFreeBytes: config.MIN_FREE_DISK_BYTES });
  const metrics = new ServiceMetrics({ stats: () => pool.stats, splitConversions: () => pool.splitConversions }, config.DATABASE_POOL_MAX);
  metrics.observeSpool(spoolBudget, config.MAX_SPOOL_BYTES);
  const app = buildApp({
    lifecycle,
    conversionSlots: new UserConversionSlots(config.MAX_CONVERSIONS_PER_USER),
    metrics,
    metricsToken: config.METRICS_TOKEN,
    conversionEvents: allOf(metrics.conversionListener(), conversionLog(log)),
    sql: database.sql,
    databaseConnections: config.DATABASE_POOL_MAX,
    pool,
    log,
    encoder: config.ENCODER,
    spoolDir,
    spoolBudget,
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    maxAudioSeconds: config.MAX_AUDIO_SECONDS,
    maxNameLength: config.MAX_NAME_LENGTH,
    maxStorageBytesPerUser: config.MAX_STORAGE_BYTES_PER_USER,
    maxSignupsPerHour: config.MAX_SIGNUPS_PER_IP_PER_HOUR,
    publicUrl: config.PUBLIC_URL,
    trustedProxies: config.TRUSTED_PROXIES,
    logRequests: config.LOG_REQUESTS,
  });
  const limits = httpServerLimits(config);
  const maxConnections = connectionsWithinLimit(config.MAX_CONNECTIONS);
  if (maxConnections < config.MAX_CONNECTIONS) {
    log.warn(
      { MAX_CONNECTIONS: config.MAX_CONNECTIONS, openFileLimit: openFileLimit(), serving: maxConnections },
      'MAX_CONNECTIONS lowered to fit the open-file limit; raise the limit (ulimit -n, the container\'s nofile) to serve more',
    );
  }
  const server = createHttpServer(app, {
    ...limits,
    connections: { ...limits.connections, maxConnections },
    events: metrics.serverListener(),
  });
  metrics.observeServer(server, maxConnections);
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    lifecycle.draining = true;
    log.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      log.error('shutdown grace period over: exiting with work unfinished');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS + 5_000).unref();
    // Stop accepting; let in-flight requests finish, then drop idle keep-alive connections.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const graceOver = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_GRACE_MS).unref();
    await closed;
    clearTimeout(graceOver);
    await pool.close();
    await database.close(5);
    clearTimeout(forced);
    log.info('stopped');
  };
  // Before the server listens and says so: a signal sent as soon as "listening" is logged (an orchestrator, a test)
  // must meet these handlers, not Node's default, which ends the process at once.
  process.on('SIGTERM', (s) => void shutdown(s));
  process.on('SIGINT', (s) => void shutdown(s));

  server.listen({ port: config.PORT, host: config.HOST, backlog: config.LISTEN_BACKLOG });
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  log.info(
    { port, host: config.HOST, database: database.embedded ? 'embedded' : 'external', encoder: config.ENCODER, threads: config.WORKER_THREADS, wasmInlining },
    `listening on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`,
  );
}

main().catch((error: unknown) => {
  const log = createLogger();
  if (error instanceof ConfigError) log.fatal(error.message);
  else log.fatal({ err: error }, 'start-up failed');
  process.exitCode = 1;
  // The embedded database, if it started, is stopped by its exit hook.
  setTimeout(() => process.exit(1), 100).unref();
});
