import { test } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { cleanUploadName, FALLBACK_UPLOAD_NAME, MAX_UPLOAD_NAME_CHARACTERS } from '../../src/domain/upload-name.js';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const characters = (s: string) => [...s].length;

const CLEANED: [string, string, string][] = [
  ['a plain name', 'take 1.wav', 'take 1.wav'],
  ['a name in another script', 'запись ёжик.wav', 'запись ёжик.wav'],
  ['surrounding spaces', '  take.wav \u3000', 'take.wav'],
  ['C0 controls, DEL and C1 controls', 'a\u0000b\u0001c\td\ne\u001ff\u007fg\u0080h\u0085i\u009fj.wav', 'abcdefghij.wav'],
  [
    'bidirectional formatting characters',
    'x\u061cy\u200ez\u200f1\u202a2\u202b3\u202c4\u202d5\u202e6\u20667\u20678\u20689\u2069.wav',
    'xyz123456789.wav',
  ],
  ['a right-to-left override hiding an extension', 'invoice\u202evaw.exe', 'invoicevaw.exe'],
  ['line and paragraph separators', 'one\u2028two\u2029.wav', 'onetwo.wav'],
  ['an empty name', '', FALLBACK_UPLOAD_NAME],
  ['nothing but controls and spaces', ' \u202e\t\u0001 ', FALLBACK_UPLOAD_NAME],
  // Characters that are not controls stay, even when invisible or unusual.
  ['joiners inside an emoji', 'family 👨‍👩‍👧.wav', 'family 👨‍👩‍👧.wav'],
];

for (const [what, given, expected] of CLEANED) {
  test(`when the name has ${what}, then it is cleaned to ${JSON.stringify(expected)}`, () => {
    assert.is(cleanUploadName(given), expected);
  });
}

test(`when a name is longer than ${MAX_UPLOAD_NAME_CHARACTERS} characters, then its start and its extension are kept`, () => {
  const name = cleanUploadName(`${'a'.repeat(300)}.wav`);
  assert.is(name, `${'a'.repeat(MAX_UPLOAD_NAME_CHARACTERS - 4)}.wav`);
  assert.is(cleanUploadName('b'.repeat(1000)), 'b'.repeat(MAX_UPLOAD_NAME_CHARACTERS), 'no extension: just the start');
  const oddExtension = cleanUploadName(`${'c'.repeat(300)}.not-an-extension`);
  assert.is(oddExtension, 'c'.repeat(MAX_UPLOAD_NAME_CHARACTERS), 'what does not look like an extension is not kept');
  assert.is(cleanUploadName(`${'d'.repeat(MAX_UPLOAD_NAME_CHARACTERS - 4)}.wav`).length, MAX_UPLOAD_NAME_CHARACTERS, 'at the cap: unchanged');
});

test('when a long name is cut, then no surrogate pair and no letter with its accent is split', () => {
  const emoji = cleanUploadName(`a${'😀'.repeat(300)}.wav`);
  assert.is(characters(emoji), MAX_UPLOAD_NAME_CHARACTERS);
  assert.not.match(emoji, LONE_SURROGATE);
  assert.ok(emoji.endsWith('😀.wav'), emoji.slice(-8));

  // "e" + U+0301 is one letter of two code points: 125 of them fill 250 of the 251 left beside ".wav", and the
  // 126th does not fit whole, so it is left out rather than cut to a bare "e".
  const accented = cleanUploadName(`${'e\u0301'.repeat(200)}.wav`);
  assert.is(accented, `${'e\u0301'.repeat(125)}.wav`);

  const controlsCounted = cleanUploadName(`${'\u0001'.repeat(500)}${'f'.repeat(10)}.wav`);
  assert.is(controlsCounted, `${'f'.repeat(10)}.wav`, 'the cap applies to what is left after cleaning');
});

test.run();
