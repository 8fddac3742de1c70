// Starts the built service as its own process (so its memory is measured alone) and talks to it over HTTP.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createReadStream, openAsBlob } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import { serviceArguments } from '../test/support/start-command.js';

export interface ServiceUnderTest {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startService(env: Record<string, string>): Promise<ServiceUnderTest> {
  const child = spawn(process.execPath, serviceArguments(), {
    // Benchmarks create users and store hours of MP3 from one address: they measure speed, not the per-user limits.
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_REQUESTS: 'false',
      LOG_LEVEL: 'info',
      MAX_SIGNUPS_PER_IP_PER_HOUR: '0',
      MAX_STORAGE_BYTES_PER_USER: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A benchmark that dies must not leave its service behind, holding a port and its caller's stderr.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"listening on (http:\/\/[^"]+)"/.exec(output);
      if (match) resolve(match[1]!.replace('localhost', '127.0.0.1'));
    });
    child.once('exit', (code) => reject(new Error(`service exited with ${code}: ${output}`)));
  });
  return {
    url,
    pid: child.pid!,
    child,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Peak and current resident memory of a process, in MiB, from /proc (Linux). */
export async function residentMemoryMiB(pid: number): Promise<{ peak: number; current: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { peak: kib('VmHWM') / 1024, current: kib('VmRSS') / 1024 };
}

export async function createBenchUser(url: string): Promise<{ id: string; token: string }> {
  const response = await fetch(`${url}/user`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"bench"}' });
  return (await response.json()) as { id: string; token: string };
}

/** Uploads a WAV file from disk, streamed (the benchmark process does not hold it either). */
export async function uploadFile(url: string, user: { id: string; token: string }, path: string): Promise<{ status: number; body: unknown }> {
  const form = new FormData();
  form.append('user', user.id);
  form.append('token', user.token);
  form.append('file', await openAsBlob(path, { type: 'audio/wav' }), 'bench.wav');
  const response = await fetch(`${url}/record`, { method: 'POST', body: form });
  return { status: response.status, body: await response.json() };
}

/** Whether curl is on the PATH: the client the README's examples use, and a lighter one than fetch. */
export function hasCurl(): boolean {
  return spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The same upload sent by curl (`-F file=@path`), as a script following the README would. curl reads and sends the
 * file with far less CPU than fetch; over loopback the client shares the machine's cores with the service.
 */
export function uploadFileWithCurl(url: string, user: { id: string; token: string }, path: string): Promise<{ status: number; body: unknown }> {
  const args = ['--silent', '--show-error', '-F', `user=${user.id}`, '-F', `token=${user.token}`, '-F', `file=@${path};type=audio/wav;filename=bench.wav`];
  return new Promise((resolve, reject) => {
    // The body, then the status on a line of its own.
    execFile('curl', [...args, '-w', '\n%{http_code}', `${url}/record`], { maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) return reject(error);
      const cut = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) as unknown });
    });
  });
}

/**
 * Uploads the WAV at `path` at about `bytesPerSecond` (as a client on a network link of that speed would), and times
 * the answer from the last byte sent: what a user waits for once their upload is done.
 */
export async function uploadFilePaced(
  url: string,
  user: { id: string; token: string },
  path: string,
  bytesPerSecond: number,
): Promise<{ status: number; body: unknown; sendSeconds: number; afterLastByteSeconds: number }> {
  const boundary = 'bench-paced-upload';
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = field('user', user.id) + field('token', user.token) + `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const { size } = await stat(path);
  const request = http.request(`${url}/record`, {
    method: 'POST',
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': Buffer.byteLength(head) + size + Buffer.byteLength(tail) },
  });
  const answer = new Promise<{ status: number; body: unknown; at: number }>((resolve, reject) => {
    request.on('error', reject);
    request.on('response', (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString()), at: performance.now() }));
    });
  });
  const started = performance.now();
  request.write(head);
  // Tenth-of-a-second slices, each sent once the clock says its last byte is due: never ahead of the rate.
  const slice = Math.max(1, Math.round(bytesPerSecond / 10));
  let sent = 0;
  for await (const part of createReadStream(path, { highWaterMark: slice })) {
    const dueMs = ((sent + (part as Buffer).length) / bytesPerSecond) * 1000 - (performance.now() - started);
    if (dueMs > 0) await new Promise((resolve) => setTimeout(resolve, dueMs));
    if (!request.write(part)) await new Promise((resolve) => request.once('drain', resolve));
    sent += (part as Buffer).length;
  }
  await new Promise<void>((resolve) => request.end(tail, resolve));
  const lastByte = performance.now();
  const { status, body, at } = await answer;
  return { status, body, sendSeconds: (lastByte - started) / 1000, afterLastByteSeconds: (at - lastByte) / 1000 };
}
