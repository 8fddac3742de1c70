// Reads a V8 .cpuprofile (`node --cpu-prof`) and totals self time per function: time spent in the function's own
// code, not in what it calls.
import { readFile } from 'node:fs/promises';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  /** "functionName file:line", the file relative to the build (dist/) or the package. */
  location: string;
  /** Share of the profile's busy time (idle excluded), 0..1. */
  share: number;
  milliseconds: number;
  /** Whose code it is: the WebAssembly LAME, a package, the service, Node, or V8 itself. */
  origin: string;
}

function originOf(url: string, functionName: string): string {
  if (url.startsWith('wasm://')) return 'LAME in WebAssembly';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return `package ${url.slice(modules + '/node_modules/'.length).split('/dist/')[0]}`;
  if (url.includes('/dist/src/')) return 'the service (src/)';
  if (url.includes('/dist/bench/')) return 'the benchmark script';
  if (url.startsWith('node:')) return 'Node.js internals';
  return functionName === '(garbage collector)' ? 'garbage collector' : 'V8 (program, native code)';
}

// Paths from the build or node_modules, shortened to what a reader finds in the repository.
function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) return url.slice(dist + '/dist/'.length).replace(/\.js$/, '.ts');
  return url.startsWith('wasm://') ? 'lame.wasm' : url.replace(/^node:/, 'node:');
}

export async function selfTimes(profilePath: string): Promise<SelfTime[]> {
  const profile = JSON.parse(await readFile(profilePath, 'utf8')) as CpuProfile;
  const names = new Map<number, string>();
  const origins = new Map<string, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? ` ${shortUrl(url)}${lineNumber >= 0 ? `:${lineNumber + 1}` : ''}` : '';
    const name = `${functionName || '(anonymous)'}${where}`;
    names.set(node.id, name);
    origins.set(name, originOf(url, functionName));
  }
  // A sample's time is the gap until the next sample (the last one gets the mean gap).
  const mean = profile.timeDeltas.reduce((a, b) => a + b, 0) / Math.max(1, profile.timeDeltas.length);
  const totals = new Map<string, number>();
  profile.samples.forEach((nodeId, i) => {
    const name = names.get(nodeId) ?? '(unknown)';
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i + 1] ?? mean));
  });
  totals.delete('(idle)');
  const busy = [...totals.values()].reduce((a, b) => a + b, 0);
  return [...totals]
    .map(([location, micros]) => ({ location, share: micros / busy, milliseconds: micros / 1000, origin: origins.get(location) ?? 'unknown' }))
    .sort((a, b) => b.share - a.share);
}
