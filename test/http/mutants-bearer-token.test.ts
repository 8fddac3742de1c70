// The Authorization header's Bearer credentials, read directly (docs/MUTATION.md): the HTTP tests send only
// well-formed headers, so the pattern's anchors and spacing were never put to the test.
import type { Context } from 'koa';
import * as assert from 'uvu/assert';
import { bearerCredentials, bearerToken } from '../../src/http/bearer-token.js';
import { suite } from '../support/suite.js';

// Koa's ctx.get gives '' for an absent header.
const withAuthorization = (value: string | undefined) =>
  ({ get: (name: string) => (name.toLowerCase() === 'authorization' ? (value ?? '') : '') }) as unknown as Context;

const bearer = suite('Bearer credentials');

bearer('when there is no Authorization header, then there are no credentials', () => {
  assert.is(bearerCredentials(withAuthorization(undefined)), undefined);
  assert.is(bearerToken(withAuthorization(undefined)), undefined);
});

bearer('when the scheme is Bearer in any case, then the credentials are what follows, exactly as sent', () => {
  assert.is(bearerCredentials(withAuthorization('Bearer AbC-123')), 'AbC-123');
  assert.is(bearerCredentials(withAuthorization('bearer AbC-123')), 'AbC-123');
  assert.is(bearerCredentials(withAuthorization('BEARER x')), 'x');
});

bearer('when spaces or tabs separate or follow the credentials, then they are not part of them', () => {
  assert.is(bearerCredentials(withAuthorization('Bearer    abc')), 'abc');
  assert.is(bearerCredentials(withAuthorization('Bearer\tabc')), 'abc');
  assert.is(bearerCredentials(withAuthorization('Bearer abc   ')), 'abc');
  assert.is(bearerCredentials(withAuthorization('Bearer abc \t')), 'abc');
});

bearer('when the header is another scheme, has no credentials, or more than one word, then there are none', () => {
  assert.is(bearerCredentials(withAuthorization('Basic dXNlcjpwYXNz')), undefined);
  assert.is(bearerCredentials(withAuthorization('XBearer abc')), undefined);
  assert.is(bearerCredentials(withAuthorization(' Bearer abc')), undefined);
  assert.is(bearerCredentials(withAuthorization('Bearerabc')), undefined);
  assert.is(bearerCredentials(withAuthorization('Bearer ')), undefined);
  assert.is(bearerCredentials(withAuthorization('Bearer')), undefined);
  assert.is(bearerCredentials(withAuthorization('Bearer abc def')), undefined);
  assert.is(bearerToken(withAuthorization('Bearer abc def')), undefined);
});

bearer('when a token is read, then it is lower-cased (tokens are UUIDs handed out in lower case)', () => {
  const token = '0F8E3C2A-1B2C-4D5E-8F90-ABCDEF012345';
  assert.is(bearerToken(withAuthorization(`Bearer ${token}`)), token.toLowerCase());
  assert.is(bearerToken(withAuthorization(`bearer ${token.toLowerCase()}`)), token.toLowerCase());
  assert.is(bearerCredentials(withAuthorization(`Bearer ${token}`)), token);
});

bearer.run();
