// Users' token checks straight against the database, where StrykerJS showed the HTTP tests blind
// (docs/MUTATION.md): a Bearer token alone finds its user, and an unknown one is refused, not answered.
import postgres from 'postgres';
import { suite } from '../support/suite.js';
import * as assert from 'uvu/assert';
import { migrate } from '../../src/db/migrate.js';
import { accessTokenMatches, hashAccessToken } from '../../src/domain/access-tokens.js';
import { DomainError } from '../../src/domain/errors.js';
import { createUser, findAuthenticatedUser, findUserIdByToken } from '../../src/domain/users.js';
import { testDatabaseUrl } from '../support/test-service.js';

interface Context {
  sql: postgres.Sql;
}

const users = suite<Context>('users, at the database', {} as Context);
users.before(async (context) => {
  context.sql = postgres(testDatabaseUrl(), { max: 2, onnotice: () => {} });
  await migrate(context.sql);
});
users.after(async ({ sql }) => sql.end({ timeout: 5 }));

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('accepted');
}

users('when a Bearer token is given alone, then it finds its own user; an unknown token is refused as unauthorized', async ({ sql }) => {
  const first = await createUser(sql, 'bearer one');
  const second = await createUser(sql, 'bearer two');
  assert.is(await findUserIdByToken(sql, first.token), first.id);
  assert.is(await findUserIdByToken(sql, second.token), second.id);
  const error = await refusal(findUserIdByToken(sql, crypto.randomUUID()));
  assert.is(error.code, 'unauthorized');
});

users('when a user signs in again, then the profile comes back for the right token only', async ({ sql }) => {
  const user = await createUser(sql, 'profile');
  const profile = await findAuthenticatedUser(sql, user.id, user.token);
  assert.equal([profile.id, profile.name], [user.id, 'profile']);
  assert.is((await refusal(findAuthenticatedUser(sql, user.id, crypto.randomUUID()))).code, 'unauthorized');
  assert.is((await refusal(findAuthenticatedUser(sql, crypto.randomUUID(), user.token))).code, 'unauthorized');
});

users('when tokens are hashed, then it is their SHA-256, and a missing stored hash never matches', () => {
  assert.is(hashAccessToken('abc').toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.is(accessTokenMatches('abc', hashAccessToken('abc')), true);
  assert.is(accessTokenMatches('abc', hashAccessToken('abd')), false);
  assert.is(accessTokenMatches('abc', undefined), false);
});

users.run();
