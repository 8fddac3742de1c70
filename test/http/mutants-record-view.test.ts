// How a record is shown, checked directly (docs/MUTATION.md): the MP3 file name for every shape of upload name, the
// download URL, and every field of the JSON view, with "truncated" at its edge.
import * as assert from 'uvu/assert';
import type { RecordRow } from '../../src/db/record-queries.js';
import { mp3FileName, recordUrl, recordView } from '../../src/http/record-view.js';
import { suite } from '../support/suite.js';

const view = suite('record view');

view('when the upload name ends in .wav or .wave in any case, then the MP3 name replaces that ending', () => {
  assert.is(mp3FileName('take.wav'), 'take.mp3');
  assert.is(mp3FileName('take.WAV'), 'take.mp3');
  assert.is(mp3FileName('take.wave'), 'take.mp3');
  assert.is(mp3FileName('Take 2.WaVe'), 'Take 2.mp3');
  assert.is(mp3FileName('take.wav.wav'), 'take.wav.mp3');
});

view('when the name has no such ending, then .mp3 is added to all of it', () => {
  assert.is(mp3FileName('take'), 'take.mp3');
  assert.is(mp3FileName('takewav'), 'takewav.mp3');
  assert.is(mp3FileName('take.wav.bak'), 'take.wav.bak.mp3');
  assert.is(mp3FileName('take.waves'), 'take.waves.mp3');
  assert.is(mp3FileName('take.wa'), 'take.wa.mp3');
  assert.is(mp3FileName('take.mp3'), 'take.mp3.mp3');
});

view('when nothing is left of the name, then the file is called audio.mp3', () => {
  assert.is(mp3FileName('.wav'), 'audio.mp3');
  assert.is(mp3FileName('.WAVE'), 'audio.mp3');
  assert.is(mp3FileName(''), 'audio.mp3');
});

const row: RecordRow = {
  id: '6f1c2a9e-0000-4000-8000-000000000001',
  userId: '6f1c2a9e-0000-4000-8000-000000000002',
  originalName: 'Session.WAV',
  inputContainer: 'RIFF',
  inputEncoding: 'pcm',
  inputBitsPerSample: 24,
  inputSampleRate: 48000,
  inputChannels: 2,
  durationSeconds: 12.5,
  declaredDurationSeconds: 12.5,
  sampleRate: 44100,
  channels: 1,
  bitrateKbps: 192,
  vbrQuality: null,
  encoder: 'wasm',
  byteSize: 300123,
  audioSha256: Buffer.alloc(32),
  chunkBytes: 65536,
  createdAt: new Date(Date.UTC(2026, 11, 1, 6, 30, 5, 123)),
};

view('when a record is shown, then its URL carries its id and user, after the origin', () => {
  assert.is(recordUrl('https://a.example:8443', row), `https://a.example:8443/record?id=${row.id}&user=${row.userId}`);
});

view('when a record is shown, then every field comes from its row', () => {
  assert.equal(recordView('http://h', row), {
    id: row.id,
    user: row.userId,
    url: `http://h/record?id=${row.id}&user=${row.userId}`,
    name: 'Session.WAV',
    fileName: 'Session.mp3',
    createdAt: '2026-12-01T06:30:05.123Z',
    input: {
      container: 'RIFF',
      encoding: 'pcm',
      bitsPerSample: 24,
      sampleRate: 48000,
      channels: 2,
      durationSeconds: 12.5,
      truncated: false,
      declaredDurationSeconds: 12.5,
    },
    output: { encoder: 'wasm', sampleRate: 44100, channels: 1, bitrateKbps: 192, vbrQuality: null, bytes: 300123 },
  });
});

// recordView's type is inferred, and in Stryker's instrumented build it also allows undefined.
const inputOf = (record: RecordRow) => (recordView('http://h', record) as { input: { truncated: boolean; declaredDurationSeconds: number } }).input;

view('when the header declared more audio than the file held, then the record is truncated; not when it declared as much or less', () => {
  assert.is(inputOf({ ...row, declaredDurationSeconds: 12.51 }).truncated, true);
  assert.is(inputOf({ ...row, declaredDurationSeconds: 12.5 }).truncated, false);
  assert.is(inputOf({ ...row, declaredDurationSeconds: 12.49 }).truncated, false);
  assert.is(inputOf({ ...row, declaredDurationSeconds: 20 }).declaredDurationSeconds, 20);
});

view.run();
