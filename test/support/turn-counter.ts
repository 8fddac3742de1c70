// Counts event-loop turns, for tests of what runs in which turn: an immediate that schedules itself again each turn.
// Started before the code under test schedules its own immediates, it runs ahead of them in every turn, so code that
// runs in the check phase of turn n sees `turn` = n.

export interface TurnCounter {
  /** Turns completed since the counter started. */
  readonly turn: number;
  stop(): void;
}

export function countTurns(): TurnCounter {
  let turn = 0;
  let counting = true;
  const count = () => {
    turn++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  return {
    get turn() {
      return turn;
    },
    stop() {
      counting = false;
    },
  };
}
