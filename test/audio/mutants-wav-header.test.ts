// Header cases that StrykerJS showed untested (docs/MUTATION.md): the exact edges of what is accepted, the names
// and numbers the refusals give, chunks in the orders real writers use, and the bound on the chunk walk.
import { suite } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { AudioError } from '../../src/audio/audio-error.js';
import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, readWavHeader, type WavFormat } from '../../src/audio/wav-header.js';

const header = suite('readWavHeader, at its edges');

interface RawChunk {
  id: string;
  body: Uint8Array;
  /** The size field, when it must not be the body's length (0xFFFFFFFF, a lie). */
  size?: number;
}

/** A WAVE file of exactly these chunks, in this order, with pad bytes after odd bodies. */
function riff(chunks: RawChunk[], container: 'RIFF' | 'RIFX' | 'RF64' | 'BW64' = 'RIFF'): Uint8Array {
  const littleEndian = container !== 'RIFX';
  const total = 12 + chunks.reduce((n, c) => n + 8 + c.body.length + (c.body.length & 1), 0);
  const file = new Uint8Array(total);
  const view = new DataView(file.buffer);
  const ascii = (at: number, text: string) => file.set(new TextEncoder().encode(text), at);
  ascii(0, container);
  view.setUint32(4, container === 'RF64' || container === 'BW64' ? 0xffffffff : total - 8, littleEndian);
  ascii(8, 'WAVE');
  let at = 12;
  for (const chunk of chunks) {
    ascii(at, chunk.id);
    view.setUint32(at + 4, chunk.size ?? chunk.body.length, littleEndian);
    file.set(chunk.body, at + 8);
    at += 8 + chunk.body.length + (chunk.body.length & 1);
  }
  return file;
}

interface FmtFields {
  tag?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  littleEndian?: boolean;
  /** WAVE_FORMAT_EXTENSIBLE with this sub-format tag, valid bits and channel mask. */
  extensible?: { subFormat: number; validBits: number; mask: number };
  /** Bytes of the chunk body; 16 (40 for extensible) unless given. */
  bytes?: number;
}

function fmt(fields: FmtFields = {}): RawChunk {
  const { tag = 1, channels = 1, rate = 8000, bits = 16, littleEndian = true, extensible } = fields;
  const body = new Uint8Array(fields.bytes ?? (extensible ? 40 : 16));
  const view = new DataView(body.buffer);
  const frameBytes = Math.ceil(bits / 8) * channels;
  const set16 = (at: number, value: number) => at + 2 <= body.length && view.setUint16(at, value, littleEndian);
  const set32 = (at: number, value: number) => at + 4 <= body.length && view.setUint32(at, value, littleEndian);
  set16(0, extensible ? 0xfffe : tag);
  set16(2, channels);
  set32(4, rate);
  set32(8, rate * frameBytes);
  set16(12, frameBytes);
  set16(14, bits);
  if (extensible) {
    set16(16, 22);
    set16(18, extensible.validBits);
    set32(20, extensible.mask);
    set32(24, extensible.subFormat);
  }
  return { id: 'fmt ', body };
}

const data = (bytes: number, size?: number): RawChunk => ({ id: 'data', body: new Uint8Array(bytes), ...(size === undefined ? {} : { size }) });

/** Parses `bytes` as a file of `fileBytes` bytes (its real length unless given), counting the reads. */
async function parse(bytes: Uint8Array, fileBytes = bytes.length): Promise<WavFormat & { reads: number }> {
  let reads = 0;
  const format = await readWavHeader(async (position, length) => {
    reads++;
    return bytes.subarray(position, Math.min(bytes.length, position + length));
  }, fileBytes);
  return { ...format, reads };
}

async function refusal(bytes: Uint8Array, fileBytes = bytes.length): Promise<AudioError> {
  try {
    await parse(bytes, fileBytes);
  } catch (error) {
    if (error instanceof AudioError) return error;
    throw error;
  }
  throw new Error('the header was accepted');
}

header('when the sample rate is exactly the lowest or the highest supported, then it is accepted; one hertz beyond, refused', async () => {
  assert.is((await parse(riff([fmt({ rate: MIN_SAMPLE_RATE }), data(200)]))).sampleRate, 4000);
  assert.is((await parse(riff([fmt({ rate: MAX_SAMPLE_RATE }), data(200)]))).sampleRate, 384000);
  for (const rate of [MIN_SAMPLE_RATE - 1, MAX_SAMPLE_RATE + 1]) {
    const error = await refusal(riff([fmt({ rate }), data(200)]));
    assert.is(error.property, 'sample rate');
    assert.is(error.message, `a sample rate of ${rate} Hz is not supported; supported: 4000 to 384000 Hz`);
  }
});

