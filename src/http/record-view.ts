// How a record is shown to clients: its JSON shape, its download URL and its MP3 file name.
import type { RecordRow } from '../db/record-queries.js';

/** "take.WAV" → "take.mp3"; a name without the extension gains one. */
export function mp3FileName(originalName: string): string {
  const base = originalName.replace(/\.(wav|wave)$/i, '');
  return `${base || 'audio'}.mp3`;
}

/** `origin`: `http://host:port` as the client reaches the service (see request-origin.ts). */
export function recordUrl(origin: string, record: Pick<RecordRow, 'id' | 'userId'>): string {
  return `${origin}/record?id=${record.id}&user=${record.userId}`;
}

export function recordView(origin: string, record: RecordRow) {
  return {
    id: record.id,
    user: record.userId,
    url: recordUrl(origin, record),
    name: record.originalName,
    fileName: mp3FileName(record.originalName),
    createdAt: record.createdAt.toISOString(),
    input: {
      container: record.inputContainer,
      encoding: record.inputEncoding,
      bitsPerSample: record.inputBitsPerSample,
      sampleRate: record.inputSampleRate,
      channels: record.inputChannels,
      durationSeconds: record.durationSeconds,
      truncated: record.declaredDurationSeconds > record.durationSeconds,
      declaredDurationSeconds: record.declaredDurationSeconds,
    },
    output: {
      encoder: record.encoder,
      sampleRate: record.sampleRate,
      channels: record.channels,
      bitrateKbps: record.bitrateKbps,
      vbrQuality: record.vbrQuality,
      bytes: record.byteSize,
    },
  };
}
