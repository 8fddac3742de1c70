// The origin of download links, computed directly (docs/MUTATION.md): which scheme and host a request's links carry,
// when X-Forwarded-* are believed, and which forwarded hosts are refused. The HTTP tests in
// test/forwarded-links.test.ts reach this through a real proxy, on its main path only.
import type { Context } from 'koa';
import * as assert from 'uvu/assert';
import { linkOrigin } from '../../src/http/request-origin.js';
import { suite } from '../support/suite.js';

interface Request {
  headers?: Record<string, string>;
  remoteAddress?: string | undefined;
  encrypted?: boolean;
}

// As Koa's context has it: ctx.get gives '' for an absent header, whatever the case of the name.
// An explicit `remoteAddress: undefined` is a socket that no longer knows its peer (it closed).
function request(options: Request): Context {
  const { headers = {}, encrypted } = options;
  const remoteAddress = 'remoteAddress' in options ? options.remoteAddress : '127.0.0.1';
  const lower = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const socket = encrypted === undefined ? { remoteAddress } : { remoteAddress, encrypted };
  return { get: (name: string) => lower.get(name.toLowerCase()) ?? '', req: { socket } } as unknown as Context;
}

const behindProxy = linkOrigin({ publicUrl: undefined, trustedProxies: ['127.0.0.1', '10.0.0.0/8'] });
const direct = linkOrigin({ publicUrl: undefined, trustedProxies: [] });
const forwarded = (proto: string, host: string) => ({ 'X-Forwarded-Proto': proto, 'X-Forwarded-Host': host, Host: 'internal:3000' });

const origin = suite('link origin');

origin('when PUBLIC_URL is set, then every link starts with it, without trailing slashes', () => {
  const fixed = linkOrigin({ publicUrl: 'https://audio.example.com///', trustedProxies: ['127.0.0.1'] });
  assert.is(fixed(request({ headers: forwarded('http', 'evil.example') })), 'https://audio.example.com');
  assert.is(linkOrigin({ publicUrl: 'https://example.com/base/', trustedProxies: [] })(request({})), 'https://example.com/base');
  assert.is(linkOrigin({ publicUrl: 'http://example.com:8080', trustedProxies: [] })(request({})), 'http://example.com:8080');
});

origin('when PUBLIC_URL is empty, then links follow the request', () => {
  const computed = linkOrigin({ publicUrl: '', trustedProxies: [] });
  assert.is(computed(request({ headers: { Host: 'svc:3000' } })), 'http://svc:3000');
});

origin('when the client talks to the service directly, then links carry its Host, over http or https as it came', () => {
  assert.is(direct(request({ headers: { Host: 'svc.example:3000' } })), 'http://svc.example:3000');
  assert.is(direct(request({ headers: { Host: 'svc.example' }, encrypted: true })), 'https://svc.example');
  assert.is(direct(request({ headers: { Host: 'svc.example' }, encrypted: false })), 'http://svc.example');
});

origin('when an untrusted peer sends X-Forwarded-*, then they are ignored', () => {
  assert.is(direct(request({ headers: forwarded('https', 'public.example') })), 'http://internal:3000');
  assert.is(behindProxy(request({ headers: forwarded('https', 'public.example'), remoteAddress: '192.0.2.7' })), 'http://internal:3000');
  assert.is(behindProxy(request({ headers: forwarded('https', 'public.example'), remoteAddress: undefined })), 'http://internal:3000');
});

origin('when a trusted proxy forwards, then its scheme and host are used, from any address in its range', () => {
  assert.is(behindProxy(request({ headers: forwarded('https', 'public.example') })), 'https://public.example');
  assert.is(behindProxy(request({ headers: forwarded('https', 'public.example:8443'), remoteAddress: '10.1.2.3' })), 'https://public.example:8443');
});

origin('when a chain of proxies forwards, then the first value (what the client sent) counts, trimmed and in any case', () => {
  assert.is(behindProxy(request({ headers: forwarded(' HTTPS , http', ' public.example , inner.example') })), 'https://public.example');
  assert.is(behindProxy(request({ headers: forwarded('Http,https', 'a.example,b.example') })), 'http://a.example');
});

origin('when a trusted proxy says http for a TLS connection, then links are http; an unknown scheme is ignored', () => {
  assert.is(behindProxy(request({ headers: forwarded('http', 'public.example'), encrypted: true })), 'http://public.example');
  assert.is(behindProxy(request({ headers: forwarded('ftp', 'public.example'), encrypted: true })), 'https://public.example');
  assert.is(behindProxy(request({ headers: forwarded('ftp', 'public.example') })), 'http://public.example');
  assert.is(behindProxy(request({ headers: forwarded('https2', 'public.example') })), 'http://public.example');
  assert.is(behindProxy(request({ headers: { 'X-Forwarded-Host': 'public.example', Host: 'internal:3000' } })), 'http://public.example');
});

origin('when a trusted proxy forwards a host name or address with an optional port, then it is used', () => {
  for (const host of ['public.example', 'a', 'A-1.Example.COM', 'public.example.', 'public.example:1', 'public.example:65535', '192.0.2.1', '192.0.2.1:80', '[::1]', '[2001:DB8::1]:8443', '[::ffff:192.0.2.1]', 'x-y.a-b.c-d']) {
    assert.is(behindProxy(request({ headers: forwarded('http', host) })), `http://${host}`, host);
  }
});

origin('when a trusted proxy forwards a host that could end or change the URL, then the Host header is used', () => {
  for (const host of [
    'evil.example/path', 'user@evil.example', 'evil.example?x', 'evil.example#x', '/evil.example', 'evil.example:', 'evil.example:123456',
    'evil.example:80a', 'evil..example', '.evil.example', 'evil.example..', 'evil_example', 'evil example', '[::1', '::1', '[::g]', '[]',
    '[::1]x', 'a[::1]', 'evil.example:80:80', ':80', '',
  ]) {
    assert.is(behindProxy(request({ headers: forwarded('https', host) })), 'https://internal:3000', host);
  }
});

origin.run();
