// One uploaded file written to the spool as it arrives: announced byte by byte to whoever converts it meanwhile, and
// removed whole if the upload fails, is refused, or stops half way.
import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { FileArrival } from '../audio/arriving-file.js';

// The socket hands the body over 64 KiB at a time, and a write each would cost the event loop and the thread pool a
// hand-off and a system call apiece: 3,300 for a 20-minute recording, while the conversion threads want both cores.
// The chunks of one turn of the event loop go to the spool in one write instead (cork, then uncork on the next
// turn), up to this much buffered before the upload is paused: a turn seldom brings more, and thousands of uploads
// at once on a slow disk hold no more memory than this each.
const SPOOL_WRITE_BYTES = 256 * 1024;

export class SpoolFile {
  readonly path: string;
  readonly arrival: FileArrival;
  /** Settles once the whole part is on disk (with its size), or rejects if writing it failed. */
  readonly written: Promise<number>;
  readonly #out: WriteStream;

  /**
   * Starts writing `part` to a new file in `dir`. `onBytes` hears of every chunk as it is read; `onOpen` once the
   * file exists, so that a reader can open it (not if the upload failed while it was being opened).
   */
  constructor(dir: string, part: Readable, onBytes: (bytes: number) => void, onOpen: (file: SpoolFile) => void) {
    this.path = path.join(dir, `${randomUUID()}.upload`);
    // Only this process reads its spool: the uploads are other people's recordings.
    this.#out = createWriteStream(this.path, { flags: 'wx', mode: 0o600, highWaterMark: SPOOL_WRITE_BYTES });
    this.arrival = new FileArrival(this.path);
    const out = this.#out;
    this.written = new Promise<number>((resolve, reject) => {
      out.on('error', reject);
      out.on('finish', () => {
        this.arrival.ended();
        resolve(out.bytesWritten);
      });
    });
    this.written.catch(() => {}); // observed by the upload, or by no one once it has failed for another reason
    let gathering = false;
    part.on('data', (chunk: Buffer) => {
      onBytes(chunk.length);
      if (!gathering) {
        gathering = true;
        out.cork();
        setImmediate(() => {
          gathering = false;
          out.uncork();
        });
      }
      // A write's callback runs once its bytes are in the file, where a conversion thread may read them.
      const more = out.write(chunk, (error) => {
        if (!error) this.arrival.wrote(chunk.length);
      });
      if (!more) {
        part.pause();
        out.once('drain', () => part.resume());
      }
    });
    part.on('end', () => out.end());
    out.once('open', () => {
      if (!this.arrival.hasFailed) onOpen(this);
    });
  }

  /** Stops writing and removes the file, whatever it holds; whoever waits for more of it is told it failed. */
  async discard(): Promise<void> {
    this.#out.destroy();
    this.arrival.failed(new Error('the upload stopped before the file was complete'));
    await rm(this.path, { force: true }).catch(() => {});
  }
}
