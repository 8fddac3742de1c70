// Real HTTP clients sending a multipart WAV upload from a file on disk, each reporting what its user would see: the
// status and body, or the error it raised (a reset or a broken pipe). Each runs as a process of its own, as a
// person's script would: curl, Node's fetch (test/clients/upload-fetch.ts), Python's urllib and requests. Python's clients are Debian's (/usr/bin/python3 with python3-requests), as
// .ci/run installs them.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ClientOutcome {
  client: string;
  status: number | null;
  body?: string;
  error?: string;
}

export type UploadClient = 'curl' | 'curl-no-expect' | 'fetch' | 'python-requests' | 'python-urllib';
export const UPLOAD_CLIENTS: UploadClient[] = ['curl', 'curl-no-expect', 'fetch', 'python-requests', 'python-urllib'];

export interface ClientUpload {
  url: string;
  file: string;
  fields: Record<string, string>;
  headers?: Record<string, string>;
  /** Send the file itself as the body (audio/wav), not as a multipart form. */
  raw?: boolean;
}

const PYTHON = process.env.TEST_PYTHON ?? '/usr/bin/python3';
// The Python script stays in test/clients/; compiled tests run from dist/test/support/.
const PYTHON_UPLOAD = fileURLToPath(new URL('../../../test/clients/upload.py', import.meta.url));
const FETCH_UPLOAD = fileURLToPath(new URL('../clients/upload-fetch.js', import.meta.url));

function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function curl(upload: ClientUpload, expect: boolean): Promise<ClientOutcome> {
  const client = expect ? 'curl' : 'curl-no-expect';
  const args = ['--silent', '--show-error', '--output', '-', '--write-out', '\n%{http_code}', '--max-time', '600'];
  // curl asks `Expect: 100-continue` for bodies over 1 MiB by itself; an empty header turns that off.
  if (!expect) args.push('-H', 'Expect:');
  for (const [name, value] of Object.entries(upload.headers ?? {})) args.push('-H', `${name}: ${value}`);
  if (upload.raw) {
    args.push('-H', 'Content-Type: audio/wav', '--data-binary', `@${upload.file}`, upload.url);
  } else {
    for (const [name, value] of Object.entries(upload.fields)) args.push('--form-string', `${name}=${value}`);
    args.push('-F', `file=@${upload.file};type=audio/wav`, upload.url);
  }
  const { code, stdout, stderr } = await run('curl', args);
  const cut = stdout.lastIndexOf('\n');
  const status = Number(stdout.slice(cut + 1));
  if (code !== 0 || !status) return { client, status: null, body: stdout.slice(0, cut), error: `curl exit ${code}: ${stderr.trim()}` };
  return { client, status, body: stdout.slice(0, cut) };
}

async function python(upload: ClientUpload, library: 'urllib' | 'requests'): Promise<ClientOutcome> {
  const client = `python-${library}`;
  const args = [PYTHON_UPLOAD, library, upload.url, upload.file];
  for (const [name, value] of Object.entries(upload.fields)) args.push('--field', `${name}=${value}`);
  for (const [name, value] of Object.entries(upload.headers ?? {})) args.push('--header', `${name}: ${value}`);
  if (upload.raw) args.push('--raw', '1');
  const { stdout, stderr } = await run(PYTHON, args);
  return parseOutcome(client, stdout, stderr);
}

/** The JSON line the client scripts print. */
function parseOutcome(client: string, stdout: string, stderr: string): ClientOutcome {
  try {
    const outcome = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { status: number | null; body?: string; error?: string };
    return { client, ...outcome };
  } catch {
    return { client, status: null, error: `the ${client} script printed no outcome: ${stderr.trim() || stdout.trim()}` };
  }
}

async function nodeFetch(upload: ClientUpload): Promise<ClientOutcome> {
  const { fields, headers, raw } = upload;
  const { stdout, stderr } = await run(process.execPath, [FETCH_UPLOAD, upload.url, upload.file, JSON.stringify({ fields, headers, raw })]);
  return parseOutcome('fetch', stdout, stderr);
}

export function sendUpload(client: UploadClient, upload: ClientUpload): Promise<ClientOutcome> {
  switch (client) {
    case 'curl':
      return curl(upload, true);
    case 'curl-no-expect':
      return curl(upload, false);
    case 'fetch':
      return nodeFetch(upload);
    case 'python-requests':
      return python(upload, 'requests');
    case 'python-urllib':
      return python(upload, 'urllib');
  }
}
