// Two rules for request bodies, kept in one middleware because both hinge on whether the app read the body:
// - `Expect: 100-continue`: the server (see http-server.ts) leaves the interim 100 to the app, which sends it when a
//   route starts reading the body. A request refused from its headers alone (a wrong token, a body over the limit,
//   a user at the cap, a full queue) is answered before the client has sent any of its body.
// - A request answered before its body was read to the end gets `Connection: close`: the rest of the body is
//   discarded by the lingering close (lingering-close.ts), and the connection is not used again.
import type { Context, Next } from 'koa';

const hasBody = (ctx: Context) => ctx.get('Transfer-Encoding') !== '' || Number(ctx.get('Content-Length') || 0) > 0;

export async function requestBodyFlow(ctx: Context, next: Next): Promise<void> {
  if (/^100-continue$/i.test(ctx.get('Expect'))) {
    // 'resume' fires when a body parser starts to read; the response may already be under way by then (Node resumes
    // an unread body itself to discard it), and a 100 after the final answer would corrupt the stream.
    ctx.req.once('resume', () => {
      if (!ctx.res.headersSent) ctx.res.writeContinue();
    });
  }
  try {
    await next();
  } finally {
    if (hasBody(ctx) && !ctx.req.complete) ctx.set('Connection', 'close');
  }
}
