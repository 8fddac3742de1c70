// The conversion itself, as plain functions: WAV file in, MP3 bytes out through `sink`, chunk by chunk: an ID3v2.4
// tag, a placeholder for the Info/LAME tag frame, then the audio (mp3-output.ts). The real Info frame, which needs the
// whole stream's statistics, is returned at the end for the caller to write over the placeholder. Memory stays bounded
// by the chunk size whatever the length of the recording. A long recording can also be encoded in pieces on several
// threads (encodeWavPiece; the pool joins them).
import { open, type FileHandle } from 'node:fs/promises';
import type { ArrivingFile } from './arriving-file.js';
import { badOption, tooLarge, tooLong } from './audio-error.js';
import { arrivingReader, positionalReader } from './file-reader.js';
import { lameCbrBitrateKbps } from './lame-tag.js';
import { createLameJsEncoder } from './lamejs-encoder.js';
import { mpegVersionForRate, samplesPerFrame } from './mp3-frames.js';
import { Mp3Output, type ConversionPlan } from './mp3-output.js';
import { MP3_SAMPLE_RATES, nearestMp3SampleRate, type EncoderName, type EncoderSettings, type Mp3Encoder } from './mp3-encoder.js';
import { createPcmDecoder } from './pcm-decoder.js';
import { sampleChunks } from './sample-chunks.js';
import { giveBack, takeBuffer } from './spare-buffers.js';
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
  /** Written into the ID3 tag's title (the uploaded file's name). */
  title?: string;
  /**
   * MP3 bytes the caller can still store. A constant bitrate tells the size from the header: a file that surely
   * needs more is refused before any decoding (VBR sizes are known only at the end, which the caller checks).
   */
  maxOutputBytes?: number;
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
    /** What the header promised: longer than durationSeconds when the file was cut short. */
    declaredDurationSeconds: number;
  };
  output: {
    encoder: EncoderName;
    sampleRate: number;
    channels: 1 | 2;
    bitrateKbps: number | null;
    vbrQuality: number | null;
    bytes: number;
    /** SHA-256 of the audio frames: everything after the ID3 tag and the Info frame, which derive from them. */
    audioSha256: Uint8Array;
  };
  /**
   * The Info/LAME tag frame, known only once encoding ends, that replaces the placeholder of the same size written
   * at `offset` of the output.
   */
  infoFrame: { offset: number; bytes: Uint8Array };
  /**
   * Present when the ID3 tag written first must be replaced by this one of the same size: the recording arrived cut
   * short of the length its header declared, which the tag had announced.
   */
  id3Tag?: { offset: number; bytes: Uint8Array };
}

export type Mp3Sink = (bytes: Uint8Array) => void | Promise<void>;

/**
 * Below these bitrates lamejs, which leaves LAME's output rate unset, lowers the sample rate on its own (measured:
 * stereo 44.1 kHz at 96 kbps comes out at 32 kHz).
 */
function lameJsMinimumBitrateKbps(sampleRate: number, channels: 1 | 2): number {
  const mono: Record<number, number> = { 24000: 40, 32000: 48, 44100: 64, 48000: 64 };
  const stereo: Record<number, number> = { 22050: 48, 24000: 64, 32000: 80, 44100: 112, 48000: 128 };
  return (channels === 1 ? mono : stereo)[sampleRate] ?? 32;
}

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
    // lamejs picks a lower output rate by itself for low bitrates (and resamples badly), so refuse those.
    const kbps = lameCbrBitrateKbps(options.bitrateKbps ?? 128, format.sampleRate);
    const minimum = lameJsMinimumBitrateKbps(format.sampleRate, channels);
    if (kbps < minimum) {
      throw badOption(
        'bitrate',
        `the lamejs encoder this server runs would resample ${channels === 1 ? 'mono' : 'stereo'} ${format.sampleRate} Hz audio at ${kbps} kbps; ask for at least ${minimum} kbps`,
      );
    }
  }
  // LAME lowers a bitrate the output rate's MPEG version cannot carry (320 at 22.05 kHz gives 160); report what it uses.
  return options.vbrQuality !== undefined
    ? { inputSampleRate: format.sampleRate, outputSampleRate, channels, vbrQuality: options.vbrQuality }
    : {
        inputSampleRate: format.sampleRate,
        outputSampleRate,
        channels,
        bitrateKbps: lameCbrBitrateKbps(options.bitrateKbps ?? 128, outputSampleRate),
      };
}

async function createEncoder(name: EncoderName, settings: EncoderSettings, wasm?: WebAssembly.Module): Promise<Mp3Encoder> {
  if (name === 'lamejs') return createLameJsEncoder(settings);
  if (!wasm) throw new Error('the wasm encoder needs the compiled LAME module');
  return createWasmLameEncoder(wasm, settings);
}

