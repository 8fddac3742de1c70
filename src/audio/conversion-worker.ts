// The worker thread's entry: a typed task in, a typed outcome back; a whole conversion's MP3 chunks go out through
// the task's port as they are made.
import { workerData } from 'node:worker_threads';
import { AudioError } from './audio-error.js';
import { convertWavFile, encodeWavPiece } from './convert-wav.js';
import {
  MAX_UNACKNOWLEDGED_CHUNKS,
  type AckMessage,
  type ConversionOutcome,
  type ConversionTask,
  type Outcome,
  type PieceOutcome,
  type WorkerData,
  type WorkerTask,
} from './worker-messages.js';

const { lameWasm } = workerData as WorkerData;

export default function run(task: WorkerTask): Promise<ConversionOutcome | PieceOutcome> {
  switch (task.kind) {
    case 'convert':
      return convert(task);
    case 'piece':
      // The piece's bytes are copied to the main thread: a megabyte a minute at 128 kbps, a millisecond's copy.
      return refusalsAsData(async () => ({ ok: true, bytes: await encodeWavPiece(task.path, task.plan, task.range, lameWasm) }));
  }
}

async function refusalsAsData<T>(work: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AudioError) return { ok: false, problem: error.toProblem() };
    throw error;
  }
}

function convert(task: ConversionTask): Promise<ConversionOutcome> {
  const { port } = task;
  let sent = 0;
  let acknowledged = 0;
  let wakeUp: (() => void) | undefined;
  port.on('message', (message: AckMessage) => {
    if (message.type !== 'ack') return;
    acknowledged++;
    wakeUp?.();
  });
  // The port stays open: the main thread closes it once it has every chunk, so none is lost in flight.
  return refusalsAsData(async () => {
    const summary = await convertWavFile(
      task.path,
      task.options,
      async (bytes) => {
        while (sent - acknowledged >= MAX_UNACKNOWLEDGED_CHUNKS) await new Promise<void>((r) => (wakeUp = r));
        port.postMessage({ type: 'chunk', bytes }, [bytes.buffer as ArrayBuffer]);
        sent++;
      },
      lameWasm,
    );
    return { ok: true, summary, chunks: sent };
  });
}
