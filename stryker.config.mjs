// StrykerJS configuration for `npm run mutate` (scripts/mutate.mjs): one folder of src/ per run, chosen by
// MUTATE_FOLDER, so each report and score belongs to one folder. uvu has no Stryker plugin: the command runner builds
// the sandbox once with tsc (mutant switching puts every mutant in that one build) and runs, per mutant,
// scripts/mutant-tests.mjs, which picks the test files listed for the mutated source file. docs/MUTATION.md explains.
// MUTATE_FILE narrows a run to one file of the folder (its report then goes beside the folder's, under its own name),
// so a long folder can be run a file at a time and stopped between files without losing what was done.
const FOLDERS = ['audio', 'domain', 'http'];
const folder = process.env.MUTATE_FOLDER ?? 'audio';
if (!FOLDERS.includes(folder)) throw new Error(`MUTATE_FOLDER must be one of ${FOLDERS.join(', ')}; got "${folder}"`);
const file = process.env.MUTATE_FILE;
const reports = file ? `reports/mutation/${folder}/${file.replace(/\.ts$/, '')}` : `reports/mutation/${folder}`;
// MUTANT_TESTS (scripts/mutant-tests.mjs) runs only the named tests against every mutant: a quick check of new tests
// against the mutants that survived the others. Its report is kept apart ("only-tests") from the full one.
const report = process.env.MUTANT_TESTS ? `${reports}/only-tests` : `${reports}/mutation`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [file ? `src/${folder}/${file}` : `src/${folder}/**/*.ts`],
  testRunner: 'command',
  buildCommand: 'npx tsc -p tsconfig.json',
  commandRunner: { command: `node scripts/mutant-tests.mjs ${folder}` },
  // Two cores on the machines this runs on, shared with other work.
  concurrency: 2,
  // A mutant that does not type-check is not a finding: TypeScript checks are off in mutated files (Stryker adds
  // // @ts-nocheck) so tsc still emits them, rather than paying for Stryker's TypeScript checker on every mutant.
  disableTypeChecks: `src/${folder}/**/*.ts`,
  ignorePatterns: ['dist', 'data', 'reports', '.stryker-tmp'],
  tempDirName: '.stryker-tmp',
  // Kept beside the reports, not committed: with the command runner Stryker cannot see which tests changed, so a
  // result reused from another checkout could be stale; `npm run mutate -- --force` ignores it.
  incremental: true,
  incrementalFile: `${report}-incremental.json`,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `${report}.html` },
  jsonReporter: { fileName: `${report}.json` },
  // A mutant's tests are the dry run's tests or fewer: half as long again plus 5 s is ample, and every mutant that
  // loops forever (there are many in the chunk walkers) costs that much.
  timeoutMS: 5_000,
  timeoutFactor: 1.5,
  thresholds: { high: 80, low: 60, break: null },
};
