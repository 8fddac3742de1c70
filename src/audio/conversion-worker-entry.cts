// The file piscina loads in each worker thread: CommonJS on purpose. Piscina loads a worker's file with require()
// first and falls back to import(); since Node 20.19 require() loads ES modules too, and on Node 20.20 that path once
// aborted the whole process with a native assertion (ModuleWrap::CreateRequiredModuleFacade) while a pool started in
// the test suite. From CommonJS the worker's module is imported, the path every Node before 20.19 took; piscina awaits
// the handler it is given.
export = import('./conversion-worker.js').then((worker) => worker.default);
