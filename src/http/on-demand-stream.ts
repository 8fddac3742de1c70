// A response body that holds at most the one piece its socket is writing.
import { Readable } from 'node:stream';

/**
 * A byte stream over `pieces` that asks for a piece only when its consumer asks for one. Readable.from keeps pulling
 * for as long as push() returns true, and push() returns true whenever the piece went straight to a flowing
 * consumer, even the one whose write just filled the socket: every download a client stopped reading then held a
 * second piece in memory (360 of 500 in the abuse test, 23 MB).
 */
export function onDemandStream(pieces: AsyncIterable<Buffer>): Readable {
  const iterator = pieces[Symbol.asyncIterator]();
  return new Readable({
    highWaterMark: 0,
    read() {
      iterator.next().then(
        ({ value, done }) => this.push(done ? null : value),
        (error: Error) => this.destroy(error),
      );
    },
    // A client gone half way: end the iteration so that the source's own clean-up runs.
    destroy(error, callback) {
      Promise.resolve(iterator.return?.()).then(
        () => callback(error),
        (returnError: Error) => callback(error ?? returnError),
      );
    },
  });
}