header('when a file has 8 channels, then it is accepted; 9, refused with the exact message', async () => {
  assert.is((await parse(riff([fmt({ channels: 8 }), data(160)]))).channels, 8);
  const error = await refusal(riff([fmt({ channels: 9 }), data(180)]));
  assert.is(error.message, '9 channels are not supported; supported: 1 to 8');
});

header('when a header declares zeros, then each refusal says exactly which field is zero', async () => {
  assert.is((await refusal(riff([fmt({ channels: 0 }), data(16)]))).message, 'the header declares 0 channels; a WAV needs at least 1');
  assert.is((await refusal(riff([fmt({ rate: 0 }), data(16)]))).message, 'the header declares a sample rate of 0 Hz');
  const zeroBits = await refusal(riff([fmt({ bits: 0 }), data(16)]));
  assert.is(zeroBits.kind, 'invalid');
  assert.is(zeroBits.message, 'the header declares 0 bits per sample');
});

header('when a format tag is refused, then its name is given where known and its hex code in capitals', async () => {
  const named: [number, string][] = [
    [0x0014, 'ITU G.723 ADPCM'],
    [0x0020, 'Yamaha ADPCM'],
    [0x0040, 'ITU G.721 ADPCM'],
    [0x0064, 'ITU G.726 ADPCM'],
    [0x0065, 'ITU G.722 ADPCM'],
    [0x0050, 'MPEG'],
    [0x00ff, 'AAC'],
    [0x0161, 'Windows Media Audio'],
    [0x2000, 'AC-3'],
    [0xf1ac, 'FLAC'],
  ];
  for (const [tag, name] of named) {
    const error = await refusal(riff([fmt({ tag }), data(16)]));
    const hex = '0x' + tag.toString(16).padStart(4, '0').toUpperCase();
    assert.is(error.message, `format tag ${hex} (${name}) is not supported; supported: PCM, IEEE float, A-law, µ-law, IMA ADPCM, Microsoft ADPCM, GSM 6.10`);
  }
  const unknown = await refusal(riff([fmt({ tag: 0xabcd }), data(16)]));
  assert.is(unknown.message, 'format tag 0xABCD is not supported; supported: PCM, IEEE float, A-law, µ-law, IMA ADPCM, Microsoft ADPCM, GSM 6.10');
});

header('when a sample size does not suit its encoding, then the refusal names the encoding and lists its sizes', async () => {
  const cases: [FmtFields, string][] = [
    [{ bits: 48 }, '48-bit PCM is not supported; supported: 8, 16, 24, 32 bits'],
    [{ tag: 3, bits: 16 }, '16-bit IEEE float is not supported; supported: 32, 64 bits'],
    [{ tag: 6, bits: 16 }, '16-bit A-law is not supported; supported: 8 bits'],
    [{ tag: 7, bits: 16 }, '16-bit µ-law is not supported; supported: 8 bits'],
    // Only PCM rounds its bits up to a container: 31-bit float is not 32-bit float.
    [{ tag: 3, bits: 31 }, '31-bit IEEE float is not supported; supported: 32, 64 bits'],
  ];
  for (const [fields, message] of cases) {
    const error = await refusal(riff([fmt(fields), data(64)]));
    assert.is(error.kind, 'unsupported');
    assert.is(error.message, message);
  }
});

header('when PCM has 12 or 20 bits, then its 16- or 24-bit container is read and the declared bits kept', async () => {
  const twelve = await parse(riff([fmt({ bits: 12, channels: 2 }), data(400)]));
  assert.equal([twelve.bytesPerSample, twelve.bitsPerSample, twelve.frameBytes, twelve.frames, twelve.extensible], [2, 12, 4, 100, false]);
  const twenty = await parse(riff([fmt({ bits: 20 }), data(300)]));
  assert.equal([twenty.bytesPerSample, twenty.bitsPerSample, twenty.frames], [3, 20, 100]);
});

