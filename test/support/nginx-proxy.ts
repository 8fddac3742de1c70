// The project's own reverse proxy configuration (deploy/nginx.conf) run by a real nginx in front of a test service:
// the same file the compose scale stack mounts, with only its upstream address and listen port changed.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../../src/db/embedded.js';

const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
const PROJECT_CONF = fileURLToPath(new URL('../../../deploy/nginx.conf', import.meta.url));

export interface NginxProxy {
  url: string;
  /** What nginx wrote to its error log so far. */
  errors(): Promise<string>;
  close(): Promise<void>;
}

export async function startNginxProxy(upstreamUrl: string): Promise<NginxProxy> {
  if (!existsSync(NGINX)) {
    throw new Error(`nginx is not installed at ${NGINX}; install Debian's package (apt-get install -y nginx-light, as .ci/run does)`);
  }
  const upstream = new URL(upstreamUrl);
  const port = await findFreePort();
  const prefix = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-nginx-'));
  const site = (await readFile(PROJECT_CONF, 'utf8'))
    .replace(/server app:8000/, `server ${upstream.host}`)
    .replace(/listen 80;/, `listen 127.0.0.1:${port};`);
  if (site.includes('app:8000') || !site.includes(`listen 127.0.0.1:${port};`)) throw new Error('deploy/nginx.conf changed shape; update this test support');
  const errorLog = path.join(prefix, 'error.log');
  const conf = `
    daemon off;
    ${process.getuid?.() === 0 ? 'user root;' : ''}
    worker_processes 1;
    pid ${prefix}/nginx.pid;
    error_log ${errorLog} warn;
    events { worker_connections 1024; }
    http {
      access_log off;
      client_body_temp_path ${prefix}/body;
      proxy_temp_path ${prefix}/proxy;
      fastcgi_temp_path ${prefix}/fastcgi;
      uwsgi_temp_path ${prefix}/uwsgi;
      scgi_temp_path ${prefix}/scgi;
      ${site}
    }`;
  await writeFile(path.join(prefix, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(NGINX, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(`${url}/healthz`);
      break;
    } catch {
      if (child.exitCode !== null || i > 100) throw new Error(`nginx did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    errors: () => readFile(errorLog, 'utf8').catch(() => ''),
    async close() {
      child.kill('SIGTERM');
      await exited;
      await rm(prefix, { recursive: true, force: true });
    },
  };
}
