// A cap on the conversions one user may have in flight, so that one client cannot take every thread from the others.
// The count is per process: with several replicas a user may have this many on each, which still bounds them.
import { DomainError } from './errors.js';

// A conversion of a few minutes of audio takes seconds; by then a slot is likely free.
const RETRY_AFTER_SECONDS = 5;

export class UserConversionSlots {
  readonly #inFlight = new Map<string, number>();

  constructor(readonly perUser: number) {}

  /** Takes a slot for `userId` or throws `too-many-conversions`. Returns the function that gives it back (once). */
  acquire(userId: string): () => void {
    const used = this.#inFlight.get(userId) ?? 0;
    if (used >= this.perUser) {
      throw new DomainError(
        'too-many-conversions',
        `you already have ${used} conversions in progress, the most this server runs at once for one user; retry when one finishes`,
        { retryAfterSeconds: RETRY_AFTER_SECONDS },
      );
    }
    this.#inFlight.set(userId, used + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inFlight.get(userId) ?? 1) - 1;
      if (left === 0) this.#inFlight.delete(userId);
      else this.#inFlight.set(userId, left);
    };
  }
}