header('when an extensible header gives valid bits, then they are kept, and more valid bits than the container are refused', async () => {
  const valid = await parse(riff([fmt({ bits: 32, extensible: { subFormat: 1, validBits: 24, mask: 0x4 } }), data(400)]));
  assert.equal([valid.encoding, valid.bytesPerSample, valid.bitsPerSample, valid.channelMask, valid.formatTag], ['pcm', 4, 24, 0x4, 1]);
  const tooMany = await refusal(riff([fmt({ bits: 16, extensible: { subFormat: 1, validBits: 24, mask: 0x4 } }), data(400)]));
  assert.equal([tooMany.kind, tooMany.property], ['invalid', 'bits per sample']);
  assert.is(tooMany.message, '24 valid bits do not fit in 16-bit samples');
  const exact = await parse(riff([fmt({ bits: 16, extensible: { subFormat: 1, validBits: 16, mask: 0 } }), data(400)]));
  assert.is(exact.bitsPerSample, 16);
});

header('when a big-endian RIFX file is extensible, then its sub-format is read in its byte order', async () => {
  const format = await parse(riff([fmt({ littleEndian: false, bits: 16, channels: 2, extensible: { subFormat: 1, validBits: 16, mask: 0x3 } }), data(400)], 'RIFX'));
  assert.equal([format.container, format.littleEndian, format.encoding, format.channelMask, format.frames], ['RIFX', false, 'pcm', 0x3, 100]);
});

header('when an fmt chunk is too short, then the refusal gives its size or the size extensible needs', async () => {
  const short = await refusal(riff([fmt({ bytes: 14 }), data(16)]));
  assert.equal([short.kind, short.property, short.message], ['invalid', 'fmt chunk', 'the fmt chunk is 14 bytes; it must be at least 16']);
  const shortExtensible = await refusal(riff([fmt({ bytes: 39, extensible: { subFormat: 1, validBits: 16, mask: 0 } }), data(16)]));
  assert.equal([shortExtensible.property, shortExtensible.message], ['fmt chunk', 'a WAVE_FORMAT_EXTENSIBLE fmt chunk must be 40 bytes']);
  // 18 bytes (cbSize 0), as many writers give plain PCM: accepted.
  assert.is((await parse(riff([fmt({ bytes: 18 }), data(16)]))).frames, 8);
});

header('when the file is BW64, then it is read as RF64 and its data size comes from ds64', async () => {
  const ds64 = new Uint8Array(28);
  new DataView(ds64.buffer).setBigUint64(8, 200n, true);
  const trailing = { id: 'LIST', body: new Uint8Array(100) };
  for (const container of ['RF64', 'BW64'] as const) {
    const format = await parse(riff([{ id: 'ds64', body: ds64 }, fmt(), data(200, 0xffffffff), trailing], container));
    // 200 bytes of data, not the 308 up to the end of the file: the LIST after the data is not audio.
    assert.equal([format.container, format.frames, format.truncated], ['RF64', 100, false]);
  }
  // Without a ds64 size, an unknown RF64 data size runs to the end of the file.
  const noDs64 = await parse(riff([fmt(), data(200, 0xffffffff)], 'RF64'));
  assert.is(noDs64.frames, 100);
});

header('when a short ds64 chunk gives no data size, then it is ignored rather than read past its end', async () => {
  const format = await parse(riff([{ id: 'ds64', body: new Uint8Array(12) }, fmt(), data(200, 0xffffffff)], 'RF64'));
  // Read past its 12 bytes, the "size" would take the next chunk's id as its high bytes: a size no file has.
  assert.equal([format.frames, format.truncated], [100, false]);
  // 16 bytes are enough: the data size is the second 64-bit field.
  const ds64 = new Uint8Array(16);
  new DataView(ds64.buffer).setBigUint64(8, 200n, true);
  const sixteen = await parse(riff([{ id: 'ds64', body: ds64 }, fmt(), data(200, 0xffffffff), { id: 'LIST', body: new Uint8Array(100) }], 'RF64'));
  assert.is(sixteen.frames, 100);
});

header('when the data comes before the fmt chunk, then the walk goes past the data to find fmt, pad byte included', async () => {
  const format = await parse(riff([data(201), fmt({ bits: 8 }), { id: 'LIST', body: new Uint8Array(4) }]));
  assert.equal([format.dataOffset, format.frames, format.bitsPerSample], [20, 201, 8]);
  // Head, data header, fmt header and body: once both are known, the LIST after them is not read.
  assert.is(format.reads, 4);
  // Data of unknown size before fmt: the data runs to the end, so there is no fmt to find.
  const error = await refusal(riff([data(200, 0), fmt()]));
  assert.is(error.message, 'the file has no fmt chunk, so its sample format is unknown');
});

