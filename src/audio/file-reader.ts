import type { FileHandle } from 'node:fs/promises';
import type { ArrivingFile } from './arriving-file.js';
import type { ReadAt } from './wav-header.js';

/** Positional reads of an open file of `size` bytes, as readWavHeader wants them; short at the end of the file. */
export function positionalReader(file: FileHandle, size: number): ReadAt {
  return async (position, length) => {
    const buffer = new Uint8Array(Math.max(0, Math.min(length, size - position)));
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
    return buffer.subarray(0, bytesRead);
  };
}

/** Positional reads of a file that may still be arriving: each waits until its bytes are on disk or the file ended. */
export function arrivingReader(file: FileHandle, arriving: ArrivingFile): ReadAt {
  return async (position, length) => positionalReader(file, await arriving.available(position + length))(position, length);
}
