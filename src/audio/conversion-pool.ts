// The worker_threads pool that runs conversions off the event loop, with a bounded queue, a time limit per
// task, and MP3 chunks streamed back with flow control.
import { stat } from 'node:fs/promises';
import { MessageChannel, type Transferable } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { AudioError, type AudioProblem } from './audio-error.js';
import type { ConversionOptions, ConversionSummary, Mp3Sink } from './convert-wav.js';
import type { ConversionPlan } from './mp3-output.js';
import { canSplit, convertInPieces } from './split-conversion.js';
import { compileLameWasm } from './wasm-lame-encoder.js';
import type {
  AckMessage,
  ConversionOutcome,
  Mp3ChunkMessage,
  Outcome,
  PieceOutcome,
  PlanOutcome,
  WorkerData,
  WorkerTask,
} from './worker-messages.js';

export interface ConversionPoolOptions {
  threads: number;
  /** Tasks that may wait for a thread; more are refused with ConversionPoolBusyError. */
  maxQueue: number;
  taskTimeoutMs: number;
  /** Recordings at least this long are encoded in pieces on the threads that are idle when they arrive (0: never). */
  splitMinSeconds?: number;
}

// The lowest byte rate of a recording that can be split (8-bit mono at 8 kHz): a smaller file is too short to split,
// and its header is not read twice.
const LEAST_SPLITTABLE_BYTES_PER_SECOND = 8_000;

const refusal = (problem: AudioProblem) => new AudioError(problem.kind, problem.property, problem.message, problem.bytes);

/** Every thread is busy and the queue is full: come back later. */
export class ConversionPoolBusyError extends Error {
  override name = 'ConversionPoolBusyError';
}
/** The task ran past its time limit; its worker was replaced. */
export class ConversionTimeoutError extends Error {
  override name = 'ConversionTimeoutError';
}

export class ConversionPool {
  readonly #piscina: Piscina<WorkerTask, ConversionOutcome | PlanOutcome | PieceOutcome>;
  readonly #options: ConversionPoolOptions;
  // Tasks handed to piscina and not yet settled: whole conversions, plans and pieces alike.
  #tasks = 0;
  #splitConversions = 0;

  private constructor(piscina: Piscina<WorkerTask, ConversionOutcome | PlanOutcome | PieceOutcome>, options: ConversionPoolOptions) {
    this.#piscina = piscina;
    this.#options = options;
  }

  static async start(options: ConversionPoolOptions): Promise<ConversionPool> {
    const workerData: WorkerData = { lameWasm: await compileLameWasm() };
    const piscina = new Piscina<WorkerTask, ConversionOutcome | PlanOutcome | PieceOutcome>({
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
    return { threads: this.#piscina.threads.length, queued, running: Math.max(0, this.#tasks - queued) };
  }

  /** Conversions encoded in pieces on several threads since the pool started. */
  get splitConversions(): number {
    return this.#splitConversions;
  }

  /** True when a task started now would be refused: every thread busy and the queue full. */
  get isFull(): boolean {
    const { threads, queued, running } = this.stats;
    return running >= threads && queued >= this.#options.maxQueue;
  }

  /**
   * Converts the WAV at `path`, handing MP3 chunks to `sink` in order, one at a time. Rejects with AudioError for
   * input it refuses, ConversionPoolBusyError, ConversionTimeoutError, or whatever `sink` throws. A long recording
   * arriving while at least two threads are idle is encoded in pieces on those threads (split-conversion.ts).
   */
  async convert(path: string, options: ConversionOptions, sink: Mp3Sink): Promise<ConversionSummary> {
    const deadline = AbortSignal.timeout(this.#options.taskTimeoutMs);
    const idle = this.#piscina.threads.length - this.#tasks;
    const minSeconds = this.#options.splitMinSeconds ?? 0;
    if (idle >= 2 && minSeconds > 0 && options.encoder === 'wasm' && (await stat(path)).size >= minSeconds * LEAST_SPLITTABLE_BYTES_PER_SECOND) {
      const planned = await this.#run<PlanOutcome>({ kind: 'plan', path, options }, deadline);
      if (!planned.ok) throw refusal(planned.problem);
      if (canSplit(planned.plan, minSeconds)) return this.#convertInPieces(path, planned.plan, sink, idle, deadline);
    }
    return this.#convertWhole(path, options, sink, deadline);
  }

  #convertInPieces(path: string, plan: ConversionPlan, sink: Mp3Sink, concurrency: number, deadline: AbortSignal): Promise<ConversionSummary> {
    this.#splitConversions++;
    return convertInPieces(
      plan,
      sink,
      async (range, stop) => {
        const outcome = await this.#run<PieceOutcome>({ kind: 'piece', path, plan, range }, AbortSignal.any([deadline, stop]));
        if (!outcome.ok) throw refusal(outcome.problem);
        return outcome.bytes;
      },
      concurrency,
    );
  }

  async #convertWhole(path: string, options: ConversionOptions, sink: Mp3Sink, deadline: AbortSignal): Promise<ConversionSummary> {
    const { port1: ours, port2: theirs } = new MessageChannel();
    const sinkFailed = new AbortController();
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
    try {
      const outcome = await this.#run<ConversionOutcome>({ kind: 'convert', path, options, port: theirs }, AbortSignal.any([sinkFailed.signal, deadline]), [theirs]);
      if (!outcome.ok) throw refusal(outcome.problem);
      // The result and the chunks travel on different channels; wait until every chunk has arrived and is stored.
      while (received < outcome.chunks) await new Promise((r) => setImmediate(r));
      await stored;
      if (sinkError !== undefined) throw sinkError;
      return outcome.summary;
    } catch (error) {
      await stored;
      if (sinkError !== undefined) throw sinkError;
      throw error;
    } finally {
      ours.close();
    }
  }

  /** One task on a thread, with the pool's own errors for a full queue and a task past the deadline. */
  async #run<T extends Outcome<unknown>>(task: WorkerTask, signal: AbortSignal, transferList?: Transferable[]): Promise<T> {
    this.#tasks++;
    try {
      return (await this.#piscina.run(task, { signal, ...(transferList ? { transferList } : {}) })) as T;
    } catch (error) {
      if (signal.aborted && signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError') {
        throw new ConversionTimeoutError(`the conversion ran past ${this.#options.taskTimeoutMs} ms`);
      }
      if (error instanceof Error && /Task queue is at limit|No task queue available/.test(error.message)) {
        throw new ConversionPoolBusyError('every conversion thread is busy and the queue is full');
      }
      throw error;
    } finally {
      this.#tasks--;
    }
  }

  async close(): Promise<void> {
    await this.#piscina.close();
  }
}
