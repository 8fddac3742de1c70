// `npm run bench [-- name ...]`: runs the named benchmarks (all by default) and updates docs/BENCHMARKS.md.
import { memoryBenchmark } from './memory.js';

const BENCHMARKS: Record<string, () => Promise<void>> = {
  memory: () => memoryBenchmark(),
};

const chosen = process.argv.slice(2);
for (const name of chosen.length ? chosen : Object.keys(BENCHMARKS)) {
  const run = BENCHMARKS[name];
  if (!run) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  console.log(`# ${name}`);
  await run();
}
