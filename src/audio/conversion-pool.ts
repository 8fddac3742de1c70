// The worker_threads pool that runs conversions off the event loop, with a bounded queue, a time limit per
// task, and MP3 chunks streamed back with flow control.
import { stat } from 'node:fs/promises';
import { MessageChannel, type Transferable } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { wholeFile, type ArrivingFile } from './arriving-file.js';
import { AudioError, type AudioProblem } from './audio-error.js';
import { planConversionOf, type ConversionOptions, type ConversionSummary, type Mp3Sink } from './convert-wav.js';
import type { ConversionPlan } from './mp3-output.js';
import { canSplit, convertInPieces } from './split-conversion.js';
import { WaitingLine } from './waiting-line.js';
import { compileLameWasm } from './wasm-lame-encoder.js';
import type {
  AckMessage,
  ConversionOutcome,
  Mp3ChunkMessage,
  Outcome,
  PieceOutcome,
  WorkerData,
  WorkerTask,
} from './worker-messages.js';

export interface ConversionPoolOptions {
  threads: number;
  /** Tasks that may wait for a thread; more are refused with ConversionPoolBusyError. */
  maxQueue: number;
  taskTimeoutMs: number;
  /**
   * Recordings at least this long are encoded in pieces, as they arrive, on every thread free for them (0: never).
   */
  splitMinSeconds?: number;
}

// The lowest byte rate of a recording that can be split (8-bit mono at 8 kHz): a smaller file is too short to split,
// and its header is not read twice.
const LEAST_SPLITTABLE_BYTES_PER_SECOND = 8_000;

const refusal = (problem: AudioProblem) => new AudioError(problem.kind, problem.property, problem.message, problem.bytes);

const BUSY = 'every conversion thread is busy and the queue is full';

/** Every thread is busy and the queue is full: come back later. */
export class ConversionPoolBusyError extends Error {
  override name = 'ConversionPoolBusyError';
}
/** The task ran past its time limit; its worker was replaced. */
export class ConversionTimeoutError extends Error {
  override name = 'ConversionTimeoutError';
}

export class ConversionPool {
  readonly #piscina: Piscina<WorkerTask, ConversionOutcome | PieceOutcome>;
  readonly #options: ConversionPoolOptions;
  // Tasks handed to piscina and not yet settled: whole conversions and pieces alike.
  #tasks = 0;
  // Pieces waiting for a free thread (#freeThread). They never enter piscina's queue: a whole conversion that arrives meanwhile goes
  // there and so gets the next free thread first, and a queued piece could not be refused for a full queue.
  readonly #piecesWaiting = new WaitingLine();
  // Conversions in pieces at once, and those waiting to be one. Each holds its output's database transaction open
  // while its upload arrives, so there are never more of them than threads, however many long uploads arrive.
  #splitting = 0;
  readonly #splitsWaiting = new WaitingLine();
  #splitConversions = 0;
  #piecesEncoded = 0;

  private constructor(piscina: Piscina<WorkerTask, ConversionOutcome | PieceOutcome>, options: ConversionPoolOptions) {
    this.#piscina = piscina;
    this.#options = options;
  }

