// Sends one WAV upload with Node's fetch, in a process of its own as a person's script would, and prints what came
// back as one JSON line: the status and body, or the error fetch raised (a reset or a broken pipe shows up here).
// usage: node upload-fetch.js URL FILE '{"fields":{...},"headers":{...},"raw":false}'
import { openAsBlob } from 'node:fs';
import path from 'node:path';

const [url, file, json] = process.argv.slice(2) as [string, string, string];
const { fields, headers, raw } = JSON.parse(json) as { fields: Record<string, string>; headers?: Record<string, string>; raw?: boolean };
const blob = await openAsBlob(file, { type: 'audio/wav' });
const form = new FormData();
for (const [name, value] of Object.entries(fields)) form.append(name, value);
form.append('file', blob, path.basename(file));
try {
  const response = await fetch(url, { method: 'POST', body: raw ? blob : form, headers });
  console.log(JSON.stringify({ status: response.status, body: await response.text() }));
} catch (error) {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  console.log(JSON.stringify({ status: null, error: `${(error as Error).message}: ${cause?.code ?? ''} ${cause?.message ?? ''}` }));
}
