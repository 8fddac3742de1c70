// Shortening upload names at the exact limit, where StrykerJS showed the upload-name tests blind (docs/MUTATION.md):
// an extension with digits kept, a name of exactly the limit left alone, a space at the cut removed.
import { test } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { cleanUploadName, MAX_UPLOAD_NAME_CHARACTERS } from '../../src/domain/upload-name.js';

test('when a long name ends in an extension with digits, then the extension is kept whole', () => {
  const cleaned = cleanUploadName('a'.repeat(300) + '.mp3');
  assert.is(cleaned, 'a'.repeat(MAX_UPLOAD_NAME_CHARACTERS - 4) + '.mp3');
});

test('when a name is exactly the limit, then it is kept as it is, a space before its extension included', () => {
  const name = 'a'.repeat(MAX_UPLOAD_NAME_CHARACTERS - 5) + ' .wav';
  assert.is([...name].length, MAX_UPLOAD_NAME_CHARACTERS);
  assert.is(cleanUploadName(name), name);
});

test('when the cut falls just after a space, then the space is dropped, not kept before the extension', () => {
  const cleaned = cleanUploadName('a'.repeat(250) + ' ' + 'b'.repeat(60) + '.wav');
  assert.is(cleaned, 'a'.repeat(250) + '.wav');
});

test.run();
