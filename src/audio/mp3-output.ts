// What every conversion writes around the encoder's frames, whether one thread encoded them or several: an ID3v2.4
// tag, a placeholder for the Info/LAME tag frame, the audio (counted, hashed and walked for the Info frame), and at
// the end the summary with the real Info frame for the caller to write over the placeholder.
import { createHash } from 'node:crypto';
import { buildId3v24Tag } from './id3-tag.js';
import { buildInfoFrame, infoFrameStats, type InfoFrameSpec } from './lame-tag.js';
import { Mp3StreamStats } from './mp3-frames.js';
import type { ConversionOptions, ConversionSummary, Mp3Sink } from './convert-wav.js';
import type { EncoderSettings } from './mp3-encoder.js';
import type { WavFormat } from './wav-header.js';

/** What a conversion was decided to be, once the header was read and the options checked against it. */
export interface ConversionPlan {
  format: WavFormat;
  options: ConversionOptions;
  settings: EncoderSettings;
  /** Output samples per channel, after resampling. */
  outputSamples: number;
  samplesPerFrame: number;
}

export class Mp3Output {
  #bytes = 0;
  #id3Bytes = 0;
  #infoOffset = 0;
  readonly #audio = new Mp3StreamStats();
  readonly #audioHash = createHash('sha256');
  readonly #infoSpec: InfoFrameSpec;

  constructor(
    readonly plan: ConversionPlan,
    readonly sink: Mp3Sink,
  ) {
    const { settings, format, options } = plan;
    this.#infoSpec = {
      sampleRate: settings.outputSampleRate,
      channels: settings.channels,
      bitrateKbps: settings.bitrateKbps ?? null,
      vbrQuality: settings.vbrQuality ?? null,
      inputSampleRate: format.sampleRate,
      stereoMode: options.encoder === 'lamejs' ? 'stereo' : 'joint-stereo',
    };
  }

  async #emit(bytes: Uint8Array): Promise<void> {
    this.#bytes += bytes.length;
    await this.sink(bytes);
  }

  /** Tags first: the ID3 tag is complete now; the Info frame is a placeholder of its final size. */
  async begin(): Promise<void> {
    await this.#emit(this.#id3Tag(this.plan));
    this.#id3Bytes = this.#infoOffset = this.#bytes;
    await this.#emit(buildInfoFrame(this.#infoSpec));
  }

  /** Audio frames, in order; the bytes become the output's (the sink may transfer their buffer). */
  async audio(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    this.#audio.push(bytes);
    this.#audioHash.update(bytes);
    await this.#emit(bytes);
  }

  #id3Tag({ format, options }: ConversionPlan, sizeBytes?: number): Uint8Array {
    return buildId3v24Tag({ title: options.title ?? '', lengthMs: Math.round((format.frames / format.sampleRate) * 1000) }, sizeBytes);
  }

  /**
   * The summary, with the Info frame to write over its placeholder. `settled` is the plan of the file as it finally
   * arrived: one cut short of what its header declared has fewer frames, and then the ID3 tag written first is
   * replaced too (same size, its length corrected).
   */
  end(settled: ConversionPlan = this.plan): ConversionSummary {
    this.#audio.finish();
    const { format, options, settings, samplesPerFrame, outputSamples } = settled;
    const retagged = format.frames !== this.plan.format.frames;
    const id3Tag = retagged ? this.#id3Tag(settled, this.#id3Bytes) : undefined;
    // Fewer frames never need more digits; a longer tag would overwrite the Info frame.
    if (id3Tag && id3Tag.length !== this.#id3Bytes) throw new Error(`the corrected ID3 tag takes ${id3Tag.length} bytes, not ${this.#id3Bytes}`);
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
        declaredDurationSeconds: format.declaredFrames / format.sampleRate,
      },
      output: {
        encoder: options.encoder,
        sampleRate: settings.outputSampleRate,
        channels: settings.channels,
        bitrateKbps: settings.bitrateKbps ?? null,
        vbrQuality: settings.vbrQuality ?? null,
        bytes: this.#bytes,
        audioSha256: new Uint8Array(this.#audioHash.digest()),
      },
      infoFrame: { offset: this.#infoOffset, bytes: buildInfoFrame(this.#infoSpec, infoFrameStats(this.#audio, samplesPerFrame, outputSamples)) },
      ...(id3Tag ? { id3Tag: { offset: 0, bytes: id3Tag } } : {}),
    };
  }
}
