// One piece of a split encode, in a worker thread: input samples [inputStart, inputEnd) of the WAV decoded by the
// service's own code and encoded by WASM LAME at the service's defaults; the MP3 bytes go back, transferred.
import { open } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { positionalReader } from '../src/audio/file-reader.js';
import { lameCbrBitrateKbps } from '../src/audio/lame-tag.js';
import { nearestMp3SampleRate } from '../src/audio/mp3-encoder.js';
import { createPcmDecoder } from '../src/audio/pcm-decoder.js';
import { createWasmLameEncoder } from '../src/audio/wasm-lame-encoder.js';
import { readWavHeader } from '../src/audio/wav-header.js';

export interface PieceJob {
  wavPath: string;
  inputStart: number;
  inputEnd: number;
  lame: WebAssembly.Module;
}

const READ_FRAMES = 1152 * 200;

const { wavPath, inputStart, inputEnd, lame } = workerData as PieceJob;
const file = await open(wavPath, 'r');
try {
  const { size } = await file.stat();
  const format = await readWavHeader(positionalReader(file, size), size);
  const channels: 1 | 2 = format.channels === 1 ? 1 : 2;
  const outputSampleRate = nearestMp3SampleRate(format.sampleRate);
  const encoder = await createWasmLameEncoder(lame, {
    inputSampleRate: format.sampleRate,
    outputSampleRate,
    channels,
    bitrateKbps: lameCbrBitrateKbps(128, outputSampleRate),
  });
  const decoder = createPcmDecoder(format, channels);
  const raw = new Uint8Array(READ_FRAMES * format.frameBytes);
  const planes = Array.from({ length: channels }, () => new Float32Array(READ_FRAMES));
  const parts: Uint8Array[] = [];
  for (let at = inputStart; at < inputEnd; ) {
    const want = Math.min(READ_FRAMES, inputEnd - at);
    const { bytesRead } = await file.read(raw, 0, want * format.frameBytes, format.dataOffset + at * format.frameBytes);
    const frames = Math.floor(bytesRead / format.frameBytes);
    if (frames === 0) break;
    decoder.decode(raw, frames, planes);
    parts.push(encoder.encode(planes, frames).slice());
    at += frames;
  }
  parts.push(encoder.finish().slice());
  const bytes = Buffer.concat(parts);
  const out = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  parentPort!.postMessage(out, [out.buffer]);
} finally {
  await file.close();
}
