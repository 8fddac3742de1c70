// The other end of flagged-encoder.ts: a process started with `npm start`'s node flags that times WASM LAME alone on
// each file it is sent, exactly as the benchmark's own process does.
import { compileLameWasm } from '../src/audio/wasm-lame-encoder.js';
import { timeEncoderAlone } from './encoder-runs.js';

const wasm = await compileLameWasm();
process.on('message', (wavPath: string) => {
  timeEncoderAlone(wavPath, 'wasm', wasm).then(
    (timing) => process.send!({ timing }),
    (error: unknown) => process.send!({ error: String(error) }),
  );
});
process.send!({ ready: true });
