// What two independent MP3 checkers say about a stream: ffmpeg's decoder (its errors at -v error) and mp3val (its
// warnings and errors about the frames and tags). Test-only tools; .ci/run installs both.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface StreamVerdicts {
  /** ffmpeg's stderr at -v error: empty when it decoded every frame. */
  ffmpeg: string;
  /** mp3val's WARNING and ERROR lines, the file's name left out. */
  mp3val: string[];
}

export async function checkMp3Stream(mp3: Uint8Array): Promise<StreamVerdicts> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-stream-check-'));
  try {
    const file = path.join(dir, 'stream.mp3');
    await writeFile(file, mp3);
    const ffmpeg = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { maxBuffer: 1 << 24 });
    const mp3val = await run('mp3val', [file], { maxBuffer: 1 << 24 });
    return {
      ffmpeg: ffmpeg.stderr.trim(),
      mp3val: mp3val.stdout
        .split('\n')
        .filter((line) => /^(WARNING|ERROR)/.test(line))
        .map((line) => line.replace(`"${file}": `, '')),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
