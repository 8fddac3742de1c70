// Script run under `node --cpu-prof` by the profile benchmark: converts one WAV with convertWavFile, single-threaded,
// a given number of times, and nothing else, so that the profile holds only the conversion path.
// Usage: node dist/bench/convert-for-profile.js <wav> <wasm|lamejs> <times>
import { convertWavFile } from '../src/audio/convert-wav.js';
import type { EncoderName } from '../src/audio/mp3-encoder.js';
import { compileLameWasm } from '../src/audio/wasm-lame-encoder.js';

const [wavPath, encoder, times] = process.argv.slice(2);
if (!wavPath || (encoder !== 'wasm' && encoder !== 'lamejs') || !(Number(times) >= 1)) {
  throw new Error('usage: convert-for-profile.js <wav> <wasm|lamejs> <times>');
}
const wasm = await compileLameWasm();
for (let i = 0; i < Number(times); i++) {
  await convertWavFile(wavPath, { encoder: encoder as EncoderName, bitrateKbps: 128, title: 'profile.wav' }, () => {}, wasm);
}
