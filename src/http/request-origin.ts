// Where a request came from as the client sees it: the scheme, host and port that download links must carry.
// X-Forwarded-Proto/-Host count only when the peer is a trusted proxy (TRUSTED_PROXIES); from anyone else they are
// ignored, so a client talking to the service directly cannot choose the host of its links.
import type { Context } from 'koa';
import proxyaddr from 'proxy-addr';
import type { TLSSocket } from 'node:tls';

/** The `http://host:port` that links handed to this request's client start with. */
export type LinkOrigin = (ctx: Context) => string;

// A host name, IPv4 or bracketed IPv6 address, with an optional port: nothing that could end the URL early.
const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

// A chain of proxies appends to these headers; the first value is what the outermost one received from the client.
const firstValue = (header: string) => header.split(',')[0]!.trim();

export function linkOrigin({ publicUrl, trustedProxies }: { publicUrl: string | undefined; trustedProxies: string[] }): LinkOrigin {
  if (publicUrl) {
    const fixed = publicUrl.replace(/\/+$/, '');
    return () => fixed;
  }
  const trust = proxyaddr.compile(trustedProxies);
  return (ctx) => {
    const encrypted = (ctx.req.socket as Partial<TLSSocket>).encrypted === true;
    let protocol = encrypted ? 'https' : 'http';
    let host = ctx.get('Host');
    if (trustedProxies.length > 0 && trust(ctx.req.socket.remoteAddress ?? '', 0)) {
      const forwardedProto = firstValue(ctx.get('X-Forwarded-Proto')).toLowerCase();
      const forwardedHost = firstValue(ctx.get('X-Forwarded-Host'));
      if (forwardedProto === 'http' || forwardedProto === 'https') protocol = forwardedProto;
      if (HOST.test(forwardedHost)) host = forwardedHost;
    }
    return `${protocol}://${host}`;
  };
}