/** Checks the options against the header, refusing what cannot or may not be converted, and settles the encoding. */
export function planConversion(format: WavFormat, options: ConversionOptions): ConversionPlan {
  const seconds = format.frames / format.sampleRate;
  if (options.maxDurationSeconds !== undefined && seconds > options.maxDurationSeconds) {
    throw tooLong('duration', `the recording lasts ${Math.round(seconds)} s; this server converts at most ${options.maxDurationSeconds} s`);
  }
  const settings = encoderSettings(format, options);
  const outputSamples = Math.round((format.frames * settings.outputSampleRate) / format.sampleRate);
  const spf = samplesPerFrame(mpegVersionForRate(settings.outputSampleRate)!);
  if (options.maxOutputBytes !== undefined && settings.bitrateKbps !== undefined) {
    // At least this many whole frames of at least this size: a lower bound, so only a sure overrun is refused.
    const leastBytes = Math.floor(outputSamples / spf) * Math.floor((spf * settings.bitrateKbps * 125) / settings.outputSampleRate);
    if (leastBytes > options.maxOutputBytes) {
      throw tooLarge(
        'output size',
        `at ${settings.bitrateKbps} kbps the MP3 of this recording takes at least ${leastBytes} bytes; ${options.maxOutputBytes} may still be stored`,
        leastBytes,
      );
    }
  }
  return { format, options, settings, outputSamples, samplesPerFrame: spf };
}

/**
 * Reads the header of a WAV file and plans its conversion. A file still arriving is read as soon as its header is on
 * disk, so a recording that will be refused is refused before the rest of it arrives. Its limits (duration, size)
 * are then judged on the length its header declares, whether or not the whole file has already arrived: a file cut
 * short of a length over the limit is refused whatever the timing. Only a data chunk of unknown size (streaming
 * writers) makes this wait for the whole file, since its length is the file's.
 */
export async function planConversionOf(source: string | ArrivingFile, options: ConversionOptions): Promise<ConversionPlan> {
  const arriving = typeof source === 'string' ? undefined : source;
  const file = await open(arriving ? arriving.path : (source as string), 'r');
  try {
    if (!arriving) {
      const { size } = await file.stat();
      return planConversion(await readWavHeader(positionalReader(file, size), size), options);
    }
    const read = arrivingReader(file, arriving);
    const format = await readWavHeader(read, Number.POSITIVE_INFINITY);
    if (Number.isFinite(format.frames)) return planConversion(format, options);
    return planConversion(await readWavHeader(read, await arriving.complete()), options);
  } finally {
    await file.close();
  }
}

/**
 * The plan of `plan`'s file now that it has all arrived: the same, or, for a file cut short of what its header
 * declared, one with the frames it really holds.
 */
export async function settledPlan(plan: ConversionPlan, arriving: ArrivingFile): Promise<ConversionPlan> {
  const size = await arriving.complete();
  if (plan.format.dataOffset + plan.format.dataBytes <= size) return plan;
  return planConversionOf(arriving.path, plan.options);
}

/** Decodes and encodes input frames [from, to) of a planned conversion, each encoder output handed to `emit`. */
async function encodeFrames(
  file: FileHandle,
  plan: ConversionPlan,
  emit: (encoded: Uint8Array) => Promise<void>,
  wasm: WebAssembly.Module | undefined,
  range?: { from: number; to: number },
): Promise<void> {
  const encoder = await createEncoder(plan.options.encoder, plan.settings, wasm);
  const samples = sampleChunks(file, plan.format, range);
  const decoder = createPcmDecoder(samples.layout, plan.settings.channels);
  // Kept for the next conversion on this thread, like the read buffer (spare-buffers.ts).
  const planes = Array.from({ length: plan.settings.channels }, () => new Float32Array(takeBuffer(samples.maxFrames * Float32Array.BYTES_PER_ELEMENT)));
  try {
    for await (const { bytes, frames } of samples.read()) {
      decoder.decode(bytes, frames, planes);
      await emit(encoder.encode(planes, frames));
    }
    await emit(encoder.finish());
  } finally {
    for (const plane of planes) giveBack(plane.buffer);
  }
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
    const plan = planConversion(await readWavHeader(positionalReader(file, size), size), options);
    const output = new Mp3Output(plan, sink);
    await output.begin();
    // A copy of its own: the encoder reuses its output memory, and the sink may transfer the buffer.
    await encodeFrames(file, plan, (encoded) => output.audio(encoded.slice()), wasm);
    return output.end();
  } finally {
    await file.close();
  }
}

// The size of the buffer the last piece on this thread gathered its output in: a minute at 128 kbps fits.
let pieceBufferBytes = 1 << 20;

/**
 * One piece of a conversion split across threads (split-plan.ts): input frames [from, to) encoded from a fresh
 * encoder, the raw frames only (no tags), for the main thread to join.
 */
export async function encodeWavPiece(path: string, plan: ConversionPlan, range: { from: number; to: number }, wasm?: WebAssembly.Module): Promise<Uint8Array> {
  const file = await open(path, 'r');
  // The encoder's output gathers in a buffer kept for the next piece on this thread (spare-buffers.ts), grown as
  // needed; the piece is one copy of exactly its bytes.
  let gathered = new Uint8Array(takeBuffer(pieceBufferBytes));
  try {
    let bytes = 0;
    await encodeFrames(
      file,
      plan,
      async (encoded) => {
        if (bytes + encoded.length > gathered.length) {
          const larger = new Uint8Array(takeBuffer(Math.max(2 * gathered.length, bytes + encoded.length)));
          larger.set(gathered.subarray(0, bytes));
          gathered = larger;
        }
        gathered.set(encoded, bytes);
        bytes += encoded.length;
      },
      wasm,
      range,
    );
    return gathered.slice(0, bytes);
  } finally {
    pieceBufferBytes = gathered.length;
    giveBack(gathered.buffer);
    await file.close();
  }
}