  static async start(options: ConversionPoolOptions): Promise<ConversionPool> {
    const workerData: WorkerData = { lameWasm: await compileLameWasm() };
    const piscina = new Piscina<WorkerTask, ConversionOutcome | PieceOutcome>({
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

  /** Pieces of split conversions encoded since the pool started. */
  get piecesEncoded(): number {
    return this.#piecesEncoded;
  }

  /** True when a task started now would be refused: every thread busy and the queue full. */
  get isFull(): boolean {
    const { threads, queued, running } = this.stats;
    return running >= threads && queued >= this.#options.maxQueue;
  }

  /**
   * Converts the WAV at `source`, a path or a file still arriving, handing MP3 chunks to `sink` in order, one at a
   * time. Rejects with AudioError for input it refuses (for an arriving file, as soon as its header is on disk),
   * ConversionPoolBusyError, ConversionTimeoutError, the arriving file's error if its upload stops, or whatever `sink`
   * throws. A long recording is encoded in pieces, as its bytes arrive, on the threads free for them
   * (split-conversion.ts); anything else once the whole file is there. The time limit counts from then.
   */
  async convert(source: string | ArrivingFile, options: ConversionOptions, sink: Mp3Sink, signal?: AbortSignal): Promise<ConversionSummary> {
    const file = typeof source === 'string' ? wholeFile(source, (await stat(source)).size) : source;
    const deadline = this.#deadlineOnceArrived(file, signal);
    try {
      const minSeconds = this.#options.splitMinSeconds ?? 0;
      // A whole file too small to split is not read here at all: its worker reads the header as it converts.
      const small = file.arrivedSize !== undefined && file.arrivedSize < minSeconds * LEAST_SPLITTABLE_BYTES_PER_SECOND;
      if (file.arrivedSize === undefined || (minSeconds > 0 && options.encoder === 'wasm' && !small)) {
        const plan = await planConversionOf(source, options);
        if (canSplit(plan, minSeconds)) {
          await this.#splitSlot(deadline.signal);
          try {
            return await this.#convertInPieces(file, plan, sink, deadline.signal);
          } finally {
            // The place passes to the next in line, or is given back.
            if (!this.#splitsWaiting.next()) this.#splitting--;
          }
        }
      }
      await file.complete();
      return await this.#convertWhole(file.path, options, sink, deadline.signal);
    } finally {
      deadline.dispose();
    }
  }

  /** Aborts when `signal` does, or once the file has all arrived and the pool's time limit has passed since. */
  #deadlineOnceArrived(file: ArrivingFile, signal?: AbortSignal): { signal: AbortSignal; dispose(): void } {
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    file.complete().then(
      () => {
        if (deadline.signal.aborted) return;
        timer = setTimeout(() => deadline.abort(new DOMException('the conversion ran past its time limit', 'TimeoutError')), this.#options.taskTimeoutMs);
      },
      () => {},
    );
    return {
      signal: signal ? AbortSignal.any([deadline.signal, signal]) : deadline.signal,
      dispose: () => {
        clearTimeout(timer);
        deadline.abort();
      },
    };
  }

  #convertInPieces(file: ArrivingFile, plan: ConversionPlan, sink: Mp3Sink, signal: AbortSignal): Promise<ConversionSummary> {
    this.#splitConversions++;
    return convertInPieces(
      plan,
      sink,
      async (range, stop) => {
        const pieceSignal = AbortSignal.any([signal, stop]);
        await this.#freeThread(pieceSignal).catch((error: unknown) => {
          throw this.#poolError(error, pieceSignal);
        });
        const outcome = await this.#run<PieceOutcome>({ kind: 'piece', path: file.path, plan, range }, pieceSignal, undefined, true);
        if (!outcome.ok) throw refusal(outcome.problem);
        this.#piecesEncoded++;
        return outcome.bytes;
      },
      this.#piscina.threads.length,
      file,
    );
  }

  /** Resolves when this conversion may be one in pieces, its place counted in #splitting. */
  async #splitSlot(signal: AbortSignal): Promise<void> {
    if (this.#splitting < this.#piscina.threads.length) {
      this.#splitting++;
      return;
    }
    await this.#splitsWaiting.wait(signal).catch((error: unknown) => {
      throw this.#poolError(error, signal);
    });
  }

  /** Resolves when a thread is free for a piece, with the task already counted in #tasks. */
  #freeThread(signal: AbortSignal): Promise<void> {
    if (this.#piecesWaiting.length === 0 && this.#tasks < this.#piscina.threads.length && !signal.aborted) {
      this.#tasks++;
      return Promise.resolve();
    }
    return this.#piecesWaiting.wait(signal);
  }

  #taskEnded(): void {
    this.#tasks--;
    while (this.#piecesWaiting.length > 0 && this.#tasks < this.#piscina.threads.length && this.#piscina.queueSize === 0) {
      this.#tasks++;
      this.#piecesWaiting.next();
    }
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

  /**
   * One task on a thread, with the pool's own errors for a full queue and a task past the deadline. `counted`: the
   * task was counted in #tasks when its thread was found free (#freeThread).
   */
  async #run<T extends Outcome<unknown>>(task: WorkerTask, signal: AbortSignal, transferList?: Transferable[], counted = false): Promise<T> {
    // piscina (5.3) puts tasks with an AbortSignal in a queue of their own that maxQueue does not bound
    // (piscinajs/piscina#899), and every task here has one: the bound is kept here instead.
    if (!counted && this.isFull) throw new ConversionPoolBusyError(BUSY);
    if (!counted) this.#tasks++;
    try {
      return (await this.#piscina.run(task, { signal, ...(transferList ? { transferList } : {}) })) as T;
    } catch (error) {
      throw this.#poolError(error, signal);
    } finally {
      this.#taskEnded();
    }
  }

  /** A task's failure as the pool's own error where it is one: past the deadline, or refused by a full queue. */
  #poolError(error: unknown, signal: AbortSignal): unknown {
    if (signal.aborted && signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError') {
      return new ConversionTimeoutError(`the conversion ran past ${this.#options.taskTimeoutMs} ms`);
    }
    if (error instanceof Error && /Task queue is at limit|No task queue available/.test(error.message)) {
      return new ConversionPoolBusyError(BUSY);
    }
    return error;
  }

  async close(): Promise<void> {
    await this.#piscina.close();
  }
}
