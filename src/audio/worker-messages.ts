// Everything that crosses between the main thread and a conversion worker, typed in one place.
import type { MessagePort } from 'node:worker_threads';
import type { AudioProblem } from './audio-error.js';
import type { ConversionOptions, ConversionSummary } from './convert-wav.js';

/** Given to every worker once, at start. */
export interface WorkerData {
  /** LAME compiled once by the main thread; instantiating it in a worker is cheap. */
  lameWasm: WebAssembly.Module;
}

export interface ConversionTask {
  path: string;
  options: ConversionOptions;
  /** Carries MP3 chunks to the main thread and acknowledgements back. */
  port: MessagePort;
}

/** Worker → main: one piece of MP3, its buffer transferred. */
export interface Mp3ChunkMessage {
  type: 'chunk';
  bytes: Uint8Array;
}

/** Main → worker: a chunk has been stored, so one more may be sent. */
export interface AckMessage {
  type: 'ack';
}

/** What a task resolves to. Errors travel as data: an Error's class and fields do not survive the thread hop. */
export type ConversionOutcome =
  | { ok: true; summary: ConversionSummary; chunks: number }
  | { ok: false; problem: AudioProblem };

/** Chunks a worker may have sent and not yet seen acknowledged; bounds the memory between the two threads. */
export const MAX_UNACKNOWLEDGED_CHUNKS = 8;
