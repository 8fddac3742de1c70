// A WAV file converted as the service stores it: convertWavFile's chunks joined, the Info frame written over its
// placeholder (what the record writer does at commit), and the MP3 decoded back.
import { convertWavFile, type ConversionOptions, type ConversionSummary } from '../../src/audio/convert-wav.js';
import { decodeMp3, type DecodedMp3 } from './mp3-decode.js';

export async function convertToMp3(
  file: string,
  options: ConversionOptions,
  wasm: WebAssembly.Module,
): Promise<{ summary: ConversionSummary; mp3: Uint8Array; decoded: DecodedMp3 }> {
  const parts: Uint8Array[] = [];
  const summary = await convertWavFile(file, options, (bytes) => void parts.push(bytes), wasm);
  const mp3 = new Uint8Array(Buffer.concat(parts));
  mp3.set(summary.infoFrame.bytes, summary.infoFrame.offset);
  return { summary, mp3, decoded: await decodeMp3(mp3) };
}
