// One piece of a split encode, in a worker thread: input frames [inputStart, inputEnd) of the WAV, planned and
// encoded by the service's own code (planConversionOf, encodeWavPiece) at its defaults; the MP3 bytes go back.
import { parentPort, workerData } from 'node:worker_threads';
import { encodeWavPiece, planConversionOf } from '../src/audio/convert-wav.js';

export interface PieceJob {
  wavPath: string;
  inputStart: number;
  inputEnd: number;
  lame: WebAssembly.Module;
}

const { wavPath, inputStart, inputEnd, lame } = workerData as PieceJob;
const plan = await planConversionOf(wavPath, { encoder: 'wasm' });
const bytes = await encodeWavPiece(wavPath, plan, { from: inputStart, to: inputEnd }, lame);
parentPort!.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
