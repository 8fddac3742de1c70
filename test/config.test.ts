// Settings are validated once, at start-up, with messages that name the setting.
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { ConfigError, httpServerLimits, loadConfig } from '../src/config.js';

test('when TRUSTED_PROXIES lists addresses, ranges and names, then they are kept as a list; empty trusts no one', () => {
  assert.equal(loadConfig({ TRUSTED_PROXIES: 'loopback, 10.0.0.0/8,fd00::1' }).TRUSTED_PROXIES, ['loopback', '10.0.0.0/8', 'fd00::1']);
  assert.equal(loadConfig({ TRUSTED_PROXIES: '' }).TRUSTED_PROXIES, []);
  assert.equal(loadConfig({}).TRUSTED_PROXIES, []);
});

test('when TRUSTED_PROXIES holds something that is no address, then start-up is refused naming it', () => {
  assert.throws(() => loadConfig({ TRUSTED_PROXIES: 'loopback,proxy.example.com' }), (error: unknown) => error instanceof ConfigError && /TRUSTED_PROXIES/.test(error.message));
});

test('when the lingering close is configured, then its bounds follow the request timeout and the upload limit', () => {
  const config = loadConfig({ LINGERING_IDLE_MS: '2000', REQUEST_TIMEOUT_MS: '60000', MAX_UPLOAD_BYTES: '1048576' });
  assert.equal(httpServerLimits(config).lingering, { totalMs: 60_000, idleMs: 2_000, maxBytes: 2_097_152 });
  assert.throws(() => loadConfig({ LINGERING_IDLE_MS: '-1' }), /LINGERING_IDLE_MS/);
});

test.run();
