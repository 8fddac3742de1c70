// At most `max` of some kind of query at once, the rest wait their turn in order. Downloads use it so that hundreds
// of them (or hundreds of stalled ones, each filling megabytes of kernel buffer) cannot queue hundreds of reads in
// front of a sign-up or a token check, nor fill every event-loop turn with decoding: with 500 downloads, unbounded
// reads held /healthz on a new connection for 20 s; three at a time kept it under 30 ms (docs/LIMITS.md).
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