header('when fmt and data are found, then no chunk after the data is read', async () => {
  const trailing = Array.from({ length: 50 }, () => ({ id: 'LIST', body: new Uint8Array(2) }));
  const format = await parse(riff([fmt(), data(200), ...trailing]));
  // The 12-byte head, fmt's header and body, data's header.
  assert.is(format.reads, 4);
  assert.is(format.frames, 100);
});

header('when a chunk other than data has no size (0xFFFFFFFF), then the file is refused naming that chunk', async () => {
  const error = await refusal(riff([fmt(), { id: 'LIST', body: new Uint8Array(4), size: 0xffffffff }, data(16)]));
  assert.equal([error.kind, error.property, error.message], ['invalid', 'LIST chunk', 'the "LIST" chunk has no size']);
  const id3 = await refusal(riff([fmt(), { id: 'id3 ', body: new Uint8Array(4), size: 0xffffffff }, data(16)]));
  assert.equal([id3.property, id3.message], ['id3 chunk', 'the "id3 " chunk has no size']);
});

header('when a RIFF data chunk has no size (0xFFFFFFFF), then it runs to the end of the file and is not truncated', async () => {
  const format = await parse(riff([fmt(), data(200, 0xffffffff)]));
  assert.equal([format.frames, format.truncated], [100, false]);
});

header('when an RF64 data chunk gives its real 32-bit size, then that size is used, ds64 or not', async () => {
  const format = await parse(riff([fmt(), data(200), { id: 'LIST', body: new Uint8Array(100) }], 'RF64'));
  assert.equal([format.frames, format.truncated], [100, false]);
});

header('when the chunks end exactly at the end of the file, then the walk reads nothing past it', async () => {
  let reads = 0;
  const bytes = riff([fmt(), { id: 'LIST', body: new Uint8Array(4) }]);
  try {
    await readWavHeader(async (position, length) => {
      reads++;
      return bytes.subarray(position, position + length);
    }, bytes.length);
  } catch (error) {
    assert.instance(error, AudioError);
  }
  // Head, fmt header and body, LIST header.
  assert.is(reads, 4);
});

header('when the last 8 bytes of the file are a data chunk header, then it is found, with no whole frame', async () => {
  const error = await refusal(riff([fmt(), data(0, 100)]));
  assert.is(error.message, 'the data chunk holds no complete audio frame');
});

header('when a file is nothing but empty chunks, then at most 10,000 of them are read', async () => {
  const chunks = riff(Array.from({ length: 12_000 }, () => ({ id: 'JUNK', body: new Uint8Array(0) })));
  let reads = 0;
  try {
    await readWavHeader(async (position, length) => {
      reads++;
      return chunks.subarray(position, position + length);
    }, chunks.length);
    assert.unreachable('a file without fmt was accepted');
  } catch (error) {
    assert.instance(error, AudioError);
  }
  assert.is(reads, 1 + 10_000);
});

header('when the file is shorter than it claims, then the walk stops at the short read', async () => {
  // The reader says 1,000 bytes more than it holds, as for a file still being written.
  const bytes = riff([fmt()]);
  const error = await refusal(bytes, bytes.length + 1000);
  assert.is(error.message, 'the file has no data chunk, so there is no audio to convert');
});

header('when the head is short or names another form, then the file is refused as not RIFF/WAVE', async () => {
  const text = (t: string) => new TextEncoder().encode(t);
  for (const bytes of [text('RIFF'), text('RIFF\0\0\0\0AVI LIST'), text('FORM\0\0\0\0WAVEfmt '), new Uint8Array(0)]) {
    const error = await refusal(bytes);
    assert.is(error.message, 'the file is not a RIFF/WAVE file; supported: RIFF, RIFX, RF64 and BW64 WAVE files');
  }
});

header('when the data declares more than the file holds, then it is truncated; exactly as much, not', async () => {
  const exact = await parse(riff([fmt(), data(200)]));
  assert.is(exact.truncated, false);
  const bytes = riff([fmt(), data(200)]).subarray(0, 44 + 150);
  const cut = await parse(bytes);
  assert.equal([cut.truncated, cut.frames], [true, 75]);
});

header.run();
