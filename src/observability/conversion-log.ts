// One log line per conversion: what came in, what went out, how long it took, or why it failed.
import type { ConversionOutcomeListener } from '../domain/convert-upload.js';
import type { Logger } from '../log.js';

export function conversionLog(log: Logger): ConversionOutcomeListener {
  return {
    started: () => {},
    succeeded: ({ record, audioSeconds, wallSeconds }) =>
      log.info(
        {
          recordId: record.id,
          userId: record.userId,
          input: { container: record.inputContainer, encoding: record.inputEncoding, bits: record.inputBitsPerSample, sampleRate: record.inputSampleRate, channels: record.inputChannels },
          audioSeconds,
          encoder: record.encoder,
          output: { sampleRate: record.sampleRate, channels: record.channels, bitrateKbps: record.bitrateKbps, vbrQuality: record.vbrQuality, bytes: record.byteSize },
          conversionMs: Math.round(wallSeconds * 1000),
          speed: Number((audioSeconds / wallSeconds).toFixed(1)),
        },
        'conversion stored',
      ),
    failed: ({ reason, message, wallSeconds }) =>
      log.info({ reason, detail: message, conversionMs: Math.round(wallSeconds * 1000) }, 'conversion failed'),
  };
}

/** Several listeners as one. */
export function allOf(...listeners: ConversionOutcomeListener[]): ConversionOutcomeListener {
  return {
    started: () => listeners.forEach((l) => l.started()),
    succeeded: (event) => listeners.forEach((l) => l.succeeded(event)),
    failed: (event) => listeners.forEach((l) => l.failed(event)),
  };
}
