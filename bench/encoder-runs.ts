// One timed encoding of a WAV file in this thread, by an encoder alone or by the whole conversion function.
// Wall time and the process's CPU time are both kept: on a shared machine the CPU time is what one core costs.
import { open } from 'node:fs/promises';
import { convertWavFile } from '../src/audio/convert-wav.js';
import { positionalReader } from '../src/audio/file-reader.js';
import { lameCbrBitrateKbps } from '../src/audio/lame-tag.js';
import { createLameJsEncoder } from '../src/audio/lamejs-encoder.js';
import { nearestMp3SampleRate, type EncoderName, type EncoderSettings, type Mp3Encoder } from '../src/audio/mp3-encoder.js';
import { createPcmDecoder } from '../src/audio/pcm-decoder.js';
import { createWasmLameEncoder } from '../src/audio/wasm-lame-encoder.js';
import { readWavHeader } from '../src/audio/wav-header.js';

export interface TimedEncoding {
  wallSeconds: number;
  cpuSeconds: number;
  mp3Bytes: number;
}

// Chunks as convertWavFile reads them: about a megabyte, in whole MP3 frames.
const READ_FRAMES_TARGET_BYTES = 1 << 20;
const MP3_FRAME_SAMPLES = 1152;
const BITRATE_KBPS = 128;

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};

/** CBR 128 kbps at the MP3 rate nearest the input's, as the service encodes by default. */
function defaultSettings(sampleRate: number, channels: 1 | 2): EncoderSettings {
  const outputSampleRate = nearestMp3SampleRate(sampleRate);
  return { inputSampleRate: sampleRate, outputSampleRate, channels, bitrateKbps: lameCbrBitrateKbps(BITRATE_KBPS, outputSampleRate) };
}

function createEncoder(name: EncoderName, settings: EncoderSettings, wasm: WebAssembly.Module): Promise<Mp3Encoder> | Mp3Encoder {
  return name === 'wasm' ? createWasmLameEncoder(wasm, settings) : createLameJsEncoder(settings);
}

/**
 * The encoder alone: the file is read and decoded to float planes by the service's own code, chunk by chunk, but
 * only the encoder's calls are timed (for lamejs that includes its Float32 → Int16 step, which is part of it).
 */
export async function timeEncoderAlone(wavPath: string, name: EncoderName, wasm: WebAssembly.Module): Promise<TimedEncoding> {
  const file = await open(wavPath, 'r');
  try {
    const { size } = await file.stat();
    const format = await readWavHeader(positionalReader(file, size), size);
    const channels: 1 | 2 = format.channels === 1 ? 1 : 2;
    const decoder = createPcmDecoder(format, channels);
    const framesPerRead = Math.max(1, Math.floor(READ_FRAMES_TARGET_BYTES / format.frameBytes / MP3_FRAME_SAMPLES)) * MP3_FRAME_SAMPLES;
    const raw = new Uint8Array(framesPerRead * format.frameBytes);
    const planes = Array.from({ length: channels }, () => new Float32Array(framesPerRead));

    let wall = 0;
    let cpu = 0;
    let mp3Bytes = 0;
    const timed = async <T>(work: () => T | Promise<T>): Promise<T> => {
      const wallStart = performance.now();
      const cpuStart = process.cpuUsage();
      const result = await work();
      wall += (performance.now() - wallStart) / 1000;
      cpu += cpuSeconds(cpuStart);
      return result;
    };
    const encoder = await timed(() => createEncoder(name, defaultSettings(format.sampleRate, channels), wasm));
    for (let done = 0; done < format.frames; ) {
      const want = Math.min(framesPerRead, format.frames - done);
      const { bytesRead } = await file.read(raw, 0, want * format.frameBytes, format.dataOffset + done * format.frameBytes);
      const frames = Math.floor(bytesRead / format.frameBytes);
      if (frames === 0) break;
      decoder.decode(raw, frames, planes);
      mp3Bytes += (await timed(() => encoder.encode(planes, frames))).length;
      done += frames;
    }
    mp3Bytes += (await timed(() => encoder.finish())).length;
    return { wallSeconds: wall, cpuSeconds: cpu, mp3Bytes };
  } finally {
    await file.close();
  }
}

/** The service's whole conversion function (header, decoding, encoding, tags, hashing), in this thread. */
export async function timeConvertWavFile(wavPath: string, name: EncoderName, wasm: WebAssembly.Module): Promise<TimedEncoding> {
  let mp3Bytes = 0;
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  await convertWavFile(wavPath, { encoder: name, bitrateKbps: BITRATE_KBPS, title: 'bench.wav' }, (bytes) => void (mp3Bytes += bytes.length), wasm);
  return { wallSeconds: (performance.now() - wallStart) / 1000, cpuSeconds: cpuSeconds(cpuStart), mp3Bytes };
}
