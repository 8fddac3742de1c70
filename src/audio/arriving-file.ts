// A WAV file that may still be arriving: an upload spooled to disk while its conversion has already begun (issue 15).
// The conversion reads the header as soon as it is on disk, and hands a piece of the recording to a thread only once
// that piece's bytes are all there, so no thread ever waits for the network.

export interface ArrivingFile {
  readonly path: string;
  /** The whole file's size once it has arrived; undefined while it is still arriving. */
  readonly arrivedSize: number | undefined;
  /** Whether its upload stopped half way. */
  readonly hasFailed: boolean;
  /**
   * Resolves once the first `bytes` bytes are on disk, or the whole file has arrived if it is shorter, with the bytes
   * on disk then. Rejects with the upload's error if it stopped half way.
   */
  available(bytes: number): Promise<number>;
  /** Resolves with the whole file's size once it has arrived; rejects like `available`. */
  complete(): Promise<number>;
}

/** A file that is already whole on disk. */
export function wholeFile(path: string, size: number): ArrivingFile {
  const done = Promise.resolve(size);
  return { path, arrivedSize: size, hasFailed: false, available: () => done, complete: () => done };
}

interface Waiter {
  bytes: number;
  resolve: (onDisk: number) => void;
  reject: (error: unknown) => void;
}

/** The writer's side of an arriving file: told as bytes reach the disk, and when the file ends or fails. */
export class FileArrival implements ArrivingFile {
  #onDisk = 0;
  #size: number | undefined;
  #failure: { error: unknown } | undefined;
  // Few at once (the header's reads, a piece per thread): a list is enough.
  #waiters: Waiter[] = [];

  constructor(readonly path: string) {}

  get arrivedSize(): number | undefined {
    return this.#size;
  }

  /** Whether the upload stopped half way. */
  get hasFailed(): boolean {
    return this.#failure !== undefined;
  }

  /** `bytes` more are on disk. */
  wrote(bytes: number): void {
    this.#onDisk += bytes;
    this.#settle();
  }

  /** The file has all arrived. */
  ended(): void {
    this.#size ??= this.#onDisk;
    this.#settle();
  }

  /** The upload stopped half way: whoever waits for more bytes gets `error`. */
  failed(error: unknown): void {
    if (this.#size !== undefined || this.#failure) return;
    this.#failure = { error };
    this.#settle();
  }

  available(bytes: number): Promise<number> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    if (this.#onDisk >= bytes || this.#size !== undefined) return Promise.resolve(this.#onDisk);
    return new Promise((resolve, reject) => this.#waiters.push({ bytes, resolve, reject }));
  }

  complete(): Promise<number> {
    return this.available(Number.POSITIVE_INFINITY);
  }

  #settle(): void {
    const waiting: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (this.#failure) waiter.reject(this.#failure.error);
      else if (this.#onDisk >= waiter.bytes || this.#size !== undefined) waiter.resolve(this.#onDisk);
      else waiting.push(waiter);
    }
    this.#waiters = waiting;
  }
}
