// Requests that never reach the app because Node's HTTP parser or its timers refused them: headers over
// MAX_HEADER_BYTES, a request not complete within REQUEST_TIMEOUT_MS, bytes that are not HTTP. Node answers these
// with a bare status line and no body; here they get the problem body every other error has.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, problemType, type Problem } from './problem.js';

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

function problemFor(error: NodeJS.ErrnoException, limits: { maxHeaderBytes: number; requestTimeoutMs: number }): Problem {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        type: problemType('headers-too-large'),
        title: 'Request headers too large',
        status: 431,
        detail: `the request line and headers exceed ${limits.maxHeaderBytes} bytes (MAX_HEADER_BYTES)`,
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        type: problemType('request-timeout'),
        title: 'Request timeout',
        status: 408,
        detail: `the request was not complete within ${Math.round(limits.requestTimeoutMs / 1000)} s (REQUEST_TIMEOUT_MS)`,
      };
    default:
      return { type: problemType('bad-request'), title: 'Bad request', status: 400, detail: `the request is not valid HTTP/1.1 (${error.code ?? error.message})` };
  }
}

export function answerClientErrors(server: http.Server, limits: { maxHeaderBytes: number; requestTimeoutMs: number }): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already under way cannot be replaced by another (Node's own handler checks the same private field).
    const response = (socket as Duplex & { _httpMessage?: http.ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent) {
      socket.destroy();
      return;
    }
    const problem = problemFor(error, limits);
    const body = JSON.stringify(problem);
    socket.end(
      `HTTP/1.1 ${problem.status} ${STATUS_TEXT[problem.status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
