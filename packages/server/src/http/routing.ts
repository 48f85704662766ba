/**
 * The HTTP server's two routing tables, read top to bottom:
 *
 * - requests: path → handler ({@link HttpRoute}), the first route that matches answers; the
 *   REST API is the fallback (it answers every path, with a JSON 404 for the ones it lacks);
 * - upgrades: path → WebSocket endpoint ({@link UpgradeEndpoints}); another path is refused with
 *   400 and the socket destroyed.
 *
 * A handler that throws or rejects is logged and answered `500 {"message"}` by the one JSON writer
 * (json.ts), unless it already started its answer. CORS (cors.ts) is applied before any route. A
 * request answered 4xx is logged (method, path without its query, status).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log/logger.js';
import { logSafe } from '../log-safe.js';
import { applyCors, type CorsPolicy } from './cors.js';
import { sendError } from './json.js';

/** One row of the request table. */
export interface HttpRoute {
  /** For the log line of a failure. */
  readonly name: string;
  matches(method: string | undefined, pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>;
}

/** An upgrade handler: takes the socket over (or refuses it). */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The upgrade table: exact path → endpoint. */
export type UpgradeEndpoints = ReadonlyMap<string, UpgradeHandler>;

/** Base for parsing a request's path: only the path and query of `req.url` are used. */
const BASE = 'http://parley.invalid';

/**
 * Log a request answered 4xx once its answer is written: one line with the method, the path
 * (never the query string, which may carry a token) and the status.
 */
function logRefusal(req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  res.once('finish', () => {
    if (res.statusCode < 400 || res.statusCode >= 500) return;
    const method = logSafe(req.method ?? '', 16);
    const path = logSafe((req.url ?? '').split('?')[0] ?? '');
    logger.info(
      { event: 'refused', method, path, status: res.statusCode },
      `http: ${method} ${path} answered ${res.statusCode}`,
    );
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/**
 * The `request` listener for a table of routes and a fallback.
 * @example http.on('request', requestListener([staticRoute], rest, logger, { origins: [] }));
 */
export function requestListener(
  routes: readonly HttpRoute[],
  fallback: (req: IncomingMessage, res: ServerResponse) => void,
  logger: Logger,
  cors: CorsPolicy,
): (req: IncomingMessage, res: ServerResponse) => void {
  const failed = (res: ServerResponse, name: string, err: unknown): void => {
    logger.error({ err, route: name }, `http: ${name} failed: ${describe(err)}`);
    if (res.headersSent) res.end();
    else sendError(res, 500, 'internal error');
  };
  const logRefusals = logger.isLevelEnabled?.('info') ?? true;
  return (req, res) => {
    let name = 'request';
    if (logRefusals) logRefusal(req, res, logger);
    try {
      if (applyCors(req, res, cors) === 'answered') return;
      const url = new URL(req.url ?? '/', BASE);
      const route = routes.find((r) => r.matches(req.method, url.pathname));
      if (route === undefined) {
        fallback(req, res);
        return;
      }
      name = route.name;
      const done = route.handle(req, res, url);
      if (done !== undefined) {
        done.catch((err: unknown) => {
          failed(res, route.name, err);
        });
      }
    } catch (err) {
      failed(res, name, err);
    }
  };
}

/**
 * The `upgrade` listener for a table of endpoints: a path not in it is refused with 400.
 * @example http.on('upgrade', upgradeListener(new Map([[WS_PATH, gateway.handleUpgrade]])));
 */
export function upgradeListener(endpoints: UpgradeEndpoints): UpgradeHandler {
  return (req, socket, head) => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', BASE).pathname;
    } catch {
      pathname = '';
    }
    const endpoint = endpoints.get(pathname);
    if (endpoint === undefined) {
      socket.on('error', () => {}); // a reset while refusing is not worth a crash
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    endpoint(req, socket, head);
  };
}
