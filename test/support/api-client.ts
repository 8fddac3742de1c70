// Small typed wrappers over fetch for the service's routes, so tests read as the behaviour they check.

export interface CreatedUser {
  id: string;
  name: string;
  token: string;
}

export async function createUser(baseUrl: string, name = 'tester'): Promise<CreatedUser> {
  const response = await fetch(`${baseUrl}/user`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (response.status !== 201) throw new Error(`POST /user answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as CreatedUser;
}

export interface UploadOptions {
  user: string;
  token?: string;
  bearer?: string;
  fileName?: string;
  fields?: Record<string, string>;
}

export function uploadForm(wav: Uint8Array, options: UploadOptions): FormData {
  const form = new FormData();
  form.append('user', options.user);
  if (options.token !== undefined) form.append('token', options.token);
  for (const [key, value] of Object.entries(options.fields ?? {})) form.append(key, value);
  form.append('file', new Blob([wav], { type: 'audio/wav' }), options.fileName ?? 'test.wav');
  return form;
}

export async function upload(baseUrl: string, wav: Uint8Array, options: UploadOptions): Promise<Response> {
  return fetch(`${baseUrl}/record`, {
    method: 'POST',
    body: uploadForm(wav, options),
    headers: options.bearer ? { Authorization: `Bearer ${options.bearer}` } : {},
  });
}

export interface RecordView {
  id: string;
  user: string;
  url: string;
  name: string;
  input: { encoding: string; bitsPerSample: number; sampleRate: number; channels: number; durationSeconds: number };
  output: { sampleRate: number; channels: number; bitrateKbps: number | null; vbrQuality: number | null; bytes: number };
}

export async function uploadOk(baseUrl: string, wav: Uint8Array, options: UploadOptions): Promise<RecordView> {
  const response = await upload(baseUrl, wav, options);
  if (response.status !== 201) throw new Error(`POST /record answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as RecordView;
}

export async function download(url: string): Promise<{ response: Response; bytes: Uint8Array }> {
  const response = await fetch(url);
  return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
}
