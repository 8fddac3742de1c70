// The records page cursor, checked as strictly as its comment promises: StrykerJS showed the HTTP tests send only
// cursors the service wrote, so none of the timestamp checks were exercised (docs/MUTATION.md).
import { test } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { decodeCursor, encodeCursor } from '../../src/domain/record-cursor.js';
import { DomainError } from '../../src/domain/errors.js';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function refused(cursor: string) {
  try {
    decodeCursor(cursor);
  } catch (error) {
    assert.instance(error, DomainError);
    assert.is((error as DomainError).code, 'validation-failed');
    assert.equal((error as DomainError).extra.fields, [{ field: 'cursor', message: 'cursor must be a nextCursor value from a previous page' }]);
    return;
  }
  assert.unreachable(`accepted ${Buffer.from(cursor, 'base64url').toString()}`);
}

test('when a cursor holds a timestamp at the edges of every field, then it is accepted, its id lowercased', () => {
  for (const createdAt of [
    '2026-11-30 21:07:18.920271+00',
    '2026-11-30T21:07:18Z',
    '0001-01-01 00:00:00+00',
    '2024-02-29 23:59:59.5-15:59:59',
    '2026-12-31 12:00:00+15:59',
    '2026-06-30 12:00:00+0530',
  ]) {
    assert.equal(decodeCursor(raw([createdAt, ID.toUpperCase()])), { createdAt, id: ID });
  }
  assert.is(encodeCursor({ createdAt: '2026-11-30 21:07:18.920271+00', id: ID }), raw(['2026-11-30 21:07:18.920271+00', ID]));
});

test('when a field is one past its range or the day does not exist, then the cursor is refused', () => {
  for (const createdAt of [
    '0000-01-01 00:00:00+00',
    '2026-11-30 24:00:00+00',
    '2026-11-30 23:60:00+00',
    '2026-11-30 23:59:60+00',
    '2026-11-30 12:00:00+16',
    '2026-11-30 12:00:00+15:60',
    '2026-11-30 12:00:00+15:59:60',
    '2026-02-30 12:00:00+00',
    '2026-13-01 12:00:00+00',
    '2026-04-31 12:00:00+00',
    '2026-11-30 12:00:00',
    '2026-11-30 12:00:00.1234567+00',
    'x2026-11-30 12:00:00+00',
    '2026-11-30 12:00:00+00x',
    '+275760-09-13 00:00:00+00',
  ]) {
    refused(raw([createdAt, ID]));
  }
});

test('when a cursor is not JSON, not a pair, or its id is not a UUID, then it is refused the same way', () => {
  refused('not base64 json');
  refused(raw(['2026-11-30 21:07:18+00']));
  refused(raw(['2026-11-30 21:07:18+00', 'not-a-uuid']));
  refused(raw({ createdAt: '2026-11-30 21:07:18+00', id: ID }));
});

test.run();
