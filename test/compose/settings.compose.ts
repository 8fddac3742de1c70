// `cp .env.example .env` with another PORT: `make up` publishes that port, prints it, and the service works there.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { findFreePort } from '../../src/db/embedded.js';
import { sine } from '../fixtures/signals.js';
import { encodeWav } from '../fixtures/wav-writer.js';
import { createUser, download, uploadOk } from '../support/api-client.js';
import { composeStack, printedUrl } from '../support/compose-stack.js';
import { decodeMp3 } from '../support/mp3-decode.js';

test('when .env is copied from .env.example with another PORT, then make up serves on that port and converts', async () => {
  const stack = await composeStack('settings');
  try {
    const port = await findFreePort();
    const example = await readFile(path.join(stack.dir, '.env.example'), 'utf8');
    assert.match(example, /^PORT=8000$/m);
    await writeFile(path.join(stack.dir, '.env'), example.replace(/^PORT=8000$/m, `PORT=${port}`));
    const up = await stack.make('up');
    assert.is(up.code, 0, up.output);
    const url = printedUrl(up.output);
    assert.is(url, `http://localhost:${port}`);
    assert.is((await fetch(`${url}/healthz`)).status, 200);
    const user = await createUser(url, 'settings');
    const tone = sine(1000, 3, 48000);
    const record = await uploadOk(url, encodeWav({ sampleRate: 48000, channels: 1 }, [tone]), { user: user.id, token: user.token });
    assert.ok(record.url.startsWith(`${url}/record?`), record.url);
    const { bytes } = await download(record.url);
    assert.is((await decodeMp3(bytes)).samples, 3 * 48000);
    const clean = await stack.make('clean', 'CONFIRM=yes');
    assert.is(clean.code, 0, clean.output);
  } finally {
    await stack.destroy();
  }
});

test.run();
