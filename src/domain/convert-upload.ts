// The upload use case: convert a spooled WAV, as it arrives, and store the MP3 with its metadata, all or nothing.
import { randomUUID } from 'node:crypto';
import type { ArrivingFile } from '../audio/arriving-file.js';
import type { Sql } from '../db/connect.js';
import { insertRecord, type RecordRow } from '../db/record-queries.js';
import { AudioError, tooLarge } from '../audio/audio-error.js';
import { ConversionPoolBusyError, ConversionTimeoutError, type ConversionPool } from '../audio/conversion-pool.js';
import type { ConversionOptions } from '../audio/convert-wav.js';
import { DomainError, type DomainErrorCode } from './errors.js';
import { RECORD_CHUNK_BYTES, RecordChunkWriter } from './record-chunk-writer.js';
import { ensureRoomAtCommit, quotaExceeded, type StorageQuota } from './storage-quota.js';
import { cleanUploadName } from './upload-name.js';

export interface UploadedWav {
  /** The spooled file, possibly still arriving; the caller removes it afterwards. */
  file: ArrivingFile;
  /** The client's file name; stored, and used as the MP3's title, once cleaned (see upload-name.ts). */
  originalName: string;
}

/** Told about every conversion, for logs and metrics; the use case itself stays free of both. */
export interface ConversionOutcomeListener {
  started(): void;
  succeeded(event: { record: RecordRow; audioSeconds: number; wallSeconds: number }): void;
  failed(event: { reason: string; message: string; wallSeconds: number }): void;
}

export interface ConvertUploadDeps {
  sql: Sql;
  pool: ConversionPool;
  storageQuota: StorageQuota;
  events?: ConversionOutcomeListener;
}

// Seconds to suggest to a client turned away because every thread is busy: about one short conversion.
const BUSY_RETRY_AFTER_SECONDS = 5;
// Seconds to suggest after a conversion ran past CONVERSION_TIMEOUT_MS.
const TIMEOUT_RETRY_AFTER_SECONDS = 60;

const AUDIO_ERROR_CODES: Record<AudioError['kind'], DomainErrorCode> = {
  unsupported: 'unsupported-audio',
  invalid: 'invalid-audio',
  option: 'unsupported-option',
  'too-long': 'audio-too-long',
  'too-large': 'storage-quota-exceeded',
};

const serviceBusy = () =>
  new DomainError('service-busy', 'every conversion slot is taken; retry shortly', { retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS });

/** Refuses an upload before its body is read when no thread and no queue place is free for it. */
export function ensureConversionCapacity(pool: ConversionPool): void {
  if (pool.isFull) throw serviceBusy();
}

/** `quota`: what the user may store and had left when the conversion started, for the facts of a quota refusal. */
function domainErrorOf(error: unknown, quota?: { allowedBytes: number; leftBytes: number }): unknown {
  // The worker knows the size the MP3 needs; the quota and what was left of it are known here.
  if (error instanceof AudioError && error.kind === 'too-large' && quota) {
    return quotaExceeded({ usedBytes: quota.allowedBytes - quota.leftBytes, allowedBytes: quota.allowedBytes }, error.bytes);
  }
  if (error instanceof AudioError) {
    return new DomainError(AUDIO_ERROR_CODES[error.kind], error.message, { property: error.property });
  }
  if (error instanceof ConversionPoolBusyError) return serviceBusy();
  if (error instanceof ConversionTimeoutError) {
    // Like every 503, with a time to wait: a busy machine may have been the cause, and a minute lets it calm down.
    return new DomainError('conversion-timeout', 'the conversion took longer than this server allows; retry later, or try a shorter file', {
      retryAfterSeconds: TIMEOUT_RETRY_AFTER_SECONDS,
    });
  }
  return error;
}

/** How the caller steers a conversion that begins before its request has been read to the end. */
export interface ConversionControl {
  /** Stops the conversion; nothing of it is kept. */
  signal?: AbortSignal;
  /** Awaited before the record is committed: the rest of the request must be read and valid first. */
  beforeCommit?: Promise<unknown>;
}

export async function convertUpload(
  { sql, pool, events, storageQuota }: ConvertUploadDeps,
  userId: string,
  upload: UploadedWav,
  options: Omit<ConversionOptions, 'title'>,
  { signal, beforeCommit }: ConversionControl = {},
): Promise<RecordRow> {
  const recordId = randomUUID();
  const name = cleanUploadName(upload.originalName);
  const writer = new RecordChunkWriter(sql, recordId);
  const started = performance.now();
  const wallSeconds = () => (performance.now() - started) / 1000;
  events?.started();
  try {
    const room = options.maxOutputBytes;
    const store = (bytes: Uint8Array) => {
      // A VBR MP3's size is known only as it is made: one that outgrows the room left stops there, not at its commit.
      if (room !== undefined && writer.bytes + bytes.length > room) {
        throw tooLarge('output size', `the MP3 of this recording outgrows the ${room} bytes that may still be stored`, writer.bytes + bytes.length);
      }
      return writer.write(bytes);
    };
    const summary = await pool.convert(upload.file, { ...options, title: name }, store, signal);
    await writer.patch(summary.infoFrame.offset, summary.infoFrame.bytes);
    if (summary.id3Tag) await writer.patch(summary.id3Tag.offset, summary.id3Tag.bytes);
    await beforeCommit;
    signal?.throwIfAborted();
    const record = await writer.commit(async (tx) => {
      await ensureRoomAtCommit(tx, userId, writer.bytes, storageQuota);
      return insertRecord(tx, {
        id: recordId,
        userId,
        originalName: name,
        inputContainer: summary.input.container,
        inputEncoding: summary.input.encoding,
        inputBitsPerSample: summary.input.bitsPerSample,
        inputSampleRate: summary.input.sampleRate,
        inputChannels: summary.input.channels,
        durationSeconds: summary.input.durationSeconds,
        declaredDurationSeconds: summary.input.declaredDurationSeconds,
        sampleRate: summary.output.sampleRate,
        channels: summary.output.channels,
        bitrateKbps: summary.output.bitrateKbps,
        vbrQuality: summary.output.vbrQuality,
        encoder: summary.output.encoder,
        byteSize: writer.bytes,
        audioSha256: Buffer.from(summary.output.audioSha256),
        chunkBytes: RECORD_CHUNK_BYTES,
      });
    });
    events?.succeeded({ record, audioSeconds: summary.input.durationSeconds, wallSeconds: wallSeconds() });
    return record;
  } catch (error) {
    await writer.abort();
    const translated = domainErrorOf(
      error,
      options.maxOutputBytes === undefined ? undefined : { allowedBytes: storageQuota.maxBytesPerUser, leftBytes: options.maxOutputBytes },
    );
    events?.failed({
      // Stopped by its request (the upload failed or was refused, or options came after the file): not a fault.
      reason: signal?.aborted ? 'cancelled' : translated instanceof DomainError ? translated.code : 'internal-error',
      message: translated instanceof Error ? translated.message : String(translated),
      wallSeconds: wallSeconds(),
    });
    throw translated;
  }
}
