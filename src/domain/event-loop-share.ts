// A cap on how much of one kind of work runs in a single event-loop turn, the rest deferred to later turns.
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Work that would otherwise all land in one turn: 500 downloads whose sockets turn writable together, each handed a
 * piece from memory and writing it at once, made turns of tens of milliseconds; libuv accepts one connection per turn,
 * so a health probe queued behind fifty new connections waited two seconds. `take(units)` resolves in the current
 * turn while the turn's budget lasts and otherwise in a later one, in the order of the calls.
 */
export class EventLoopShare {
  #used = 0;
  #turn: Promise<void> | undefined;

  constructor(readonly unitsPerTurn: number) {
    if (!(unitsPerTurn > 0)) throw new RangeError(`unitsPerTurn must be positive, got ${unitsPerTurn}`);
  }

  async take(units: number): Promise<void> {
    // A piece larger than the budget still goes, alone in its turn.
    while (this.#used > 0 && this.#used + units > this.unitsPerTurn) await this.#next();
    this.#used += units;
    void this.#next(); // the budget of this turn ends with it
  }

  // One timer per turn, shared by every waiter; its callback starts the new turn's budget.
  #next(): Promise<void> {
    this.#turn ??= nextTurn().then(() => {
      this.#turn = undefined;
      this.#used = 0;
    });
    return this.#turn;
  }
}
