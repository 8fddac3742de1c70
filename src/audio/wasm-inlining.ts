// V8 inlines calls from one WebAssembly function into another only from V8 12.7 on (Node 23 and later): "staged in
// v11.3, shipped in v12.7" in V8's wasm-feature-flags.h. Before that (Node 20's V8 11.3, Node 22's 12.4) it is an
// experimental feature, off unless asked for. wasm-media-encoders builds LAME at -Oz, which leaves many small
// functions as calls inside LAME's loops, and with inlining WASM LAME encodes 1–5 % faster per core, writing the
// same bytes (docs/SPLIT-ENCODE.md, session 13; test/wasm-inlining.test.ts).
import v8 from 'node:v8';

const SHIPPED_IN: readonly [number, number] = [12, 7];

/**
 * Turns V8's wasm inlining on where it is still experimental; returns whether it did. V8's flags belong to the
 * process (a worker thread cannot have its own), and this one is read when a module is compiled, so it must run
 * before the encoder's module is. Set at run time rather than on `node`'s command line because the flag exists only
 * in the versions that need it: a later Node refuses to start on a flag its V8 no longer has.
 */
export function enableWasmInlining(): boolean {
  if (!wasmInliningIsExperimental(process.versions.v8)) return false;
  v8.setFlagsFromString('--experimental-wasm-inlining');
  return true;
}

/** Whether this V8 (`process.versions.v8`, e.g. "11.3.244.8-node.33") leaves wasm inlining off unless asked. */
export function wasmInliningIsExperimental(v8Version: string): boolean {
  const [major = 0, minor = 0] = v8Version.split('.').map(Number);
  return major < SHIPPED_IN[0] || (major === SHIPPED_IN[0] && minor < SHIPPED_IN[1]);
}
