#!/usr/bin/env node
// `npm run mutate [-- target…] [-- stryker options…]`: StrykerJS mutation testing of src/audio, src/domain and
// src/http (stryker.config.mjs), then a table of the score per folder read back from the JSON reports.
// A target is a folder (`audio`), run as one Stryker run, or a file (`audio/wav-header.ts`), run on its own with its
// report under reports/mutation/audio/wav-header/; `--by-file audio` runs every file of the folder that way, so a
// long run can be stopped between files. Anything starting with `--` otherwise goes to Stryker (`--force`,
// `--concurrency 1`). `--tests a,b` runs only those test files (relative to dist/test) against every mutant, into a
// report of its own (only-tests.json): a quick check of new tests, which the table then counts with the full run's
// results, a survivor killed by them counting as killed. `--summary` only prints the table (per file with --by-file), `--survivors` the surviving mutants too.
// Slow (see docs/MUTATION.md): not part of CI.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = ['audio', 'domain', 'http'];
const stryker = path.join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js');

const args = process.argv.slice(2);
const summaryOnly = args.includes('--summary');
const showSurvivors = args.includes('--survivors');
const testsAt = args.indexOf('--tests');
const onlyTests = testsAt >= 0 ? args.splice(testsAt, 2)[1] : undefined;
const byFile = args.includes('--by-file');
const strykerArgs = [];
const targets = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--summary' || arg === '--by-file' || arg === '--survivors') continue;
  if (arg.startsWith('--')) {
    strykerArgs.push(arg);
    // An option's value (`--concurrency 1`) travels with it.
    if (args[i + 1] !== undefined && !args[i + 1].startsWith('--') && !/^(audio|domain|http)(\/|$)/.test(args[i + 1])) strykerArgs.push(args[++i]);
  } else {
    targets.push(arg);
  }
}

/** [folder, file | undefined] pairs, in the order given. */
function runs() {
  const chosen = targets.length > 0 ? targets : FOLDERS;
  return chosen.flatMap((target) => {
    // A file may sit in a subfolder (http/routes/users.ts): everything after the folder names it.
    const [folder, ...rest] = target.split('/');
    const file = rest.join('/') || undefined;
    if (!FOLDERS.includes(folder)) throw new Error(`unknown target "${target}": give audio, domain or http, or a file such as audio/wav-header.ts`);
    if (file) return [[folder, file]];
    if (!byFile) return [[folder, undefined]];
    return readdirSync(path.join(root, 'src', folder)).filter((name) => name.endsWith('.ts')).sort().map((name) => [folder, name]);
  });
}

function reportFiles(dir, name = 'mutation.json') {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? reportFiles(path.join(dir, entry.name), name) : entry.name === name ? [path.join(dir, entry.name)] : [],
  );
}

/** The newest result of every mutated file in reports named `name`: a folder run and file runs may both hold one. */
function newestResults(folder, name) {
  const newest = new Map();
  for (const report of reportFiles(path.join(root, 'reports', 'mutation', folder), name)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    const when = statSync(report).mtimeMs;
    for (const [file, result] of Object.entries(json.files)) {
      const previous = newest.get(file);
      if (!previous || previous.when < when) newest.set(file, { when, mutants: result.mutants, source: result.source });
    }
  }
  return newest;
}

const where = (m) => `${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column} ${m.mutatorName} ${m.replacement}`;

function summary() {
  const rows = [];
  const row = (name, totals, files) => {
    const detected = totals.Killed + totals.Timeout;
    const valid = detected + totals.Survived + totals.NoCoverage;
    const { RuntimeError, CompileError, Ignored, ...counted } = totals;
    rows.push({
      [byFile ? 'file' : 'folder']: name,
      files,
      ...counted,
      'errors/ignored': RuntimeError + CompileError + Ignored,
      score: valid ? `${((100 * detected) / valid).toFixed(1)} %` : 'not run',
    });
  };
  for (const folder of FOLDERS) {
    const newest = newestResults(folder, 'mutation.json');
    const extra = newestResults(folder, 'only-tests.json');
    const empty = () => ({ Killed: 0, 'by --tests': 0, Survived: 0, Timeout: 0, NoCoverage: 0, RuntimeError: 0, CompileError: 0, Ignored: 0 });
    const totals = empty();
    for (const [file, { when, mutants, source }] of [...newest].sort(([a], [b]) => a.localeCompare(b))) {
      // Only an only-tests report made after the full one speaks for the same source.
      const later = extra.get(file);
      const killedLater = new Set(later && later.when > when ? later.mutants.filter((m) => m.status === 'Killed' || m.status === 'Timeout').map(where) : []);
      const own = empty();
      const lines = source.split('\n');
      for (const mutant of mutants) {
        const status = mutant.status === 'Survived' && killedLater.has(where(mutant)) ? 'Killed' : mutant.status;
        if (showSurvivors && (status === 'Survived' || status === 'NoCoverage')) {
          const { line, column } = mutant.location.start;
          console.log(`${file}:${line}:${column} ${status} ${mutant.mutatorName} → ${mutant.replacement}\n    ${lines[line - 1]?.trim()}`);
        }
        for (const counts of [own, totals]) {
          counts[status] = (counts[status] ?? 0) + 1;
          if (status !== mutant.status) counts['by --tests']++;
        }
      }
      if (byFile) row(file, own, 1);
    }
    row(`src/${folder}`, totals, newest.size);
  }
  console.table(rows);
}

let failed = false;
if (!summaryOnly) {
  for (const [folder, file] of runs()) {
    console.log(`\n=== mutation testing src/${folder}/${file ?? ''}`);
    const env = { ...process.env, MUTATE_FOLDER: folder, ...(file ? { MUTATE_FILE: file } : {}), ...(onlyTests ? { MUTANT_TESTS: onlyTests } : {}) };
    const run = spawnSync(process.execPath, [stryker, 'run', 'stryker.config.mjs', ...strykerArgs], { cwd: root, env, stdio: 'inherit' });
    if (run.status !== 0) failed = true;
  }
}
summary();
process.exitCode = failed ? 1 : 0;
