// HTTP spoken by hand over a socket, from a chosen loopback address: for what fetch hides (several client addresses
// on one machine, a client that never reads, a body sent one byte at a time, when exactly the server closes).
import net from 'node:net';

export interface RawConnection {
  socket: net.Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves when the server has closed the connection, with how long after `since` (default: the connect). */
  closed: Promise<number>;
  /** Waits until the text received after the first `from` characters matches; resolves with that text. */
  waitFor(pattern: RegExp, options?: { timeoutMs?: number; from?: number }): Promise<string>;
}

export async function connectFrom(serviceUrl: string, localAddress = '127.0.0.1'): Promise<RawConnection> {
  const { port, hostname } = new URL(serviceUrl);
  const socket = net.connect({ port: Number(port), host: hostname, localAddress, allowHalfOpen: true });
  const started = Date.now();
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => {
    socket.once('end', () => resolve(Date.now() - started));
    socket.once('close', () => resolve(Date.now() - started));
  });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return {
    socket,
    received: () => text,
    closed,
    async waitFor(pattern, { timeoutMs = 10_000, from = 0 } = {}) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text.slice(from))) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms; received: ${text.slice(from, from + 500)}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return text.slice(from);
    },
  };
}

/** A GET on a kept-alive connection; resolves with the status line once the head has arrived. */
export async function rawGet(connection: RawConnection, path: string, headers: Record<string, string> = {}): Promise<string> {
  const before = connection.received().length;
  const lines = Object.entries({ Host: 'localhost', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
  connection.socket.write(`GET ${path} HTTP/1.1\r\n${lines.join('')}\r\n`);
  return connection.waitFor(/^HTTP\/1\.1 \d{3}[\s\S]*?\r\n\r\n/, { from: before });
}

/** The head and JSON body of the one answer a connection received (it answered, then closed). */
export function parseAnswer(text: string): { status: number; headers: Record<string, string>; body: unknown } {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...headerLines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const rest = text.slice(end + 4);
  const body = headers['content-length'] ? rest.slice(0, Number(headers['content-length'])) : rest;
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.startsWith('{') ? JSON.parse(body) : body };
}
