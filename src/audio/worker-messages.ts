// Everything that crosses between the main thread and a conversion worker, typed in one place.
import type { MessagePort } from 'node:worker_threads';
import type { AudioProblem } from './audio-error.js';
import type { ConversionOptions, ConversionSummary } from './convert-wav.js';
import type { ConversionPlan } from './mp3-output.js';
import type { FrameRange } from './sample-chunks.js';

/** Given to every worker once, at start. */
export interface WorkerData {
  /** LAME compiled once by the main thread; instantiating it in a worker is cheap. */
  lameWasm: WebAssembly.Module;
}

/** A whole conversion, its MP3 streamed back chunk by chunk. */
export interface ConversionTask {
  kind: 'convert';
  path: string;
  options: ConversionOptions;
  /** Carries MP3 chunks to the main thread and acknowledgements back. */
  port: MessagePort;
}

/** One piece of a split conversion: input frames `range` encoded from a fresh encoder, raw frames back. */
export interface PieceTask {
  kind: 'piece';
  path: string;
  plan: ConversionPlan;
  range: FrameRange;
}

export type WorkerTask = ConversionTask | PieceTask;

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
export type Outcome<T> = ({ ok: true } & T) | { ok: false; problem: AudioProblem };
export type ConversionOutcome = Outcome<{ summary: ConversionSummary; chunks: number }>;
export type PieceOutcome = Outcome<{ bytes: Uint8Array }>;

/** Chunks a worker may have sent and not yet seen acknowledged; bounds the memory between the two threads. */
export const MAX_UNACKNOWLEDGED_CHUNKS = 8;
