/**
 * The server's one JSON writer: every JSON answer (REST, demo credentials, static 404s, the
 * routing table's own errors) goes through {@link sendJson}, and every error body is
 * `{"message": "..."}` with a non-empty message (the official OpenTok SDK reads `body.message` of
 * any non-2xx answer: `opentok@2.23.2` lib/api.js). The HTTP parser's own refusals, which have no
 * response object, are written by client-error.ts in the same shape.
 */
import type { ServerResponse } from 'node:http';

/** Send `body` as `application/json` with `status`. Never throws; a response already sent is left alone. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** Send `{"message": message}` with an error status; an empty message is replaced so the body is never empty. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  sendJson(res, status, { message: message.length > 0 ? message : `HTTP ${status}` }, headers);
}

/** Send `204 No Content` (no body, no Content-Type), as OpenTok does for signal and forceDisconnect. */
export function sendNoContent(res: ServerResponse): void {
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(204);
  res.end();
}
