// Every setting the service reads from the environment, validated once at start-up.
// Units are in the names; the comment beside each says why it exists.
import os from 'node:os';
import path from 'node:path';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A comma-separated list of proxy addresses: IPs, CIDR ranges, or proxy-addr's names (loopback, uniquelocal, …). */
const proxyList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .superRefine((list, ctx) => {
    try {
      proxyaddr.compile(list);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `${(error as Error).message}; use IPs, CIDR ranges, loopback, linklocal or uniquelocal` });
    }
  });
const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

const ConfigSchema = z.object({
  // Where the HTTP server listens; 0 picks a free port (tests, several instances on one host).
  PORT: integer(0, 65535).default(8000),
  HOST: z.string().min(1).default('0.0.0.0'),
  // An external PostgreSQL server. Unset: an embedded PostgreSQL is started in DATA_DIR.
  DATABASE_URL: z.string().url().optional(),
  // Holds the embedded cluster and the upload spool; must survive restarts for the embedded database.
  DATA_DIR: z.string().min(1).default('./data'),
  // Base of download links when the service sits behind a proxy that rewrites Host; else taken from the request.
  PUBLIC_URL: z.string().url().optional(),
  // Peers whose X-Forwarded-Proto/-Host are believed (the reverse proxy in front); empty believes no one, so a
  // client talking to the service directly cannot choose the host its download links name.
  TRUSTED_PROXIES: proxyList.default([]),
  // Which LAME build encodes: the WebAssembly one (reference quality) or the pure-JS port.
  ENCODER: z.enum(['wasm', 'lamejs']).default('wasm'),
  // Conversion threads; each converts one upload at a time. Defaults to the cores available.
  WORKER_THREADS: integer(1, 256).default(Math.max(1, os.availableParallelism())),
  // A recording at least this long is encoded in one-minute pieces as its upload arrives, on every thread free for
  // them, and joined seamlessly (docs/SPLIT-ENCODE.md). 0: every recording on one thread, once it has all arrived.
  SPLIT_MIN_SECONDS: integer(0, 7 * 24 * 3600).default(180),
  // Uploads waiting for a thread before new ones are refused with 503 (a bounded queue, not a pile-up).
  CONVERSION_QUEUE_MAX: integer(0, 10_000).default(8),
  // Conversions one user may have in flight at once (429 beyond), so one client cannot starve the others.
  MAX_CONVERSIONS_PER_USER: integer(1, 1_000).default(2),
  // A conversion running longer than this is abandoned and its worker replaced.
  CONVERSION_TIMEOUT_MS: integer(1_000, 24 * 3_600_000).default(15 * 60_000),
  // Largest accepted upload; 1 GiB holds ~100 minutes of 44.1 kHz stereo 16-bit audio.
  MAX_UPLOAD_BYTES: integer(1_024, Number.MAX_SAFE_INTEGER).default(1024 ** 3),
  // Longest recording accepted; 3 hours covers a long interview and bounds a single task's work.
  MAX_AUDIO_SECONDS: integer(1, 7 * 24 * 3600).default(3 * 3600),
  // Time a client gets to send a whole request. Slow senders are dropped by the minimum transfer rate below, so this
  // only bounds one upload's hold; 2 hours lets a 1 GiB upload arrive over a 2 Mbit/s line (72 minutes).
  REQUEST_TIMEOUT_MS: integer(1_000, 24 * 3_600_000).default(2 * 3_600_000),
  // A request body or a response that moves fewer bytes per second than this, over a whole SLOW_TRANSFER_WINDOW_MS,
  // while the server waits on the client, is dropped: a trickled upload or a download nobody reads holds a socket,
  // a spool file or buffered audio. 1 KiB/s is far below any working link (a 2G modem does 5 KiB/s). 0: no minimum.
  MIN_TRANSFER_BYTES_PER_SECOND: integer(0, 1024 ** 3).default(1024),
  SLOW_TRANSFER_WINDOW_MS: integer(1_000, 3_600_000).default(30_000),
  // Connections served at once; more are answered 503 and closed. Each costs a descriptor (two while it uploads) and
  // some memory; see effectiveMaxConnections for the descriptor limit.
  MAX_CONNECTIONS: integer(1, 1_000_000).default(4096),
  // Connections the kernel queues before the service accepts them. Node's default (511) overflows when a burst of
  // connections meets a busy event loop, and the overflow is dropped silently; the kernel caps it at somaxconn.
  LISTEN_BACKLOG: integer(1, 65_535).default(4096),
  // Connections one client address (an IPv6 /64) may hold at once; more are answered 429. Browsers open 6 per host;
  // an office behind one NAT address a few dozen. TRUSTED_PROXIES are exempt (they carry many clients). 0: no cap.
  MAX_CONNECTIONS_PER_ADDRESS: integer(0, 1_000_000).default(128),
  // Bytes all uploads in progress may hold in the spool at once; an upload that would pass it gets 503. Reserved from
  // the declared Content-Length when the request starts, so the refusal comes before the body is read.
  MAX_SPOOL_BYTES: integer(1_024, Number.MAX_SAFE_INTEGER).default(8 * 1024 ** 3),
  // Free space the spool must leave on its file system (shared with the embedded database in DATA_DIR): an upload
  // that would leave less gets 503, so a flood of uploads cannot fill the disk PostgreSQL writes to.
  MIN_FREE_DISK_BYTES: integer(0, Number.MAX_SAFE_INTEGER).default(1024 ** 3),
  // An upload refused before its body was read is answered at once, then the rest of its body is read and discarded
  // (a lingering close) so that a client still sending receives the answer instead of a reset; it ends when the
  // client sends nothing for this long (see lingeringLimits for the other bounds).
  LINGERING_IDLE_MS: integer(0, 600_000).default(5_000),
  // Largest request head; cookies and tokens fit easily, header floods do not.
  MAX_HEADER_BYTES: integer(1_024, 1024 * 1024).default(16 * 1024),
  // Longest user name; names are free text shown back to the user.
  MAX_NAME_LENGTH: integer(1, 10_000).default(100),
  // MP3 bytes one user may keep stored; an upload that would pass it is refused (403 storage-quota-exceeded), from
  // the WAV header when the bitrate says the size, and always at commit. 1 GiB is ~17 hours at 128 kbps. 0: no limit.
  MAX_STORAGE_BYTES_PER_USER: integer(0, Number.MAX_SAFE_INTEGER).default(1024 ** 3),
  // Users one client address may create per hour (429 with Retry-After beyond), counted in PostgreSQL so that every
  // replica shares the count. A person needs one; an office behind one NAT address a few. 0: no limit.
  MAX_SIGNUPS_PER_IP_PER_HOUR: integer(0, 1_000_000).default(20),
  // Connections to PostgreSQL; each running conversion holds one while it streams its MP3 in.
  DATABASE_POOL_MAX: integer(1, 1_000).default(10),
  // Time given to in-flight requests on SIGTERM before the process closes anyway.
  SHUTDOWN_GRACE_MS: integer(0, 600_000).default(25_000),
  // Opens GET /metrics behind this Bearer token; unset, /metrics answers 404, since metrics tell strangers how busy
  // the service is and which errors it gives.
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  // pino level: fatal, error, warn, info, debug, trace or silent.
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Silences the per-request access log (tests, or when a proxy logs requests already).
  LOG_REQUESTS: flag.default(true),
});

