// The slice of the WebAssembly JS API this service uses. Node has it at run time, but with lib ES2022 and
// @types/node 20 TypeScript does not declare it, and pulling in lib "DOM" would declare a browser we do not have.
declare namespace WebAssembly {
  interface Module {
    readonly __brand: 'WebAssembly.Module';
  }
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
}
