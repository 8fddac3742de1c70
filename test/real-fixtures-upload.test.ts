// The WAV files sox and ffmpeg wrote (fixtures/) uploaded through the real service: each is accepted, the answer
// describes the input as fixtures/fixtures.json does (a file cut short as truncated, with the duration its header
// declares), and the MP3 it links to has the length of the frames present and the file's tones.
import { readFile } from 'node:fs/promises';
import * as assert from 'uvu/assert';
import { createUser, download, upload, type CreatedUser, type RecordView } from './support/api-client.js';
import { dominantFrequency } from './support/audio-analysis.js';
import { decodeMp3 } from './support/mp3-decode.js';
import { expectedMp3, loadRealFixtures } from './support/real-fixtures.js';
import { suite } from './support/suite.js';
import { startTestService, type TestService } from './support/test-service.js';

interface Context {
  service: TestService;
  user: CreatedUser;
}
type RecordWithContainer = RecordView & { input: RecordView['input'] & { container: string; truncated: boolean; declaredDurationSeconds: number } };

const uploads = suite<Context>('POST /record with files other tools wrote', {} as Context);
uploads.before(async (context) => {
  context.service = await startTestService();
  context.user = await createUser(context.service.url, 'fixture-uploader');
});
uploads.after(async ({ service }) => service.close());

for (const fixture of loadRealFixtures()) {
  const expected = expectedMp3(fixture);
  uploads(`when ${fixture.file} is uploaded, then it answers 201 with its format and duration, and the MP3 has its length and tones`, async ({ service, user }) => {
    const response = await upload(service.url, await readFile(fixture.path), { user: user.id, token: user.token, fileName: fixture.file });
    assert.is(response.status, 201, await response.clone().text());
    const record = (await response.json()) as RecordWithContainer;
    const { container, encoding, bitsPerSample, sampleRate, channels, durationSeconds, truncated, declaredDurationSeconds } = record.input;
    assert.equal(
      { container, encoding, bitsPerSample, sampleRate, channels },
      { container: fixture.container, encoding: fixture.encoding, bitsPerSample: fixture.bitsPerSample, sampleRate: fixture.sampleRate, channels: fixture.channels },
    );
    assert.ok(Math.abs(durationSeconds - fixture.frames / fixture.sampleRate) < 1e-9, `duration ${durationSeconds} s for ${fixture.frames} frames at ${fixture.sampleRate} Hz`);
    assert.is(truncated, fixture.truncated);
    const declared = (fixture.declaredFrames ?? fixture.frames) / fixture.sampleRate;
    assert.ok(Math.abs(declaredDurationSeconds - declared) < 1e-9, `declared ${declaredDurationSeconds} s, expected ${declared} s`);
    assert.is(record.output.sampleRate, expected.sampleRate);
    assert.is(record.output.channels, expected.channels);

    const { response: mp3Response, bytes } = await download(record.url);
    assert.is(mp3Response.status, 200);
    assert.is(bytes.length, record.output.bytes);
    const decoded = await decodeMp3(bytes);
    assert.is(decoded.sampleRate, expected.sampleRate);
    assert.is(decoded.channels.length, expected.channels);
    assert.is(decoded.samples, expected.samples, 'decoded samples per channel');
    expected.dominantHz.forEach((hz, out) => {
      const strongest = dominantFrequency(decoded.channels[out]!, decoded.sampleRate);
      assert.ok(Math.abs(strongest - hz) < 3, `channel ${out}: strongest tone ${strongest.toFixed(1)} Hz, expected ${hz} Hz`);
    });
  });
}

uploads.run();
