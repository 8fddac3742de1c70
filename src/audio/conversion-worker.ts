// The worker thread's entry: a typed task in, MP3 chunks out through the task's port, a typed outcome back.
import { workerData } from 'node:worker_threads';
import { AudioError } from './audio-error.js';
import { convertWavFile } from './convert-wav.js';
import { MAX_UNACKNOWLEDGED_CHUNKS, type AckMessage, type ConversionOutcome, type ConversionTask, type WorkerData } from './worker-messages.js';

const { lameWasm } = workerData as WorkerData;

export default async function convert(task: ConversionTask): Promise<ConversionOutcome> {
  const { port } = task;
  let sent = 0;
  let acknowledged = 0;
  let wakeUp: (() => void) | undefined;
  port.on('message', (message: AckMessage) => {
    if (message.type !== 'ack') return;
    acknowledged++;
    wakeUp?.();
  });
  try {
    const summary = await convertWavFile(task.path, task.options, async (bytes) => {
      while (sent - acknowledged >= MAX_UNACKNOWLEDGED_CHUNKS) await new Promise<void>((r) => (wakeUp = r));
      port.postMessage({ type: 'chunk', bytes }, [bytes.buffer as ArrayBuffer]);
      sent++;
    }, lameWasm);
    return { ok: true, summary, chunks: sent };
  } catch (error) {
    if (error instanceof AudioError) return { ok: false, problem: error.toProblem() };
    throw error;
  }
  // The port stays open: the main thread closes it once it has every chunk, so none is lost in flight.
}
