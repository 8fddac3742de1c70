// Clients that upload the same WAV back to back, several at once, until told to stop: the load a busy service sees.
import { setTimeout as sleep } from 'node:timers/promises';
import { uploadFile } from './service-under-test.js';

export interface UploadLoadResult {
  /** Milliseconds from the start of the load to each 201. */
  completedAtMs: number[];
  /** Upload → 201 of each completed upload, in milliseconds. */
  latenciesMs: number[];
  /** 503 answers: every thread busy and the queue full. */
  refused: number;
}

// A refused client waits a little rather than hammering the service with uploads it will refuse again.
const PAUSE_AFTER_REFUSAL_MS = 100;

/**
 * One client per user given (the service caps conversions in progress per user, as it should for distinct people);
 * each starts a new upload as soon as its last one is answered, while `stop` is not aborted.
 */
export async function uploadBackToBack(
  url: string,
  users: { id: string; token: string }[],
  wavPath: string,
  stop: AbortSignal,
): Promise<UploadLoadResult> {
  const started = performance.now();
  const result: UploadLoadResult = { completedAtMs: [], latenciesMs: [], refused: 0 };
  const client = async (user: { id: string; token: string }) => {
    while (!stop.aborted) {
      const sent = performance.now();
      const { status, body } = await uploadFile(url, user, wavPath);
      const answered = performance.now();
      if (status === 201) {
        result.completedAtMs.push(answered - started);
        result.latenciesMs.push(answered - sent);
      } else if (status === 503) {
        result.refused++;
        await sleep(PAUSE_AFTER_REFUSAL_MS);
      } else {
        throw new Error(`upload answered ${status}: ${JSON.stringify(body)}`);
      }
    }
  };
  await Promise.all(users.map(client));
  return result;
}

/**
 * Completed conversions per second: uploads completed divided by the time of the last completion. Uploads still
 * running when the window closes are finished and counted, so no partial work is lost or invented.
 */
export function conversionsPerSecond(result: UploadLoadResult): number {
  const lastMs = Math.max(...result.completedAtMs);
  return result.completedAtMs.length / (lastMs / 1000);
}
