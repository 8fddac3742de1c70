// Validation at the edge, called directly (docs/MUTATION.md): valid input comes back parsed, invalid input is
// refused naming every field at fault by its path, or "(body)" when the whole value is wrong.
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { DomainError } from '../../src/domain/errors.js';
import { parseInput } from '../../src/http/validate.js';
import { suite } from '../support/suite.js';

const schema = z.object({ name: z.string().min(1, 'give a name'), options: z.object({ bitrate: z.number().int('whole kbps') }) });

function refusal(value: unknown, against: z.ZodType = schema): DomainError {
  try {
    parseInput(against, value);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('accepted');
}

const validate = suite('parseInput');

validate('when the value fits the schema, then the parsed value comes back', () => {
  assert.equal(parseInput(schema, { name: 'a', options: { bitrate: 128 }, extra: 1 }), { name: 'a', options: { bitrate: 128 } });
  assert.is(parseInput(z.coerce.number(), '42'), 42);
});

validate('when fields are wrong, then the refusal names each by its dotted path with its message', () => {
  const error = refusal({ name: '', options: { bitrate: 1.5 } });
  assert.is(error.code, 'validation-failed');
  assert.equal(error.extra.fields, [
    { field: 'name', message: 'give a name' },
    { field: 'options.bitrate', message: 'whole kbps' },
  ]);
  assert.is(error.message, 'name: give a name; options.bitrate: whole kbps');
});

validate('when the whole value is wrong, then the field is "(body)"', () => {
  const error = refusal(5, z.string('send text'));
  assert.equal(error.extra.fields, [{ field: '(body)', message: 'send text' }]);
});

validate.run();
