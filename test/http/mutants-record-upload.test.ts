// POST /record's own decisions (src/http/routes/record-upload.ts), through a service in this process: the order of the
// form's parts with form credentials and with a Bearer token, a form without a file, what the spool reserves for a
// declared and for a chunked body, that a request refused after its file has arrived stops its conversion and
// stores nothing before it is answered, and that a client gone while its token was being checked keeps nothing.
import net from 'node:net';
import * as assert from 'uvu/assert';
import { sine } from '../fixtures/signals.js';
import { encodeWav } from '../fixtures/wav-writer.js';
import { createUser, type CreatedUser } from '../support/api-client.js';
import { handMadeUpload } from '../support/multipart.js';
import { suite } from '../support/suite.js';
import { startTestService, type TestService } from '../support/test-service.js';
import { until } from '../support/until.js';

const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
const upload = suite<{ service: TestService; user: CreatedUser }>('record upload', {} as never);

upload.before(async (context) => {
  context.service = await startTestService({ threads: 1, maxUploadBytes: MAX_UPLOAD_BYTES });
  context.user = await createUser(context.service.url, 'record-upload');
});
upload.after(async ({ service }) => {
  await service?.close();
});

const shortWav = () => new Blob([encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 0.5, 8000)])], { type: 'audio/wav' });

/** A form with its parts in the order given. */
function form(parts: [string, string | Blob][]): FormData {
  const body = new FormData();
  for (const [name, value] of parts) {
    if (typeof value === 'string') body.append(name, value);
    else body.append(name, value, 'upload.wav');
  }
  return body;
}

