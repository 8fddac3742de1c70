// The client's file name, end to end: cleaned once when the upload is stored, the same cleaned name comes back in the
// answer, the library, the download's Content-Disposition and the MP3's ID3 title.
import { suite } from './support/suite.js';
import * as assert from 'uvu/assert';
import { FALLBACK_UPLOAD_NAME, MAX_UPLOAD_NAME_CHARACTERS } from '../src/domain/upload-name.js';
import { sine } from './fixtures/signals.js';
import { encodeWav } from './fixtures/wav-writer.js';
import { handMadeUpload } from './support/multipart.js';
import { createUser, download, type CreatedUser } from './support/api-client.js';
import { readId3v24 } from './support/id3-reader.js';
import { startTestService, type TestService } from './support/test-service.js';

interface Context {
  service: TestService;
  user: CreatedUser;
}
const names = suite<Context>('upload names', {} as Context);

names.before(async (context) => {
  context.service = await startTestService();
  context.user = await createUser(context.service.url, 'names');
});
names.after(async ({ service }) => service.close());

interface UploadAnswer {
  id: string;
  url: string;
  name: string;
  fileName: string;
}

/**
 * POST /record with the file name as an RFC 5987 `filename*`, the one way a part header carries any character at
 * all (a raw U+0001 makes the header malformed; FormData would rewrite some characters on its own).
 */
async function uploadNamed({ service, user }: Context, fileName: string): Promise<UploadAnswer> {
  const wav = encodeWav({ sampleRate: 8000, channels: 1 }, [sine(440, 0.2, 8000)]);
  const form = handMadeUpload('named-upload', user, `filename*=UTF-8''${encodeURIComponent(fileName)}`);
  const body = Buffer.concat([Buffer.from(form.head, 'utf8'), wav, Buffer.from(form.tail)]);
  const response = await fetch(`${service.url}/record`, {
    method: 'POST',
    headers: { 'Content-Type': form.contentType },
    body,
  });
  assert.is(response.status, 201, await response.clone().text());
  return (await response.json()) as UploadAnswer;
}

/** The file name a download is saved under: filename* (RFC 5987) when given, else filename. */
function savedFileName(disposition: string): string {
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (extended) return decodeURIComponent(extended[1]!);
  return /filename="([^"]*)"/.exec(disposition)?.[1] ?? '';
}

/** Every place the name shows up again: the library, the download's name and the ID3 title. */
async function checkEverywhere(context: Context, answer: UploadAnswer, name: string): Promise<void> {
  const mp3Name = name.replace(/\.wav$/, '.mp3');
  assert.is(answer.name, name);
  assert.is(answer.fileName, mp3Name);

  const listed = await fetch(`${context.service.url}/records?user=${context.user.id}&limit=100`, {
    headers: { Authorization: `Bearer ${context.user.token}` },
  });
  const record = ((await listed.json()) as { records: UploadAnswer[] }).records.find((r) => r.id === answer.id);
  assert.is(record?.name, name);
  assert.is(record?.fileName, mp3Name);

  const { response, bytes } = await download(answer.url);
  assert.is(response.status, 200);
  const disposition = response.headers.get('content-disposition') ?? '';
  assert.is(savedFileName(disposition), mp3Name, disposition);
  assert.is(readId3v24(bytes).frames.TIT2, name);
}

names('when the name has a right-to-left override, a tab and U+0001, then they are gone everywhere it shows', async (context) => {
  const answer = await uploadNamed(context, 'inter\u202eview\t2026\u0001.wav');
  await checkEverywhere(context, answer, 'interview2026.wav');
});

names(`when the name is longer than ${MAX_UPLOAD_NAME_CHARACTERS} characters, then it is shortened before .wav everywhere it shows`, async (context) => {
  const answer = await uploadNamed(context, `${'ёжик-'.repeat(100)}\u202e.wav`);
  const name = `${'ёжик-'.repeat(100).slice(0, MAX_UPLOAD_NAME_CHARACTERS - 4)}.wav`;
  assert.is([...answer.name].length, MAX_UPLOAD_NAME_CHARACTERS);
  await checkEverywhere(context, answer, name);
});

names('when nothing is left of the name, then the record is named recording.wav', async (context) => {
  const answer = await uploadNamed(context, '\u202e\t\u0001 ');
  assert.is(FALLBACK_UPLOAD_NAME, 'recording.wav');
  await checkEverywhere(context, answer, FALLBACK_UPLOAD_NAME);
});

names.run();
