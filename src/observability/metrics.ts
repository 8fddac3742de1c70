// Prometheus metrics (prom-client): HTTP, conversions, the worker pool, the database pool, and the process.
import client from 'prom-client';
import type { ConversionOutcomeListener } from '../domain/convert-upload.js';
import type { Server } from 'node:http';
import type { ConnectionEvents } from '../http/connection-limits.js';
import type { LingeringCloseEvents } from '../http/lingering-close.js';
import type { TransferRateEvents } from '../http/transfer-rate-guard.js';

export interface PoolGauges {
  stats(): { queued: number; running: number; threads: number };
  /** Conversions encoded in pieces on several threads so far. */
  splitConversions(): number;
}

export class ServiceMetrics {
  readonly registry = new client.Registry();
  readonly httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly conversionsStarted = new client.Counter({ name: 'conversions_started_total', help: 'Conversions started', registers: [this.registry] });
  readonly conversionsSucceeded = new client.Counter({ name: 'conversions_succeeded_total', help: 'Conversions stored', registers: [this.registry] });
  readonly conversionsFailed = new client.Counter({
    name: 'conversions_failed_total',
    help: 'Conversions that ended without a record, by reason (the problem type)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly conversionDuration = new client.Histogram({
    name: 'conversion_duration_seconds',
    help: 'Wall time of a conversion, from the worker pool to the commit',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });
  readonly conversionAudio = new client.Histogram({
    name: 'conversion_audio_seconds',
    help: 'Length of the converted recordings',
    buckets: [1, 10, 30, 60, 180, 600, 1800, 3600, 10800],
    registers: [this.registry],
  });

  readonly lingeringCloses = new client.Counter({
    name: 'http_lingering_closes_total',
    help: 'Connections answered before their request body was read, by how the lingering close ended',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly lingeringBytes = new client.Counter({
    name: 'http_lingering_discarded_bytes_total',
    help: 'Request body bytes read and discarded after an early answer',
    registers: [this.registry],
  });

  readonly connectionsRefused = new client.Counter({
    name: 'http_connections_refused_total',
    help: 'Connections over a cap: answered 503 (too-many-connections), 429 (too-many-connections-from-address), or dropped at accept',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly slowTransfers = new client.Counter({
    name: 'http_slow_transfers_dropped_total',
    help: 'Connections closed for sending a request body or taking a response below the minimum transfer rate',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });

  constructor(pool: PoolGauges, databaseConnectionsMax: number) {
    client.collectDefaultMetrics({ register: this.registry });
    new client.Gauge({
      name: 'conversion_queue_depth',
      help: 'Uploads waiting for a conversion thread',
      registers: [this.registry],
      collect() {
        this.set(pool.stats().queued);
      },
    });
    new client.Gauge({
      name: 'conversion_pool_utilization',
      help: 'Share of the conversion threads busy (0 to 1)',
      registers: [this.registry],
      collect() {
        const { running, threads } = pool.stats();
        this.set(threads ? running / threads : 0);
      },
    });
    new client.Counter({
      name: 'conversions_split_total',
      help: 'Conversions of long recordings encoded in pieces on several threads at once',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(pool.splitConversions());
      },
    });
    new client.Gauge({
      name: 'conversion_pool_threads',
      help: 'Conversion threads alive',
      registers: [this.registry],
      collect() {
        this.set(pool.stats().threads);
      },
    });
    // postgres.js does not report how many of its connections are open; the conversions in flight each hold one,
    // which conversions_started_total minus the ended ones shows.
    new client.Gauge({ name: 'database_pool_max_connections', help: 'PostgreSQL connections this process may open', registers: [this.registry] }).set(
      databaseConnectionsMax,
    );
  }

  /** What the HTTP server reports about its connections, as metrics. */
  serverListener(): LingeringCloseEvents & ConnectionEvents & TransferRateEvents {
    return {
      lingered: (outcome, bytes) => {
        this.lingeringCloses.inc({ outcome });
        this.lingeringBytes.inc(bytes);
      },
      refused: (reason) => this.connectionsRefused.inc({ reason }),
      dropped: (direction) => this.slowTransfers.inc({ direction }),
    };
  }

  /** Bytes reserved in the upload spool against its cap. */
  observeSpool(budget: { reservedBytes: number }, maxBytes: number): void {
    new client.Gauge({
      name: 'upload_spool_reserved_bytes',
      help: 'Bytes reserved in the upload spool by uploads in progress',
      registers: [this.registry],
      collect() {
        this.set(budget.reservedBytes);
      },
    });
    new client.Gauge({ name: 'upload_spool_max_bytes', help: 'MAX_SPOOL_BYTES', registers: [this.registry] }).set(maxBytes);
  }

  /** Download pieces read from PostgreSQL and pieces served to a download from one another download already read. */
  observeDownloadReads(reads: { stats: { reads: number; shared: number } }): void {
    for (const [name, help, key] of [
      ['download_pieces_read_total', 'Pieces of MP3 (up to 64 KiB) read from the database for downloads', 'reads'],
      ['download_pieces_shared_total', 'Pieces served to a download without a read, because another download of the record read them', 'shared'],
    ] as const) {
      new client.Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(reads.stats[key]);
        },
      });
    }
  }

  /** Open connections of `server` against the cap it serves. */
  observeServer(server: Server, maxConnections: number): void {
    new client.Gauge({
      name: 'http_open_connections',
      help: 'Connections open now, refused ones included',
      registers: [this.registry],
      async collect() {
        this.set(await new Promise<number>((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count))));
      },
    });
    new client.Gauge({ name: 'http_max_connections', help: 'Connections served at once (MAX_CONNECTIONS within the descriptor limit)', registers: [this.registry] }).set(
      maxConnections,
    );
  }

  /** What the upload use case reports, as metrics. */
  conversionListener(): ConversionOutcomeListener {
    return {
      started: () => this.conversionsStarted.inc(),
      succeeded: ({ audioSeconds, wallSeconds }) => {
        this.conversionsSucceeded.inc();
        this.conversionDuration.observe(wallSeconds);
        this.conversionAudio.observe(audioSeconds);
      },
      failed: ({ reason }) => this.conversionsFailed.inc({ reason }),
    };
  }
}
