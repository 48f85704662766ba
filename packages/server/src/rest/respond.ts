/**
 * JSON responses for the REST API.
 *
 * WHY every error carries a non-empty JSON `message`: opentok@2.23.2 evaluates `body.message` on
 * every non-2xx reply, and `signal` / `forceDisconnect` read `response.status` without a null
 * check. An empty `application/json` error body makes the SDK throw inside its own promise chain,
 * which becomes an unhandled rejection that exits the caller's process
 * (`opentok@2.23.2` lib/api.js, lib/signaling.js, lib/moderation.js).
 */
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

// The server's one JSON writer lives in http/json.ts; the REST handlers import it from here.
export { sendError, sendJson, sendNoContent } from '../http/json.js';
