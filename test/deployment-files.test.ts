// The deployment files say what the issue promises: data on a named volume, health checks, a healthy database before
// the app, a production image without dev tools or the embedded database, started without an npm wrapper.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';

const root = (file: string) => fileURLToPath(new URL(`../../${file}`, import.meta.url));
const deployment = suite('deployment files');

interface ComposeService {
  image?: string;
  build?: unknown;
  volumes?: string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  ports?: string[];
  restart?: string;
  stop_grace_period?: string;
}

deployment('when docker-compose.yml is read, then PostgreSQL keeps its data on a named volume and the app waits for it', async () => {
  const compose = parse(await readFile(root('docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
  const { db, app } = compose.services;
  assert.ok(db && app, 'db and app services');
  assert.match(db!.image ?? '', /^postgres:\d+/);
  const volume = db!.volumes?.find((v) => v.endsWith(':/var/lib/postgresql/data'));
  assert.ok(volume, 'a volume at /var/lib/postgresql/data');
  const name = volume!.split(':')[0]!;
  assert.ok(name in compose.volumes, `${name} is a named volume`);
  assert.match(JSON.stringify(db!.healthcheck?.test), /pg_isready/);
  assert.is(db!.ports, undefined, 'the database port is not published by default');
  assert.equal(app!.depends_on?.db, { condition: 'service_healthy' });
  assert.match(app!.environment?.DATABASE_URL ?? '', /^postgres:\/\/.+@db:5432\//);
  assert.ok(app!.ports?.some((p) => /\$\{PORT:-8000\}:8000/.test(p)));
  assert.is(app!.restart, 'unless-stopped');
  // Docker's default 10 s would cut the service's 25 s drain short.
  assert.ok(Number.parseInt(app!.stop_grace_period ?? '0', 10) > 25);
});

deployment('when the Dockerfile is read, then it is multi-stage, non-root, health-checked and starts node directly', async () => {
  const dockerfile = await readFile(root('Dockerfile'), 'utf8');
  assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
  assert.match(dockerfile, /npm ci/);
  assert.match(dockerfile, /npm run build/);
  assert.match(dockerfile, /--omit=dev/);
  assert.match(dockerfile, /--omit=optional/);
  assert.match(dockerfile, /^USER /m);
  assert.match(dockerfile, /^HEALTHCHECK [^]*?\/healthz/m);
  assert.match(dockerfile, /^STOPSIGNAL SIGTERM/m);
  assert.match(dockerfile, /^CMD \["node", "dist\/src\/main\.js"\]/m);
});

deployment('when the Makefile is read, then it has the targets the README promises', async () => {
  const makefile = await readFile(root('Makefile'), 'utf8');
  for (const target of ['up', 'down', 'logs', 'ps', 'psql', 'test', 'clean']) assert.match(makefile, new RegExp(`^${target}:`, 'm'));
});

deployment.run();
