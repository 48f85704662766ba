/**
 * The server's one CORS helper. By default (no origins) it does nothing: the demo page is served
 * from the server itself and the REST API is called by backends, so no cross-origin browser
 * access is granted and requests are answered exactly as without it. With `corsOrigins` listed,
 * a request whose `Origin` is one of them (or any, with `'*'`) gets
 * `Access-Control-Allow-Origin`, and its preflight (`OPTIONS` with
 * `Access-Control-Request-Method`) is answered here with 204.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CorsPolicy {
  /** Origins allowed (`https://app.example.com`), or `['*']` for any. @default [] */
  readonly origins: readonly string[];
}

/** Methods and request headers a preflight may ask for: the REST API's, and its auth headers. */
const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOW_HEADERS = 'Content-Type, X-OPENTOK-AUTH, X-TB-PARTNER-AUTH';
const MAX_AGE_SECONDS = '600';

/**
 * Add the CORS headers a request may get; answer its preflight. Returns `'answered'` when the
 * response is done (a preflight), `'continue'` otherwise.
 * @example if (applyCors(req, res, { origins: ['https://app.example.com'] }) === 'answered') return;
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, policy: CorsPolicy): 'answered' | 'continue' {
  if (policy.origins.length === 0) return 'continue';
  const origin = req.headers.origin;
  if (origin === undefined) return 'continue';
  res.setHeader('Vary', 'Origin');
  const any = policy.origins.includes('*');
  if (!any && !policy.origins.includes(origin)) return 'continue';
  res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
    res.writeHead(204, {
      'Access-Control-Allow-Methods': ALLOW_METHODS,
      'Access-Control-Allow-Headers': ALLOW_HEADERS,
      'Access-Control-Max-Age': MAX_AGE_SECONDS,
    });
    res.end();
    return 'answered';
  }
  return 'continue';
}
