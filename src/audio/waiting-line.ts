// Callers waiting their turn for something the pool hands out (a free thread, a place among the conversions in
// pieces), first come first served; one whose signal aborts leaves the line.

export class WaitingLine {
  #waiters: (() => void)[] = [];

  get length(): number {
    return this.#waiters.length;
  }

  /** Resolves when `next()` lets this caller go; rejects with the signal's reason if it aborts first. */
  wait(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const go = () => {
        signal.removeEventListener('abort', leave);
        resolve();
      };
      const leave = () => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== go);
        reject(signal.reason);
      };
      signal.addEventListener('abort', leave, { once: true });
      this.#waiters.push(go);
    });
  }

  /** Lets the first caller in line go. False if nobody waits. */
  next(): boolean {
    const first = this.#waiters.shift();
    first?.();
    return first !== undefined;
  }
}
