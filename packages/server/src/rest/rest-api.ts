/**
 * Parley's OpenTok-compatible REST API: the routes the official OpenTok server SDKs call
 * (`POST /session/create`, `/v2/project/{apiKey}/…`), as one Node request listener.
 *
 * ```
 *  SDK ──HTTP──▶ createRestApi(deps)
 *                  │ path → segments (// collapsed, any prefix)
 *                  │ …/session/create        → auth by the JWT's iss ─▶ session-create
 *                  │ …/v2/project/{k}/…      → auth as {k} ─▶ route table ─▶ handler
 *                  │ anything else            → 404
 *                  └ every failure            → JSON {"message"} (never an empty error body)
 * ```
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store/store.js';
import { authenticate, authenticateByIssuer, readAuthHeader } from './auth.js';
import type { RealtimeOps } from './realtime-ops.js';
import { RestError, sendError } from './respond.js';
import { projectRoutes } from './routes/index.js';
import { createSessionRoute } from './routes/session-create.js';
import { locate, matchRoute, pathSegments, type HttpMethod, type RouteContext } from './router.js';

/** What the REST API needs. */
export interface RestApiDeps {
  /** Projects (API key + secret) and sessions. */
  store: Store;
  /** The realtime core, for signals and forceDisconnect. */
  realtime: RealtimeOps;
  /** Clock in ms since epoch, for JWT expiry and `create_dt`. @default Date.now */
  now?: () => number;
  /**
   * Take one session creation from the project's budget: 0 when allowed, else the seconds to wait
   * (the request is answered 429 with `Retry-After`). @default no limit
   */
  limitSessionCreation?: (apiKey: string) => number;
}

const METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] satisfies HttpMethod[];

function isHttpMethod(method: string | undefined): method is HttpMethod {
  return method !== undefined && METHODS.includes(method);
}

/**
 * Create the REST request listener. It answers every request it is given (mount it for all
 * HTTP requests that are not the WebSocket upgrade or the demo page) and never throws: a failing
 * handler becomes `500 {"message"}` and a warning (`process.emitWarning`, type `ParleyRestWarning`).
 *
 * @example
 * const rest = createRestApi({ store, realtime });
 * http.createServer((req, res) => rest(req, res)).listen(8080);
 * // new OpenTok(apiKey, apiSecret, { apiUrl: 'http://localhost:8080' }).createSession(cb)
 */
export function createRestApi(deps: RestApiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const now = deps.now ?? Date.now;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = locate(pathSegments(req.url ?? '/'));
    if (target.kind === 'unknown') throw new RestError(404, 'Not found');

    const method = req.method ?? '';
    const jwt = readAuthHeader(req);
    const auth =
      target.kind === 'create-session'
        ? await authenticateByIssuer(deps.store, jwt, now())
        : await authenticate(deps.store, jwt, target.apiKey, now());
    if (!auth.ok) throw new RestError(auth.status, auth.message);

    const base = { req, res, apiKey: auth.project.apiKey, store: deps.store, realtime: deps.realtime, now };
    if (target.kind === 'create-session') {
      if (method !== 'POST') throw new RestError(405, `${method} is not allowed here`, { Allow: 'POST' });
      const wait = deps.limitSessionCreation?.(auth.project.apiKey) ?? 0;
      if (wait > 0) {
        throw new RestError(429, `too many sessions created for project ${auth.project.apiKey}; retry in ${wait} s`, {
          'Retry-After': String(wait),
        });
      }
      await createSessionRoute({ ...base, params: {} });
      return;
    }

    const match = matchRoute(projectRoutes, target.rest);
    if (match === undefined) throw new RestError(404, 'Not found');
    const handler = isHttpMethod(method) ? match.route.methods[method] : undefined;
    if (handler === undefined) {
      const allow = Object.keys(match.route.methods).join(', ');
      throw new RestError(405, `${method} is not allowed here`, { Allow: allow });
    }
    const ctx: RouteContext = { ...base, params: match.params };
    await handler(ctx);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      try {
        if (error instanceof RestError) {
          sendError(res, error.status, error.message, error.headers);
          return;
        }
        process.emitWarning(
          `REST ${req.method ?? '?'} ${req.url ?? '?'} failed: ${String(error)}`,
          'ParleyRestWarning',
        );
        if (res.headersSent) res.end();
        else sendError(res, 500, 'Internal server error');
      } catch {
        res.destroy(); // the socket is already broken; nothing else can be said on it
      }
    });
  };
}
