/**
 * Path handling and route matching.
 *
 * The SDK builds URLs by string concatenation onto `apiUrl` (`opentok@2.23.2` lib/client.js: `this.c.apiUrl + this.c.endpoints.…`), so the server sees
 * whatever prefix the caller configured (`/opentok/session/create`) and a double slash when
 * `apiUrl` ends in `/` (`//v2/project/…`). We therefore split the path into non-empty segments
 * (collapsing repeated slashes) and match routes by SUFFIX: `…/session/create` and
 * `…/v2/project/{apiKey}/…`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store/store.js';
import type { TokenPolicy } from '../tokens/token-policy.js';
import type { RealtimeOps } from './realtime-ops.js';
import { RestError } from './respond.js';

/** The HTTP methods the OpenTok REST API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Everything a route handler gets: the exchange, the authenticated project, the path parameters, the deps. */
export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The project the request authenticated as (from the path; the JWT was verified against it). */
  readonly apiKey: string;
  /** Values of the `:name` segments of the matched pattern, already percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly store: Store;
  readonly realtime: RealtimeOps;
  /** Clock, ms since epoch. */
  readonly now: () => number;
  /** Token lifetime bound and clock skew (how long a revocation rule is kept). */
  readonly tokenPolicy: TokenPolicy;
}

/** A route handler. It answers through `ctx.res` or throws a {@link RestError}. */
export type RouteHandler = (ctx: RouteContext) => Promise<void>;

/** One path pattern under `/v2/project/{apiKey}/` (e.g. `session/:sessionId/signal`) and its handlers per method. */
export interface Route {
  readonly pattern: string;
  readonly methods: Readonly<Partial<Record<HttpMethod, RouteHandler>>>;
}

/** Where a request path points. */
export type Target =
  | { readonly kind: 'create-session' }
  | { readonly kind: 'project'; readonly apiKey: string; readonly rest: readonly string[] }
  | { readonly kind: 'unknown' };

/**
 * Split a request target into its percent-decoded, non-empty path segments (query dropped).
 * Throws a 400 {@link RestError} for malformed percent-encoding.
 * @example pathSegments('//opentok//v2/project/123/session/x/signal?a=1') // ['opentok','v2','project','123','session','x','signal']
 */
export function pathSegments(rawUrl: string): string[] {
  const path = rawUrl.split(/[?#]/, 1)[0] ?? '';
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    if (raw.length === 0) continue;
    try {
      segments.push(decodeURIComponent(raw));
    } catch {
      throw new RestError(400, 'Malformed URL path');
    }
  }
  return segments;
}

/**
 * Locate a request by suffix: the first `v2/project/{apiKey}` wins; otherwise a path ending in
 * `session/create` is session creation; anything else is unknown.
 * @example locate(['prefix','session','create']) // { kind: 'create-session' }
 */
export function locate(segments: readonly string[]): Target {
  for (let i = 0; i + 2 < segments.length; i++) {
    if (segments[i] === 'v2' && segments[i + 1] === 'project') {
      return { kind: 'project', apiKey: segments[i + 2] ?? '', rest: segments.slice(i + 3) };
    }
  }
  const n = segments.length;
  if (n >= 2 && segments[n - 2] === 'session' && segments[n - 1] === 'create') return { kind: 'create-session' };
  return { kind: 'unknown' };
}

/**
 * Find the route whose pattern matches `rest` segment for segment (`:name` matches any one segment).
 * @example matchRoute(routes, ['session', 'abc', 'signal'])?.params // { sessionId: 'abc' }
 */
export function matchRoute(
  routes: readonly Route[],
  rest: readonly string[],
): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    const parts = route.pattern.split('/');
    if (parts.length !== rest.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const part = parts[i] ?? '';
      const seg = rest[i] ?? '';
      if (part.startsWith(':')) params[part.slice(1)] = seg;
      else ok = part === seg;
    }
    if (ok) return { route, params };
  }
  return undefined;
}

/** The value of a path parameter the matched pattern declares. */
export function param(ctx: RouteContext, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`route pattern has no :${name}`);
  return value;
}
