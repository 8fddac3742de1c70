// The worker_threads pool that runs conversions off the event loop, with a bounded queue, a time limit per
// task, and MP3 chunks streamed back with flow control.
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { AudioError } from './audio-error.js';
import type { ConversionOptions, ConversionSummary, Mp3Sink } from './convert-wav.js';
import { compileLameWasm } from './wasm-lame-encoder.js';
import type { AckMessage, ConversionOutcome, ConversionTask, Mp3ChunkMessage, WorkerData } from './worker-messages.js';

export interface ConversionPoolOptions {
  threads: number;
  /** Tasks that may wait for a thread; more are refused with ConversionPoolBusyError. */
  maxQueue: number;
  taskTimeoutMs: number;
}

/** Every thread is busy and the queue is full: come back later. */
export class ConversionPoolBusyError extends Error {
  override name = 'ConversionPoolBusyError';
}
/** The task ran past its time limit; its worker was replaced. */
export class ConversionTimeoutError extends Error {
  override name = 'ConversionTimeoutError';
}

export class ConversionPool {
  readonly #piscina: Piscina<ConversionTask, ConversionOutcome>;
  readonly #options: ConversionPoolOptions;
  #inFlight = 0;

  private constructor(piscina: Piscina<ConversionTask, ConversionOutcome>, options: ConversionPoolOptions) {
    this.#piscina = piscina;
    this.#options = options;
  }

  static async start(options: ConversionPoolOptions): Promise<ConversionPool> {
    const workerData: WorkerData = { lameWasm: await compileLameWasm() };
    const piscina = new Piscina<ConversionTask, ConversionOutcome>({
      filename: new URL('./conversion-worker-entry.cjs', import.meta.url).href,
      minThreads: options.threads,
      maxThreads: options.threads,
      maxQueue: options.maxQueue,
      // Warm threads keep their instantiated module; there are few of them.
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData,
    });
    return new ConversionPool(piscina, options);
  }

  /** The worker threads themselves, for fault drills and diagnostics. */
  get workers(): readonly import('node:worker_threads').Worker[] {
    return this.#piscina.threads;
  }

  /** Threads alive, tasks waiting for one, and tasks running. */
  get stats(): { threads: number; queued: number; running: number } {
    const queued = this.#piscina.queueSize;
    return { threads: this.#piscina.threads.length, queued, running: Math.max(0, this.#inFlight - queued) };
  }

  /** True when a task started now would be refused: every thread busy and the queue full. */
  get isFull(): boolean {
    const { threads, queued, running } = this.stats;
    return running >= threads && queued >= this.#options.maxQueue;
  }

  /**
   * Converts the WAV at `path`, handing MP3 chunks to `sink` in order, one at a time. Rejects with AudioError for
   * input it refuses, ConversionPoolBusyError, ConversionTimeoutError, or whatever `sink` throws.
   */
  async convert(path: string, options: ConversionOptions, sink: Mp3Sink): Promise<ConversionSummary> {
    const { port1: ours, port2: theirs } = new MessageChannel();
    const sinkFailed = new AbortController();
    const timeout = AbortSignal.timeout(this.#options.taskTimeoutMs);
    let received = 0;
    let stored = Promise.resolve();
    let sinkError: unknown;
    ours.on('message', (message: Mp3ChunkMessage) => {
      received++;
      stored = stored
        .then(() => sink(message.bytes))
        .then(() => ours.postMessage({ type: 'ack' } satisfies AckMessage))
        .catch((error: unknown) => {
          sinkError ??= error;
          sinkFailed.abort();
        });
    });
    this.#inFlight++;
    try {
      const outcome = await this.#piscina.run(
        { path, options, port: theirs },
        { transferList: [theirs], signal: AbortSignal.any([sinkFailed.signal, timeout]) },
      );
      if (!outcome.ok) throw new AudioError(outcome.problem.kind, outcome.problem.property, outcome.problem.message, outcome.problem.bytes);
      // The result and the chunks travel on different channels; wait until every chunk has arrived and is stored.
      while (received < outcome.chunks) await new Promise((r) => setImmediate(r));
      await stored;
      if (sinkError !== undefined) throw sinkError;
      return outcome.summary;
    } catch (error) {
      await stored;
      if (sinkError !== undefined) throw sinkError;
      if (timeout.aborted) throw new ConversionTimeoutError(`the conversion ran past ${this.#options.taskTimeoutMs} ms`);
      if (error instanceof Error && /Task queue is at limit|No task queue available/.test(error.message)) {
        throw new ConversionPoolBusyError('every conversion thread is busy and the queue is full');
      }
      throw error;
    } finally {
      this.#inFlight--;
      ours.close();
    }
  }

  async close(): Promise<void> {
    await this.#piscina.close();
  }
}
