// LAME compiled to WebAssembly (wasm-media-encoders): the reference encoder's quality at near-native speed.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createEncoder, type WasmMediaEncoder } from 'wasm-media-encoders';
import type { EncoderSettings, Mp3Encoder } from './mp3-encoder.js';

type CbrKbps = 8 | 16 | 24 | 32 | 40 | 48 | 64 | 80 | 96 | 112 | 128 | 160 | 192 | 224 | 256 | 320;
type OutputRate = 8000 | 11025 | 12000 | 16000 | 22050 | 24000 | 32000 | 44100 | 48000;
type LameInstance = WasmMediaEncoder<'audio/mpeg'>;

/** Compiles the LAME module; done once and shared, since compiling costs far more than instantiating. */
export async function compileLameWasm(): Promise<WebAssembly.Module> {
  const file = fileURLToPath(import.meta.resolve('wasm-media-encoders/wasm/mp3'));
  return WebAssembly.compile(await readFile(file));
}

/**
 * Instances no encoder is using, per compiled module. An instance's memory only grows (to a few megabytes of LAME's
 * state and buffers), so a thread that encodes piece after piece of a split conversion takes one back instead of
 * growing a new one each time and leaving the old to its garbage collector. configure() starts a fresh LAME inside.
 */
const idleInstances = new WeakMap<WebAssembly.Module, LameInstance[]>();

export async function createWasmLameEncoder(module: WebAssembly.Module, settings: EncoderSettings): Promise<Mp3Encoder> {
  let idle = idleInstances.get(module);
  if (!idle) idleInstances.set(module, (idle = []));
  const encoder = idle.pop() ?? (await createEncoder('audio/mpeg', module));
  const rate = { outputSampleRate: settings.outputSampleRate as OutputRate };
  encoder.configure({
    channels: settings.channels,
    sampleRate: settings.inputSampleRate,
    ...(settings.vbrQuality !== undefined
      ? { vbrQuality: settings.vbrQuality, ...rate }
      : { bitrate: (settings.bitrateKbps ?? 128) as CbrKbps, ...rate }),
  });
  // encode() wants arrays of exactly the frame count; views of the caller's planes avoid a copy.
  const views = (planes: Float32Array[], frames: number) =>
    planes.length && planes[0]!.length === frames ? planes : planes.map((p) => p.subarray(0, frames));
  return {
    encode: (planes, frames) => encoder.encode(views(planes, frames)),
    finish: () => {
      // A copy (a few kilobytes), since the instance goes back for the next encoder, which may write over its memory.
      const last = encoder.finalize().slice();
      idle.push(encoder);
      return last;
    },
  };
}