async function post(service: TestService, body: FormData, headers: Record<string, string> = {}) {
  const response = await fetch(`${service.url}/record`, { method: 'POST', body, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const recordsOf = async (service: TestService, user: CreatedUser) =>
  (await service.sql<{ n: number }[]>`select count(*)::int as n from records where user_id = ${user.id}`)[0]!.n;

upload('when the form credentials come after the file, then 422 credentials-after-file, with nothing spooled', async ({ service, user }) => {
  const answer = await post(
    service,
    form([
      ['file', shortWav()],
      ['user', user.id],
      ['token', user.token],
    ]),
  );
  assert.is(answer.status, 422);
  assert.equal(
    [answer.body.type, answer.body.title, answer.body.detail],
    [
      '/problems/credentials-after-file',
      'Credentials must come before the file',
      'send the `user` and `token` fields before the `file` field (curl -F and browsers keep the order given), or send the token as an Authorization: Bearer header',
    ],
  );
  assert.equal(await service.spooledFiles(), []);
});

upload('when a Bearer token is sent, then the user field may come after the file, and options sent before the file are used', async ({ service, user }) => {
  const bearer = { Authorization: `Bearer ${user.token}` };
  const fileFirst = await post(
    service,
    form([
      ['bitrate', '64'],
      ['file', shortWav()],
      ['user', user.id],
    ]),
    bearer,
  );
  assert.is(fileFirst.status, 201, JSON.stringify(fileFirst.body));
  assert.is((fileFirst.body.output as { bitrateKbps: number }).bitrateKbps, 64);
});

upload('when the form holds no file, then 422 names the file field and what to do', async ({ service, user }) => {
  const answer = await post(
    service,
    form([
      ['user', user.id],
      ['token', user.token],
    ]),
  );
  assert.is(answer.status, 422);
  assert.is(answer.body.type, '/problems/validation-failed');
  assert.equal(answer.body.errors, [{ field: 'file', message: 'attach the WAV file in the form field `file`' }]);
});

upload('when a field after the file is invalid, then the answer comes once the conversion has stopped, with no record and no spool file', async ({ service }) => {
  const user = await createUser(service.url, 'refused after the file');
  // Long enough that its conversion is still running when the last field is read.
  const wav = new Blob([encodeWav({ sampleRate: 44_100, channels: 2 }, [sine(440, 20, 44_100), sine(660, 20, 44_100)])], { type: 'audio/wav' });
  const answer = await post(
    service,
    form([
      ['user', user.id],
      ['token', user.token],
      ['file', wav],
      ['bitrate', 'loud'],
    ]),
  );
  assert.is(answer.status, 422);
  assert.equal(service.pool.stats.running, 0, 'no conversion is left running');
  assert.equal(await service.spooledFiles(), []);
  assert.is(await recordsOf(service, user), 0);
});

interface RawUpload {
  /** How the token is sent: as form fields before the file, or as a Bearer header. */
  credentials?: 'form' | 'bearer';
  framing?: 'content-length' | 'chunked';
}

/**
 * Opens an upload over a raw socket and sends its head and the start of its file, a WAV that promises 5 MB more; the
 * caller ends it. `declared` is its Content-Length (unsent for a chunked body).
 */
function startUpload(service: TestService, user: CreatedUser, { credentials = 'form', framing = 'content-length' }: RawUpload = {}) {
  const parts = handMadeUpload('raw', credentials === 'form' ? user : undefined);
  const head = Buffer.concat([Buffer.from(parts.head), encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 1, 8000)])]);
  const declared = head.length + 5_000_000;
  const socket = net.connect(Number(new URL(service.url).port), '127.0.0.1');
  socket.on('error', () => {});
  const bearer = credentials === 'bearer' ? `Authorization: Bearer ${user.token}\r\n` : '';
  const length = framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${declared}`;
  socket.write(`POST /record HTTP/1.1\r\nHost: x\r\n${bearer}Content-Type: ${parts.contentType}\r\n${length}\r\n\r\n`);
  socket.write(framing === 'chunked' ? Buffer.concat([Buffer.from(`${head.length.toString(16)}\r\n`), head, Buffer.from('\r\n')]) : head);
  return { socket, declared };
}

/** Starts an upload over a raw socket and returns what the spool reserved once its file part began. */
async function reservedFor(service: TestService, user: CreatedUser, framing: 'content-length' | 'chunked'): Promise<number> {
  // A reservation still held from the case before would be read as this one's: start from an empty budget.
  await until('the spool budget is empty before the upload starts', () => service.spoolBudget.reservedBytes === 0, 15_000);
  const { socket, declared } = startUpload(service, user, { framing });
  try {
    await until('the spool reserves room once the file part starts', () => service.spoolBudget.reservedBytes !== 0, 15_000);
    return framing === 'chunked' ? service.spoolBudget.reservedBytes : service.spoolBudget.reservedBytes - declared;
  } finally {
    socket.destroy();
    await until('the reservation is given back once the client has gone', () => service.spoolBudget.reservedBytes === 0, 15_000);
  }
}

upload('when the file part starts, then the spool reserves the declared length, or the upload limit for a chunked body', async ({ service, user }) => {
  assert.is(service.spoolBudget.reservedBytes, 0);
  assert.is(await reservedFor(service, user, 'content-length'), 0, 'the declared length exactly');
  assert.is(await reservedFor(service, user, 'chunked'), MAX_UPLOAD_BYTES);
  assert.is(service.spoolBudget.reservedBytes, 0, 'both given back');
});

/** Starts two uploads whose token checks wait for the users table, and closes both while they wait. */
async function goneDuringTheCheck(service: TestService, user: CreatedUser, credentials: 'form' | 'bearer'): Promise<void> {
  let unlock = () => {};
  let locked = () => {};
  const lockTaken = new Promise<void>((resolve) => (locked = resolve));
  const held = service.sql.begin(async (tx) => {
    await tx`lock table users in access exclusive mode`;
    locked();
    await new Promise<void>((resolve) => (unlock = resolve));
  });
  await lockTaken;
  const sockets = [startUpload(service, user, { credentials }).socket, startUpload(service, user, { credentials }).socket];
  try {
    await until('both token checks wait for the users table', async () => {
      const [waiting] = await service.sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where wait_event_type = 'Lock' and datname = current_database() and query like 'select % from users where %'`;
      return waiting!.n === 2;
    });
    for (const socket of sockets) socket.destroy();
    // The server sees a loopback client go within milliseconds; the checks finish only after that.
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    for (const socket of sockets) socket.destroy();
    unlock();
    await held;
  }
}

for (const credentials of ['form', 'bearer'] as const) {
  upload(`when clients go while their ${credentials} credentials are being checked, then the conversion slots and spool room the checks take are given back`, async ({ service }) => {
    const user = await createUser(service.url, `gone during the ${credentials} check`);
    await goneDuringTheCheck(service, user, credentials);
    await until('no spool room is left reserved', () => service.spoolBudget.reservedBytes === 0, 15_000);
    // Two conversions at once per user (the test service's cap): slots kept by the two gone uploads would refuse this.
    const answer = await post(
      service,
      form([
        ['user', user.id],
        ['token', user.token],
        ['file', shortWav()],
      ]),
    );
    assert.is(answer.status, 201, JSON.stringify(answer.body));
  });
}

upload.run();
