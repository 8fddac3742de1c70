// What the real compose run (npm run test:compose) cannot see in the deployment files: the database port left
// unpublished, a stop grace period longer than the service's own drain, and the Makefile targets the smoke does not
// run. Everything else — the image build, the volume, health checks, the non-root user, the start command, make
// up/down/clean — is tested by running it (test/compose/).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { suite } from './support/suite.js';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { loadConfig } from '../src/config.js';

const root = (file: string) => fileURLToPath(new URL(`../../${file}`, import.meta.url));
const deployment = suite('deployment files');

interface ComposeService {
  ports?: string[];
  stop_grace_period?: string;
}

deployment('when docker-compose.yml is read, then the database is not published and compose waits out the drain', async () => {
  const compose = parse(await readFile(root('docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };
  const { db, app } = compose.services;
  assert.is(db!.ports, undefined, 'the database port is not published by default');
  // Docker's default 10 s would cut the service's drain short; the service exits by SHUTDOWN_GRACE_MS + 5 s.
  const drainSeconds = loadConfig({}).SHUTDOWN_GRACE_MS / 1000 + 5;
  assert.ok(Number.parseInt(app!.stop_grace_period ?? '0', 10) >= drainSeconds, `stop_grace_period ${app!.stop_grace_period} < ${drainSeconds}s`);
});

deployment('when the Makefile is read, then the targets the README promises and the smoke does not run are there', async () => {
  const makefile = await readFile(root('Makefile'), 'utf8');
  for (const target of ['logs', 'ps', 'psql', 'test']) assert.match(makefile, new RegExp(`^${target}:.*## `, 'm'));
});

deployment.run();
