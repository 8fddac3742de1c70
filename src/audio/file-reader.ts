import type { FileHandle } from 'node:fs/promises';
import type { ReadAt } from './wav-header.js';

/** Positional reads of an open file of `size` bytes, as readWavHeader wants them; short at the end of the file. */
export function positionalReader(file: FileHandle, size: number): ReadAt {
  return async (position, length) => {
    const buffer = new Uint8Array(Math.max(0, Math.min(length, size - position)));
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
    return buffer.subarray(0, bytesRead);
  };
}
