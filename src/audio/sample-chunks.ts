// The audio of a WAV file as a sequence of chunks of samples in a form the sample decoder reads: the data's own bytes
// for PCM, float and G.711, and for ADPCM and GSM their blocks decoded to 16-bit PCM. Buffers are allocated once per
// file and reused, so memory stays at about a megabyte whatever the length of the recording.
import type { FileHandle } from 'node:fs/promises';
import { createBlockDecoder } from './block-codecs.js';
import { giveBack, takeBuffer } from './spare-buffers.js';
import type { WavFormat } from './wav-header.js';

export interface SampleChunk {
  bytes: Uint8Array;
  frames: number;
}

export interface SampleChunks {
  /** How the chunks' bytes are laid out (for a block-coded file, 16-bit PCM in this machine's byte order). */
  readonly layout: WavFormat;
  /** The most frames one chunk holds. */
  readonly maxFrames: number;
  /** Every chunk in order, `format.frames` frames in all (fewer if the file shrinks while it is read). */
  read(): AsyncGenerator<SampleChunk>;
}

// About a megabyte of data per read.
const TARGET_READ_BYTES = 1 << 20;
// Sample formats are read in whole MP3 frames (1152 samples), so that the encoder never holds a remainder.
const MP3_FRAME_SAMPLES = 1152;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Input frames [from, to) of the recording. */
export interface FrameRange {
  from: number;
  to: number;
}

function rawChunks(file: FileHandle, format: WavFormat, range: FrameRange = { from: 0, to: format.frames }): SampleChunks {
  const maxFrames = Math.max(1, Math.floor(TARGET_READ_BYTES / format.frameBytes / MP3_FRAME_SAMPLES)) * MP3_FRAME_SAMPLES;
  return {
    layout: format,
    maxFrames,
    async *read() {
      // Taken when the reading starts, given back when it ends: the next piece on this thread reads into it.
      const raw = new Uint8Array(takeBuffer(maxFrames * format.frameBytes));
      try {
        const end = Math.min(range.to, format.frames);
        for (let done = range.from; done < end; ) {
          const want = Math.min(maxFrames, end - done) * format.frameBytes;
          const { bytesRead } = await file.read(raw, 0, want, format.dataOffset + done * format.frameBytes);
          const frames = Math.floor(bytesRead / format.frameBytes);
          if (frames === 0) return;
          yield { bytes: raw, frames };
          done += frames;
        }
      } finally {
        giveBack(raw.buffer);
      }
    },
  };
}

function decodedBlockChunks(file: FileHandle, format: WavFormat & Required<Pick<WavFormat, 'blocks'>>): SampleChunks {
  const decoder = createBlockDecoder(format.blocks);
  const { blockAlign, framesPerBlock } = format.blocks;
  const blocksPerRead = Math.max(1, Math.floor(TARGET_READ_BYTES / blockAlign));
  const raw = new Uint8Array(blocksPerRead * blockAlign);
  const maxFrames = blocksPerRead * framesPerBlock;
  const pcm = new Int16Array(maxFrames * format.channels);
  const bytes = new Uint8Array(pcm.buffer);
  return {
    layout: { ...format, encoding: 'pcm', bytesPerSample: 2, frameBytes: 2 * format.channels, littleEndian: HOST_LITTLE_ENDIAN },
    maxFrames,
    async *read() {
      let done = 0;
      for (let position = 0; position < format.dataBytes && done < format.frames; ) {
        const { bytesRead } = await file.read(raw, 0, Math.min(raw.length, format.dataBytes - position), format.dataOffset + position);
        if (bytesRead === 0) return;
        let frames = 0;
        for (let at = 0; at < bytesRead && done + frames < format.frames; at += blockAlign) {
          const got = decoder.decodeBlock(raw.subarray(at, Math.min(at + blockAlign, bytesRead)), pcm.subarray(frames * format.channels));
          // The fact chunk may end the audio inside the last block, which is padding after that.
          frames += Math.min(got, format.frames - done - frames);
        }
        if (frames === 0) return;
        yield { bytes, frames };
        done += frames;
        position += bytesRead;
      }
    },
  };
}

/**
 * The chunks of the whole recording, or of `range` of it. A range needs a sample format: block-coded audio (ADPCM,
 * GSM) is only read from its start, since GSM's decoder carries its state from block to block.
 */
export function sampleChunks(file: FileHandle, format: WavFormat, range?: FrameRange): SampleChunks {
  if (!format.blocks) return rawChunks(file, format, range);
  if (range) throw new Error('a range of block-coded audio cannot be read');
  return decodedBlockChunks(file, { ...format, blocks: format.blocks });
}
