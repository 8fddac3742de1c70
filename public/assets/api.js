// The service's HTTP API as the page uses it. Every failure becomes an ApiError carrying the problem+json body
// (RFC 9457) the service sends, or one made up here when the answer never came or was not problem+json.

export class ApiError extends Error {
  /** @param {{type?: string, title?: string, status: number, detail?: string, errors?: {field: string, message: string}[]}} problem */
  constructor(problem, retryAfterSeconds) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.name = 'ApiError';
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

// status 0: the request never got an answer (offline, server down, connection cut mid-upload).
const NETWORK_PROBLEM = { status: 0, title: 'No answer from the service', detail: 'the connection failed before the service answered' };

function problemFrom(status, statusText, bodyText) {
  try {
    const body = JSON.parse(bodyText);
    if (body && typeof body === 'object' && typeof body.status === 'number') return body;
  } catch {
    // Not JSON: a proxy's HTML error page, or an empty body. Fall through to a problem made from the status.
  }
  return { status, title: statusText || `HTTP ${status}`, detail: `the service answered ${status} ${statusText}`.trim() };
}

const retryAfter = (header) => (header && /^\d+$/.test(header) ? Number(header) : undefined);

async function request(path, { method = 'GET', token, json } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  } catch {
    throw new ApiError(NETWORK_PROBLEM);
  }
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (!response.ok) throw new ApiError(problemFrom(response.status, response.statusText, text), retryAfter(response.headers.get('Retry-After')));
  return JSON.parse(text);
}

/** @returns {Promise<{id: string, name: string, token: string}>} */
export const createUser = (name) => request('/user', { method: 'POST', json: { name } });

/**
 * The user's own profile; proves the id and token belong together.
 * @returns {Promise<{id: string, name: string, createdAt: string, storage: {usedBytes: number, allowedBytes: number | null}}>}
 */
export const getUser = (user) => request(`/user?${new URLSearchParams({ id: user.id })}`, { token: user.token });

/**
 * A new token for the user. The service shows it only in this answer, and the old one stops working at once.
 * @returns {Promise<{id: string, token: string}>}
 */
export const renewToken = (user) => request(`/user/token?${new URLSearchParams({ id: user.id })}`, { method: 'POST', token: user.token });

/** Deletes the user with every record and MP3; their links answer 404 from then on. */
export const deleteUser = (user) => request(`/user?${new URLSearchParams({ id: user.id })}`, { method: 'DELETE', token: user.token });

/** One page of the user's records, newest first; pass the answer's nextCursor back for the next page. */
export function listRecords(user, { limit = 20, cursor } = {}) {
  const query = new URLSearchParams({ user: user.id, limit: String(limit) });
  if (cursor) query.set('cursor', cursor);
  return request(`/records?${query}`, { token: user.token });
}

// The largest page the service serves (MAX_PAGE_SIZE): counting takes the fewest requests.
const LARGEST_PAGE = 100;

/** How many records the user has, counted a page at a time (the service keeps no count). */
export async function countRecords(user) {
  let count = 0;
  let cursor;
  do {
    const page = await listRecords(user, { limit: LARGEST_PAGE, cursor });
    count += page.records.length;
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}

export function deleteRecord(user, recordId) {
  return request(`/record?${new URLSearchParams({ id: recordId, user: user.id })}`, { method: 'DELETE', token: user.token });
}

/**
 * Uploads one WAV and resolves with the new record. XMLHttpRequest rather than fetch, because only it reports
 * upload progress. onProgress gets the fraction sent (0–1); onSent fires once the whole body is on its way and
 * the service is converting.
 *
 * @param {{id: string, token: string}} user
 * @param {File} file
 * @param {{bitrate?: number, vbr?: number, mono: boolean}} options
 */
export function uploadRecord(user, file, options, { onProgress, onSent }) {
  // The user id goes before the file, so the service checks the token before it reads a byte of audio.
  const form = new FormData();
  form.append('user', user.id);
  if (options.vbr !== undefined) form.append('vbr', String(options.vbr));
  else if (options.bitrate !== undefined) form.append('bitrate', String(options.bitrate));
  if (options.mono) form.append('mono', 'true');
  form.append('file', file, file.name);

  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/record');
    xhr.setRequestHeader('Authorization', `Bearer ${user.token}`);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.upload.addEventListener('load', () => onSent());
    xhr.addEventListener('load', () => {
      if (xhr.status === 201) resolve(JSON.parse(xhr.responseText));
      else reject(new ApiError(problemFrom(xhr.status, xhr.statusText, xhr.responseText), retryAfter(xhr.getResponseHeader('Retry-After'))));
    });
    xhr.addEventListener('error', () => reject(new ApiError(NETWORK_PROBLEM)));
    xhr.addEventListener('abort', () => reject(new ApiError({ ...NETWORK_PROBLEM, detail: 'the upload was cancelled' })));
    xhr.send(form);
  });
}
