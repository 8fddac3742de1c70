// A cap on how much of one kind of work runs in a single event-loop turn, the rest deferred to later turns.

interface Waiter {
  units: number;
  resolve: () => void;
}

/**
 * Work that would otherwise all land in one turn: 500 downloads whose sockets turn writable together, each handed a
 * piece from memory and writing it at once, made turns of tens of milliseconds; libuv accepts one connection per turn,
 * so a health probe queued behind fifty new connections waited two seconds. `take(units)` resolves in the current
 * turn while the turn's budget lasts and otherwise in a later one, in the order of the calls.
 *
 * The waiters are a queue that each new turn releases from the front while its budget lasts; the others are not
 * woken. (All of them waking each turn to find the budget gone again cost a third of the process's time in the abuse
 * test, in the turns a health probe waited behind.)
 */
export class EventLoopShare {
  #used = 0;
  readonly #waiting: Waiter[] = [];
  #turnEndScheduled = false;

  constructor(readonly unitsPerTurn: number) {
    if (!(unitsPerTurn > 0)) throw new RangeError(`unitsPerTurn must be positive, got ${unitsPerTurn}`);
  }

  take(units: number): Promise<void> {
    this.#scheduleTurnEnd();
    if (this.#waiting.length === 0 && this.#fits(units)) {
      this.#used += units;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push({ units, resolve }));
  }

  // A piece larger than the budget still goes, alone in its turn.
  #fits(units: number): boolean {
    return this.#used === 0 || this.#used + units <= this.unitsPerTurn;
  }

  // The budget of this turn ends with it: one immediate per turn, and only while there is work.
  #scheduleTurnEnd(): void {
    if (this.#turnEndScheduled) return;
    this.#turnEndScheduled = true;
    setImmediate(() => this.#startTurn());
  }

  #startTurn(): void {
    this.#turnEndScheduled = false;
    this.#used = 0;
    let released = 0;
    while (released < this.#waiting.length && this.#fits(this.#waiting[released]!.units)) {
      const waiter = this.#waiting[released++]!;
      this.#used += waiter.units;
      waiter.resolve();
    }
    this.#waiting.splice(0, released);
    if (this.#used > 0) this.#scheduleTurnEnd();
  }
}
