// The worker thread's entry: a typed task in, a typed outcome back; a whole conversion's MP3 chunks go out through
// the task's port as they are made.
import { workerData } from 'node:worker_threads';
import { AudioError } from './audio-error.js';
import { convertWavFile, encodeWavPiece } from './convert-wav.js';
import { lowerThisThreadPriority } from './thread-priority.js';
import {
  MAX_UNACKNOWLEDGED_CHUNKS,
  type AckMessage,
  type ConversionOutcome,
  type ConversionTask,
  type Outcome,
  type PieceOutcome,
  type PieceTask,
  type WorkerData,
  type WorkerTask,
} from './worker-messages.js';

const { lameWasm } = workerData as WorkerData;
// Conversions yield the cores to the event loop whenever it has work (thread-priority.ts).
lowerThisThreadPriority();

export default function run(task: WorkerTask): Promise<ConversionOutcome | PieceOutcome> {
  switch (task.kind) {
    case 'convert':
      return convert(task);
    case 'piece':
      return piece(task);
  }
}

/**
 * The piece's bytes are moved to the main thread, not copied: a copy left here would be garbage that this thread's
 * small heap seldom collects, a megabyte a piece, and such garbage on every thread made the process's peak memory
 * grow with the recording's length (docs/BENCHMARKS.md, "Memory").
 */
async function piece(task: PieceTask): Promise<PieceOutcome> {
  const outcome = await refusalsAsData<{ bytes: Uint8Array }>(async () => ({ ok: true, bytes: await encodeWavPiece(task.path, task.plan, task.range, lameWasm) }));
  if (!outcome.ok) return outcome;
  // Loaded here, not with this module: piscina's pool code would cost a thread that never encodes a piece a few
  // megabytes (a worker's own part of piscina is loaded already).
  const piscina = await import('piscina');
  // piscina sends the value with the buffer in its transfer list: the main thread receives the outcome itself.
  return piscina.move({ [piscina.transferableSymbol]: outcome.bytes.buffer, [piscina.valueSymbol]: outcome }) as unknown as PieceOutcome;
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
