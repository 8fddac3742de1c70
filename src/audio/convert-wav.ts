// The conversion itself, as a plain function: WAV file in, MP3 bytes out through `sink`, chunk by chunk.
// Memory stays bounded by the chunk size whatever the length of the recording.
import { open } from 'node:fs/promises';
import { badOption, tooLong } from './audio-error.js';
import { createLameJsEncoder } from './lamejs-encoder.js';
import { MP3_SAMPLE_RATES, nearestMp3SampleRate, type EncoderName, type EncoderSettings, type Mp3Encoder } from './mp3-encoder.js';
import { createPcmDecoder } from './pcm-decoder.js';
import { createWasmLameEncoder } from './wasm-lame-encoder.js';
import { readWavHeader, type SampleEncoding, type WavFormat } from './wav-header.js';

export interface ConversionOptions {
  encoder: EncoderName;
  /** CBR bitrate; ignored when vbrQuality is given. Default 128. */
  bitrateKbps?: number;
  /** LAME VBR quality, 0 (best) to 9. */
  vbrQuality?: number;
  /** Fold everything into one channel. */
  mono?: boolean;
  /** Longer recordings are refused before any decoding. */
  maxDurationSeconds?: number;
}

export interface ConversionSummary {
  input: {
    container: WavFormat['container'];
    encoding: SampleEncoding;
    bitsPerSample: number;
    sampleRate: number;
    channels: number;
    frames: number;
    durationSeconds: number;
    truncated: boolean;
  };
  output: {
    encoder: EncoderName;
    sampleRate: number;
    channels: 1 | 2;
    bitrateKbps: number | null;
    vbrQuality: number | null;
    bytes: number;
  };
}

export type Mp3Sink = (bytes: Uint8Array) => void | Promise<void>;

// About a megabyte of WAV per read, in whole MP3 frames (1152 samples) so the encoder never holds a remainder.
const TARGET_READ_BYTES = 1 << 20;
const MP3_FRAME_SAMPLES = 1152;

function encoderSettings(format: WavFormat, options: ConversionOptions): EncoderSettings {
  const channels: 1 | 2 = options.mono || format.channels === 1 ? 1 : 2;
  const outputSampleRate = nearestMp3SampleRate(format.sampleRate);
  if (options.encoder === 'lamejs') {
    if (options.vbrQuality !== undefined) {
      throw badOption('vbr', 'the lamejs encoder this server runs encodes constant bitrate only; send `bitrate` instead of `vbr`');
    }
    // lamejs resamples badly and returns silence for some rates, so it only ever encodes at the input rate.
    if (!(MP3_SAMPLE_RATES as readonly number[]).includes(format.sampleRate)) {
      throw badOption(
        'sample rate',
        `the lamejs encoder this server runs cannot resample ${format.sampleRate} Hz; supported: ${MP3_SAMPLE_RATES.join(', ')} Hz`,
      );
    }
  }
  return options.vbrQuality !== undefined
    ? { inputSampleRate: format.sampleRate, outputSampleRate, channels, vbrQuality: options.vbrQuality }
    : { inputSampleRate: format.sampleRate, outputSampleRate, channels, bitrateKbps: options.bitrateKbps ?? 128 };
}

async function createEncoder(name: EncoderName, settings: EncoderSettings, wasm?: WebAssembly.Module): Promise<Mp3Encoder> {
  if (name === 'lamejs') return createLameJsEncoder(settings);
  if (!wasm) throw new Error('the wasm encoder needs the compiled LAME module');
  return createWasmLameEncoder(wasm, settings);
}

export async function convertWavFile(
  path: string,
  options: ConversionOptions,
  sink: Mp3Sink,
  wasm?: WebAssembly.Module,
): Promise<ConversionSummary> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const format = await readWavHeader(async (position, length) => {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, size - position)));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      return buffer.subarray(0, bytesRead);
    }, size);
    const seconds = format.frames / format.sampleRate;
    if (options.maxDurationSeconds !== undefined && seconds > options.maxDurationSeconds) {
      throw tooLong('duration', `the recording lasts ${Math.round(seconds)} s; this server converts at most ${options.maxDurationSeconds} s`);
    }
    const settings = encoderSettings(format, options);
    const encoder = await createEncoder(options.encoder, settings, wasm);
    const decoder = createPcmDecoder(format, settings.channels);

    const framesPerRead = Math.max(1, Math.floor(TARGET_READ_BYTES / format.frameBytes / MP3_FRAME_SAMPLES)) * MP3_FRAME_SAMPLES;
    const raw = new Uint8Array(framesPerRead * format.frameBytes);
    const planes = Array.from({ length: settings.channels }, () => new Float32Array(framesPerRead));
    let mp3Bytes = 0;
    const emit = async (encoded: Uint8Array) => {
      if (encoded.length === 0) return;
      mp3Bytes += encoded.length;
      // A copy of its own: the encoder reuses its output memory, and the sink may transfer the buffer.
      await sink(encoded.slice());
    };

    for (let done = 0; done < format.frames; ) {
      const frames = Math.min(framesPerRead, format.frames - done);
      const want = frames * format.frameBytes;
      const { bytesRead } = await file.read(raw, 0, want, format.dataOffset + done * format.frameBytes);
      const got = Math.floor(bytesRead / format.frameBytes);
      if (got === 0) break;
      decoder.decode(raw, got, planes);
      await emit(encoder.encode(planes, got));
      done += got;
    }
    await emit(encoder.finish());

    return {
      input: {
        container: format.container,
        encoding: format.encoding,
        bitsPerSample: format.bitsPerSample,
        sampleRate: format.sampleRate,
        channels: format.channels,
        frames: format.frames,
        durationSeconds: format.frames / format.sampleRate,
        truncated: format.truncated,
      },
      output: {
        encoder: options.encoder,
        sampleRate: settings.outputSampleRate,
        channels: settings.channels,
        bitrateKbps: settings.bitrateKbps ?? null,
        vbrQuality: settings.vbrQuality ?? null,
        bytes: mp3Bytes,
      },
    };
  } finally {
    await file.close();
  }
}
