// At most `max` of some kind of query at once, the rest wait their turn in order. Downloads use it so that hundreds
// of them (or hundreds of stalled ones, each filling megabytes of kernel buffer) cannot queue hundreds of reads in
// front of a sign-up or a token check, nor fill every event-loop turn with decoding: with 500 downloads, unbounded
// reads kept new connections (a /healthz probe) waiting 20 s to be accepted; three at a time, the 500 were accepted
// within 2 s and probes answered in milliseconds after that (docs/LIMITS.md).
export class ConcurrencyLimit {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running < this.max) this.#running++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      // The slot passes straight to the next in line, so a newcomer cannot overtake it.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
