/**
 * JSON responses for the REST API.
 *
 * WHY every error carries a non-empty JSON `message`: opentok@2.23.2 evaluates `body.message` on
 * every non-2xx reply, and `signal` / `forceDisconnect` read `response.status` without a null
 * check. An empty `application/json` error body makes the SDK throw inside its own promise chain,
 * which becomes an unhandled rejection that exits the caller's process
 * (`opentok@2.23.2` lib/api.js, lib/signaling.js, lib/moderation.js).
 */
import type { ServerResponse } from 'node:http';

/** An error that maps to one HTTP status and a JSON `{ "message" }` body. Handlers throw it. */
export class RestError extends Error {
  /**
   * @param status HTTP status to answer with (4xx or 5xx).
   * @param message Non-empty, human-readable; sent as `{"message": message}`.
   * @param headers Extra response headers (e.g. `Allow` for 405).
   * @example throw new RestError(404, 'Session or connection not found');
   */
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'RestError';
  }
}

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