export type Config = z.infer<typeof ConfigSchema> & {
  /** DATA_DIR made absolute. */
  dataDir: string;
  /** Where uploads are spooled while they convert, one folder per process (see upload-spool.ts). */
  spoolDir: string;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Adds the settings of `.env` in the working directory, if there is one, to the environment; variables already set
 * win. Lets `npm start` use the same file docker compose reads.
 */
export function loadDotEnv(file = '.env'): void {
  try {
    process.loadEnvFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`cannot read ${file}: ${String(error)}`);
  }
}

/** Reads and validates the environment. Throws ConfigError naming every bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", as `.env` files and compose interpolation produce them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const dataDir = path.resolve(parsed.data.DATA_DIR);
  return { ...parsed.data, dataDir, spoolDir: path.join(dataDir, 'spool') };
}

/**
 * The limits of the HTTP server (http/http-server.ts). A lingering close lasts at most as long as an accepted upload
 * may take, and reads at most twice the largest upload, so that a client overshooting the limit (a 1.5 GiB file
 * against 1 GiB) still reads its 413.
 */
export function httpServerLimits(config: Config) {
  return {
    maxHeaderBytes: config.MAX_HEADER_BYTES,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    lingering: { totalMs: config.REQUEST_TIMEOUT_MS, idleMs: config.LINGERING_IDLE_MS, maxBytes: 2 * config.MAX_UPLOAD_BYTES },
    connections: {
      maxConnections: config.MAX_CONNECTIONS,
      maxPerAddress: config.MAX_CONNECTIONS_PER_ADDRESS,
      trustedProxies: config.TRUSTED_PROXIES,
    },
    transferRate: { minBytesPerSecond: config.MIN_TRANSFER_BYTES_PER_SECOND, windowMs: config.SLOW_TRANSFER_WINDOW_MS },
  };
}
