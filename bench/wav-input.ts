// Benchmark inputs, written to disk a second at a time so that even an hour of audio never sits in memory.
import { open } from 'node:fs/promises';

export interface BenchWavSpec {
  seconds: number;
  sampleRate: number;
  channels: 1 | 2;
  /** music: chords with harmonics that change every quarter second; voice: a gliding, pulsed formant-like tone. */
  content: 'music' | 'voice';
}

function fillSecond(spec: BenchWavSpec, second: number, out: Int16Array): void {
  const { sampleRate, channels } = spec;
  let seed = (second * 2654435761) >>> 0;
  const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  for (let i = 0; i < sampleRate; i++) {
    const t = second + i / sampleRate;
    let left: number;
    let right: number;
    if (spec.content === 'music') {
      const note = 220 * 2 ** (((Math.floor(t * 4) * 7) % 24) / 12);
      let tone = 0;
      for (let h = 1; h <= 5; h++) tone += Math.sin(2 * Math.PI * note * h * t) / h;
      const bass = Math.sin(2 * Math.PI * (note / 2) * t);
      left = 0.3 * tone + 0.2 * bass + 0.01 * random();
      right = 0.25 * tone + 0.25 * Math.sin(2 * Math.PI * note * 1.5 * t) + 0.01 * random();
    } else {
      const pitch = 140 + 40 * Math.sin(2 * Math.PI * 0.7 * t);
      const envelope = Math.max(0, Math.sin(2 * Math.PI * 3 * t));
      left = right = envelope * (0.4 * Math.sin(2 * Math.PI * pitch * t) + 0.2 * Math.sin(2 * Math.PI * pitch * 3.1 * t)) + 0.005 * random();
    }
    out[i * channels] = Math.round(left * 32767);
    if (channels === 2) out[i * channels + 1] = Math.round(right * 32767);
  }
}

/** Writes a 16-bit PCM WAV to `path`; returns its size in bytes. */
export async function writeBenchWav(path: string, spec: BenchWavSpec): Promise<number> {
  const frameBytes = 2 * spec.channels;
  const dataBytes = spec.seconds * spec.sampleRate * frameBytes;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(spec.channels, 22);
  header.writeUInt32LE(spec.sampleRate, 24);
  header.writeUInt32LE(spec.sampleRate * frameBytes, 28);
  header.writeUInt16LE(frameBytes, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(dataBytes, 40);
  const file = await open(path, 'w');
  try {
    await file.write(header);
    const second = new Int16Array(spec.sampleRate * spec.channels);
    for (let s = 0; s < spec.seconds; s++) {
      fillSecond(spec, s, second);
      await file.write(new Uint8Array(second.buffer));
    }
  } finally {
    await file.close();
  }
  return 44 + dataBytes;
}
