// The other end of inlining-encoder.ts: a process that turns wasm inlining on as the service does at start-up, then
// times WASM LAME alone on each file it is sent, exactly as the benchmark's own process does.
import { enableWasmInlining } from '../src/audio/wasm-inlining.js';
import { compileLameWasm } from '../src/audio/wasm-lame-encoder.js';
import { timeEncoderAlone } from './encoder-runs.js';

const enabled = enableWasmInlining();
const wasm = await compileLameWasm();
process.on('message', (wavPath: string) => {
  timeEncoderAlone(wavPath, 'wasm', wasm).then(
    (timing) => process.send!({ timing }),
    (error: unknown) => process.send!({ error: String(error) }),
  );
});
process.send!({ ready: true, enabled });
