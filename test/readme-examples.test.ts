// The README's example requests, run as written against a live server, so they cannot rot.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { decodeMp3 } from './support/mp3-decode.js';
import { startTestService } from './support/test-service.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

test('when the README examples run against a server, then every request succeeds and the files are right', async () => {
  const readme = await readFile(README, 'utf8');
  const block = /<!-- examples:begin -->\s*```sh\n([\s\S]*?)```\s*<!-- examples:end -->/.exec(readme)?.[1];
  assert.ok(block, 'the README has the examples block');
  assert.match(block!, /^BASE=http:\/\/localhost:8000$/m);
  for (const route of ['POST "\\$BASE/user"', '/record"', '-OJ', '-r 0-1023', '-I ', '/records\\?', '-X DELETE', '/healthz', '/readyz']) {
    assert.match(block!, new RegExp(route), `the examples cover ${route}`);
  }
  const service = await startTestService();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-readme-'));
  try {
    const s = sine(440, 1, 44100);
    await writeFile(path.join(dir, 'take.wav'), encodeWav({ sampleRate: 44100, channels: 2 }, [s, s]));
    // Any failing request stops the script: curl exits non-zero on HTTP errors, and so does the shell.
    const script = `set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n${block!.replace(/^BASE=.*$/m, `BASE=${service.url}`)}`;
    const { stdout } = await promisify(execFile)('bash', ['-c', script], { cwd: dir });
    assert.match(stdout, /"status":"ready"/);
    assert.match(stdout, /HTTP\/1\.1 200 OK/);
    const mp3 = path.join(dir, 'take.mp3');
    assert.ok(existsSync(mp3), 'curl -OJ saved take.mp3');
    assert.is((await decodeMp3(new Uint8Array(await readFile(mp3)))).sampleRate, 44100);
    assert.is((await stat(path.join(dir, 'first-kb.mp3'))).size, 1024);
    const record = JSON.parse(await readFile(path.join(dir, 'record.json'), 'utf8')) as { id: string; user: string };
    assert.is((await fetch(`${service.url}/record?id=${record.id}&user=${record.user}`)).status, 404, 'the example deleted it');
  } finally {
    await rm(dir, { recursive: true, force: true });
    await service.close();
  }
});

test.run();
