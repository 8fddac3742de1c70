// A deliberately independent ID3v2.4 reader for the tests: text frames only, encoding byte checked. It reads the tag
// at the start of `bytes`, a tag alone or a whole MP3.
import * as assert from 'uvu/assert';

export interface Id3v24Tag {
  /** Header and frames: where the audio starts. */
  bytes: number;
  frames: Record<string, string>;
}

export function readId3v24(bytes: Uint8Array): Id3v24Tag {
  assert.is(new TextDecoder().decode(bytes.subarray(0, 3)), 'ID3', 'an ID3 tag comes first');
  assert.is(bytes[3], 4, 'ID3v2.4');
  const syncsafe = (at: number) => (bytes[at]! << 21) | (bytes[at + 1]! << 14) | (bytes[at + 2]! << 7) | bytes[at + 3]!;
  const end = 10 + syncsafe(6);
  const frames: Record<string, string> = {};
  for (let offset = 10; offset < end; ) {
    // Zeros after the last frame are padding (a tag rewritten in place of a longer one keeps its size).
    if (bytes[offset] === 0) break;
    const id = String.fromCharCode(...bytes.subarray(offset, offset + 4));
    const size = syncsafe(offset + 4);
    assert.is(bytes[offset + 10], 3, `${id} is UTF-8`);
    frames[id] = new TextDecoder().decode(bytes.subarray(offset + 11, offset + 10 + size));
    offset += 10 + size;
  }
  return { bytes: end, frames };
}
