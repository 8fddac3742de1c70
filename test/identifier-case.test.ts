// UUIDs are case-insensitive: every spelling of a user id, record id or access token is the same one, for
// authentication, for the per-user cap on conversions and for the routes that read records.
import net from 'node:net';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { createUser, download, upload, uploadOk, type CreatedUser, type RecordView } from './support/api-client.js';
import { startTestService, type TestService } from './support/test-service.js';

/** "3f0c2a4e-…" → "3F0c2A4e-…": upper and lower case mixed, so that it equals neither all-lower nor all-upper. */
const mixedCase = (id: string) => [...id].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join('');

/**
 * An upload that sends its fields and the start of its file, then stalls: once the service has authenticated it and
 * started spooling the file, it holds one of the user's conversion slots until the socket is destroyed.
 */
function stalledUpload(service: TestService, fields: Record<string, string>): net.Socket {
  const boundary = 'stalled-upload';
  const socket = net.connect(Number(new URL(service.url).port), '127.0.0.1');
  socket.on('error', () => {});
  const parts = Object.entries(fields).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  socket.write(
    `POST /record HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 100000000\r\n\r\n` +
      parts.join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="stalled.wav"\r\n\r\nRIFF`,
  );
  return socket;
}

/** Waits until `count` uploads are spooling, i.e. authenticated and holding their slots. */
async function untilSpooling(service: TestService, count: number): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if ((await service.spooledFiles()).length === count) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${count} uploads never reached their file: ${(await service.spooledFiles()).length} spooling`);
}

const wav = () => encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 0.3, 8000)]);

test('when one user id is sent as abc…, ABC… and Abc…, then the three share the per-user cap and the third gets 429', async () => {
  const service = await startTestService({ maxConversionsPerUser: 2 });
  const held: net.Socket[] = [];
  try {
    const user = await createUser(service.url, 'many spellings');
    // The tokens are spelt differently too: the upper-case copy of a token is the token.
    held.push(stalledUpload(service, { user: user.id, token: user.token }));
    held.push(stalledUpload(service, { user: user.id.toUpperCase(), token: user.token.toUpperCase() }));
    await untilSpooling(service, 2);

    const third = await upload(service.url, wav(), { user: mixedCase(user.id), token: mixedCase(user.token) });
    assert.is(third.status, 429, await third.clone().text());
    assert.is(((await third.json()) as { type: string }).type, '/problems/too-many-conversions');
    // The same through the Bearer header, upper case.
    const bearer = await upload(service.url, wav(), { user: user.id.toUpperCase(), bearer: user.token.toUpperCase() });
    assert.is(bearer.status, 429, await bearer.text());

    for (const socket of held) socket.destroy();
    // The slots come back once the service has seen the stalled uploads go.
    let response: Response | undefined;
    for (let i = 0; i < 100 && (response === undefined || response.status === 429); i++) {
      if (response) await new Promise((r) => setTimeout(r, 20));
      response = await upload(service.url, wav(), { user: mixedCase(user.id), token: mixedCase(user.token) });
    }
    assert.is(response!.status, 201, await response!.clone().text());
    const record = (await response!.json()) as RecordView;
    assert.is(record.user, user.id, 'the answer spells the id as it is stored');
    assert.ok(record.url.includes(`user=${user.id}`), record.url);
  } finally {
    for (const socket of held) socket.destroy();
    await service.close();
  }
});

test('when the user id, record id and token are sent in upper case, then GET /user, /record and /records answer as for lower case', async () => {
  const service = await startTestService();
  try {
    const user: CreatedUser = await createUser(service.url, 'upper case');
    const record = await uploadOk(service.url, wav(), { user: user.id, token: user.token });
    const USER = user.id.toUpperCase();
    const auth = { Authorization: `Bearer ${user.token.toUpperCase()}` };

    const profile = await fetch(`${service.url}/user?id=${USER}`, { headers: auth });
    assert.is(profile.status, 200, await profile.clone().text());
    assert.is(((await profile.json()) as { id: string }).id, user.id);

    const listed = await fetch(`${service.url}/records?user=${USER}&limit=1`, { headers: auth });
    assert.is(listed.status, 200, await listed.clone().text());
    const page = (await listed.json()) as { records: RecordView[] };
    assert.equal(
      page.records.map((r) => [r.id, r.user]),
      [[record.id, user.id]],
    );

    const { response, bytes } = await download(`${service.url}/record?id=${record.id.toUpperCase()}&user=${mixedCase(user.id)}`);
    assert.is(response.status, 200);
    assert.is(bytes.length, record.output.bytes);

    const deleted = await fetch(`${service.url}/record?id=${mixedCase(record.id)}&user=${USER}`, { method: 'DELETE', headers: auth });
    assert.is(deleted.status, 204);
    assert.is((await fetch(record.url)).status, 404);
  } finally {
    await service.close();
  }
});

test.run();
