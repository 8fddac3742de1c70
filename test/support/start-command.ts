// `npm start`'s command line, read from package.json, so that tests and benchmarks start the service with the same
// Node.js flags as users do (the flags change its memory: docs/LIMITS.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: compiled, this file is dist/test/support/start-command.js. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The arguments `npm start` gives `node`, the entry point relative to `root` (the package root unless given). */
export function serviceArguments(root = PACKAGE_ROOT): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = scripts.start.split(/\s+/);
  const entry = args.pop();
  if (command !== 'node' || !entry?.endsWith('.js')) throw new Error(`npm start is not "node [flags] <entry>.js": ${scripts.start}`);
  return [...args, path.join(root, entry)];
}
