/**
 * The answer to a request Node's HTTP parser refused (the server's `clientError` event): the status
 * Node itself would send (431 header overflow, 413 chunk extensions overflow, 408 headers or
 * request timeout, 400 otherwise) with the JSON `{"message"}` body every non-2xx answer of Parley
 * carries, then the socket is destroyed.
 *
 * WHY destroy and not `socket.end()`: the HTTP server's sockets are half-open (`allowHalfOpen`),
 * so `end()` only sends our FIN and then waits for the peer's, forever. A slowloris client or a
 * garbage sender that never closes would hold its socket (and a file descriptor) indefinitely.
 * Node's default handler also writes the answer and destroys at once.
 */
import type { Logger } from '../log/logger.js';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** The statuses a refused request is answered with. */
export type ClientErrorStatus = 400 | 408 | 413 | 431;

/**
 * The status for a parser or timeout error code, as Node 20's default `clientError` handling.
 * @example clientErrorStatus('HPE_HEADER_OVERFLOW') // 431
 */
export function clientErrorStatus(code: string | undefined): ClientErrorStatus {
  switch (code ?? '') {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

const MESSAGES: Readonly<Record<ClientErrorStatus, string>> = {
  400: 'Malformed HTTP request',
  408: 'The request was not received in time',
  413: 'Chunk extensions are too large',
  431: 'Request header fields are too large',
};

/**
 * A raw HTTP/1.1 answer with a JSON `{"message"}` body, an explicit length and `Connection: close`,
 * for a socket that has no response object (a parser error, a refused upgrade).
 * @example socket.end(rawJsonResponse(429, 'too many connections', { 'Retry-After': '3' }))
 */
export function rawJsonResponse(
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): string {
  const body = JSON.stringify({ message });
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    extra +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** The raw HTTP/1.1 answer for `status`: JSON body, explicit length, `Connection: close`. */
export function clientErrorResponse(status: ClientErrorStatus, code: string | undefined): string {
  const message = code === undefined || status !== 400 ? MESSAGES[status] : `${MESSAGES[status]} (${code})`;
  return rawJsonResponse(status, message);
}

/** What Node attaches to a socket while a response is in flight (undocumented, read-only use). */
interface MaybeInFlight {
  readonly _httpMessage?: { readonly headersSent?: boolean } | null;
}

/**
 * The `clientError` listener: answer when the socket can still take a whole answer, then destroy.
 * Nothing is written when the peer already reset the connection, when the socket is not writable,
 * or when a response on this socket has already sent its headers (an answer now would corrupt it).
 * @example http.on('clientError', (err, socket) => answerClientError(err, socket, logger));
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex, logger: Logger): void {
  logger.info({ code: err.code, err }, `http: client error: ${err.code ?? ''} ${err.message}`);
  const inFlight = (socket as Duplex & MaybeInFlight)._httpMessage;
  if (err.code !== 'ECONNRESET' && socket.writable && inFlight?.headersSent !== true) {
    socket.write(clientErrorResponse(clientErrorStatus(err.code), err.code));
  }
  socket.destroy();
}
