// The per-user cap on conversions in flight (src/domain/user-conversion-slots.ts), with plain calls: the HTTP tests
// reach the cap only through real uploads, and none of the fast ones holds several in flight for one user.
import * as assert from 'uvu/assert';
import { DomainError } from '../../src/domain/errors.js';
import { UserConversionSlots } from '../../src/domain/user-conversion-slots.js';
import { test } from '../support/suite.js';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('accepted');
}

test('when a user holds as many slots as allowed, then one more is refused with the count, what to do and a retry time', () => {
  const slots = new UserConversionSlots(2);
  slots.acquire('a');
  slots.acquire('a');
  const error = refusal(() => slots.acquire('a'));
  assert.is(error.code, 'too-many-conversions');
  assert.is(
    error.message,
    'you already have 2 conversions in progress, the most this server runs at once for one user; retry when one finishes',
  );
  assert.equal(error.extra, { retryAfterSeconds: 5 });
});

test('when one user is at the cap, then another user still gets a slot', () => {
  const slots = new UserConversionSlots(1);
  slots.acquire('a');
  slots.acquire('b');
  assert.is(refusal(() => slots.acquire('b')).code, 'too-many-conversions');
});

test('when a slot is given back, then it can be taken again, and only one slot per release', () => {
  const slots = new UserConversionSlots(2);
  const first = slots.acquire('a');
  slots.acquire('a');
  first();
  const third = slots.acquire('a');
  assert.is(refusal(() => slots.acquire('a')).code, 'too-many-conversions');
  third();
  slots.acquire('a');
  assert.is(refusal(() => slots.acquire('a')).code, 'too-many-conversions');
});

test('when a release is called twice, then it gives back one slot, not two', () => {
  const slots = new UserConversionSlots(2);
  const first = slots.acquire('a');
  slots.acquire('a');
  first();
  first();
  slots.acquire('a');
  const error = refusal(() => slots.acquire('a'));
  assert.match(error.message, /^you already have 2 conversions/);
});

test('when every slot of a user is given back, then the user starts again from zero', () => {
  const slots = new UserConversionSlots(3);
  const releases = [slots.acquire('a'), slots.acquire('a'), slots.acquire('a')];
  for (const release of releases) release();
  for (let i = 0; i < 3; i++) slots.acquire('a');
  assert.match(refusal(() => slots.acquire('a')).message, /^you already have 3 conversions/);
});

test('when a cap of 0 is set, then every conversion is refused', () => {
  const slots = new UserConversionSlots(0);
  assert.match(refusal(() => slots.acquire('a')).message, /^you already have 0 conversions/);
});

test.run();
