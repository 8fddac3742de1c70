// `npm start`'s command line, read from package.json, so that tests and benchmarks start the service with the same
// Node.js flags as users do (the flags change its memory, docs/LIMITS.md, and its encoder's speed, docs/SPLIT-ENCODE.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: compiled, this file is dist/test/support/start-command.js. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function startCommand(): { flags: string[]; entry: string } {
  const { scripts } = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...flags] = scripts.start.split(/\s+/);
  const entry = flags.pop();
  if (command !== 'node' || !entry?.endsWith('.js')) throw new Error(`npm start is not "node [flags] <entry>.js": ${scripts.start}`);
  return { flags, entry };
}

/** The Node.js and V8 flags `npm start` gives `node`. */
export function serviceNodeFlags(): string[] {
  return startCommand().flags;
}

/** The arguments `npm start` gives `node`, the entry point relative to `root` (the package root unless given). */
export function serviceArguments(root = PACKAGE_ROOT): string[] {
  const { flags, entry } = startCommand();
  return [...flags, path.join(root, entry)];
}
