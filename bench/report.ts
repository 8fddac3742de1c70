// docs/BENCHMARKS.md is assembled from sections, one per benchmark, each between its own markers, so that any
// benchmark can be rerun alone and replace only its own figures.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const REPORT = fileURLToPath(new URL('../../docs/BENCHMARKS.md', import.meta.url));

export function machineDescription(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.availableParallelism()} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

export async function writeSection(name: string, markdown: string): Promise<void> {
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  let text = existsSync(REPORT)
    ? await readFile(REPORT, 'utf8')
    : '# Benchmarks\n\nProduced by `npm run bench` (or one benchmark: `npm run bench -- <name>`); numbers are from the machine named in each section.\n';
  const pattern = new RegExp(`${begin}[\\s\\S]*?${end}`);
  text = pattern.test(text) ? text.replace(pattern, block) : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(REPORT, text);
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
