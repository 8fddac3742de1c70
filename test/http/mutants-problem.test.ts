// The problem+json media type and type URIs, checked directly (docs/MUTATION.md): clients match on both.
import * as assert from 'uvu/assert';
import { PROBLEM_CONTENT_TYPE, problemType } from '../../src/http/problem.js';
import { test } from '../support/suite.js';

test('when a problem is named, then its type is a relative URI under /problems/, and its media type is RFC 9457\'s', () => {
  assert.is(problemType('not-found'), '/problems/not-found');
  assert.is(problemType('upload-spool-full'), '/problems/upload-spool-full');
  assert.is(PROBLEM_CONTENT_TYPE, 'application/problem+json');
});

test.run();
