#!/usr/bin/env node
// Plants each fault that once went unnoticed (issue 14) into a scratch copy of the project, one at a time, and runs
// the tests that should notice it: every one must make at least one of them fail. Run after a change to the tests
// or to the code they guard: `node scripts/planted-faults.mjs [name…]` (DATABASE_URL, else the local server).
// Prints one line per fault, ends with "N passed, N failed" (a fault noticed is a pass), and exits non-zero if any
// fault went unnoticed. CI runs it.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import console from 'node:console';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** file: where to plant; find: text that must occur exactly once; replace: the fault; tests: run.ts's file filter. */
const FAULTS = [
  {
    name: 'surround downmix gives silence',
    file: 'src/audio/channel-mix.ts',
    find: 'return [left.map((w) => w * scale), right.map((w) => w * scale)];',
    replace: 'return [left.map(() => 0 * scale), right.map(() => 0)];',
    tests: 'audio/conversion-content',
  },
  {
    name: 'right channel decoded as a copy of the left',
    file: 'src/audio/pcm-decoder.ts',
    find: 'for (let f = 0, o = c * bytesPerSample; f < frames; f++, o += frameBytes) plane[f] = read(view, o);',
    replace: 'for (let f = 0, o = 0; f < frames; f++, o += frameBytes) plane[f] = read(view, o);',
    tests: 'audio/(convert-wav|conversion-content)',
  },
  {
    name: 'audio zeroed at each ~1 MiB read boundary, length unchanged',
    file: 'src/audio/convert-wav.ts',
    find: '    for await (const { bytes, frames } of samples.read()) {\n      decoder.decode(bytes, frames, planes);\n',
    replace:
      '    let read = 0;\n    for await (const { bytes, frames } of samples.read()) {\n      decoder.decode(bytes, frames, planes);\n      if (read++ > 0) for (const plane of planes) plane.fill(0, 0, 64);\n',
    tests: 'audio/conversion-content',
  },
  {
    name: 'VBR requests encoded as CBR 128',
    file: 'src/audio/wasm-lame-encoder.ts',
    find: '? { vbrQuality: settings.vbrQuality, ...rate }',
    replace: '? { bitrate: 128 as CbrKbps, ...rate }',
    tests: 'audio/conversion-content',
  },
  {
    name: 'five samples of length error when resampling',
    file: 'src/audio/convert-wav.ts',
    find: 'const outputSamples = Math.round((format.frames * settings.outputSampleRate) / format.sampleRate);',
    replace:
      'const outputSamples = Math.round((format.frames * settings.outputSampleRate) / format.sampleRate) + (settings.outputSampleRate === format.sampleRate ? 0 : 5);',
    tests: 'audio/convert-wav',
  },
  {
    name: 'a 1.5 s busy-wait on the main thread per upload',
    file: 'src/domain/convert-upload.ts',
    find: '  events?.started();\n',
    replace: '  events?.started();\n  for (const until = Date.now() + 1500; Date.now() < until; );\n',
    tests: 'concurrency',
  },
  {
    name: 'shutdown no longer marks the service as draining',
    file: 'src/main.ts',
    find: '    lifecycle.draining = true;\n',
    replace: '\n',
    tests: 'graceful-shutdown',
  },
  {
    name: 'a conversion timeout answers 503 without Retry-After',
    file: 'src/domain/convert-upload.ts',
    find: '{\n      retryAfterSeconds: TIMEOUT_RETRY_AFTER_SECONDS,\n    }',
    replace: '{}',
    tests: 'worker-faults',
  },
  {
    name: 'a Bearer token of one user accepted beside another user id',
    file: 'src/http/routes/record-upload.ts',
    find: '} else if (parsed.user !== authenticatedUser) {',
    replace: "} else if (parsed.user === 'nobody') {",
    tests: '^records',
  },
  {
    name: 'library pages repeat the last record of the page before',
    file: 'src/db/record-queries.ts',
    find: 'and (created_at, id) < (',
    replace: 'and (created_at, id) <= (',
    tests: 'domain/records',
  },
  {
    name: 'sample-rate ties going down',
    file: 'src/audio/mp3-encoder.ts',
    find: 'if (Math.abs(candidate - rate) <= Math.abs(best - rate)) best = candidate;',
    replace: 'if (Math.abs(candidate - rate) < Math.abs(best - rate)) best = candidate;',
    tests: 'audio/mp3-encoder',
  },
];

const wanted = process.argv.slice(2);
const faults = wanted.length ? FAULTS.filter((f) => wanted.some((w) => f.name.includes(w))) : FAULTS;
let unnoticed = 0;
// One scratch copy, compiled once; each fault then recompiles only its own file (verbatimModuleSyntax makes a
// single-file transpile emit what tsc would) and is undone before the next, which keeps CI's run short.
const scratch = mkdtempSync(path.join(os.tmpdir(), 'wav2mp3-fault-'));
try {
  for (const entry of ['src', 'test', 'bench', 'sql', 'package.json', 'tsconfig.json']) cpSync(path.join(root, entry), path.join(scratch, entry), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'));
  const build = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: scratch, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`the scratch copy does not compile:\n${build.stdout}${build.stderr}`);
  const { config } = ts.readConfigFile(path.join(scratch, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, scratch);
  // The project is ES modules (package.json "type": "module"), which a one-file transpile cannot look up.
  const compilerOptions = { ...options, module: ts.ModuleKind.ES2022, moduleResolution: ts.ModuleResolutionKind.Bundler, rootDir: undefined, outDir: undefined, sourceMap: false };
  for (const fault of faults) {
    const file = path.join(scratch, fault.file);
    const compiled = path.join(scratch, 'dist', fault.file.replace(/\.ts$/, '.js'));
    const [text, js] = [readFileSync(file, 'utf8'), readFileSync(compiled, 'utf8')];
    try {
      const count = text.split(fault.find).length - 1;
      if (count !== 1) throw new Error(`${fault.name}: the text to replace occurs ${count} times in ${fault.file}; update this script`);
      const planted = text.replace(fault.find, fault.replace);
      const out = ts.transpileModule(planted, { compilerOptions, fileName: fault.file, reportDiagnostics: true });
      if (out.diagnostics?.length) throw new Error(`${fault.name}: the planted file does not compile: ${ts.flattenDiagnosticMessageText(out.diagnostics[0].messageText, '\n')}`);
      writeFileSync(file, planted);
      writeFileSync(compiled, out.outputText);
      const run = spawnSync(process.execPath, ['dist/test/run.js', fault.tests], {
        cwd: scratch,
        encoding: 'utf8',
        env: { ...process.env, DATABASE_URL: databaseUrl },
        maxBuffer: 64 * 1024 * 1024,
      });
      const summary = /(\d+) passed, (\d+) failed(?=\s*$)/.exec(run.stdout);
      const failed = Number(summary?.[2] ?? 0);
      const noticed = run.status !== 0 && failed > 0;
      if (!noticed) unnoticed++;
      console.log(`${noticed ? 'noticed  ' : 'UNNOTICED'}  ${fault.name}  (${fault.tests}: ${summary?.[0] ?? 'no summary'})`);
    } finally {
      writeFileSync(file, text);
      writeFileSync(compiled, js);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`${faults.length - unnoticed} of ${faults.length} planted faults noticed`);
// The line .ci/run counts: a fault noticed is a pass.
console.log(`${faults.length - unnoticed} passed, ${unnoticed} failed`);
process.exitCode = unnoticed ? 1 : 0;
