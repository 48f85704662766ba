/**
 * REST authentication: the `X-OPENTOK-AUTH` JWT (HS256, `iss` = API key, `ist` = "project",
 * short-lived, no client connection claims: a connection token is never a REST credential), verified with the project's secret by `@parley/server-sdk`'s `verifyRestJwt`.
 * What the SDK sends: `opentok@2.23.2` lib/generateJwt.js.
 */
import type { IncomingMessage } from 'node:http';
import { peekToken, verifyRestJwt } from '@parley/server-sdk';
import type { Project, Store } from '../store/store.js';

/** Result of authenticating a REST request. Failures carry the status (401/403) and a message for the JSON body. */
export type RestAuthOutcome =
  | { readonly ok: true; readonly project: Project }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

const UNKNOWN_PROJECT = 'Invalid API key or secret';

/**
 * The `X-OPENTOK-AUTH` header (Node lower-cases header names, so any spelling matches).
 * The SDK's bogus `headers: [object Object]` header is simply never looked at.
 */
export function readAuthHeader(req: IncomingMessage): string | undefined {
  const value = req.headers['x-opentok-auth'];
  const jwt = Array.isArray(value) ? value[0] : value;
  return jwt === undefined || jwt.trim().length === 0 ? undefined : jwt.trim();
}

/**
 * Read the `iss` claim of a JWT WITHOUT verifying it, only to learn which project's secret to
 * verify it with. Returns undefined for anything that is not a three-part JWT with a string or
 * numeric `iss`.
 * @example unverifiedIssuer(req.headers['x-opentok-auth']) // '123456'
 */
export function unverifiedIssuer(jwt: string | undefined): string | undefined {
  const payload = jwt?.split('.')[1];
  if (payload === undefined || payload.length === 0) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null) return undefined;
    const iss = (claims as { iss?: unknown }).iss;
    if (typeof iss === 'string' && iss.length > 0) return iss;
    if (typeof iss === 'number' && Number.isFinite(iss)) return String(iss);
    return undefined;
  } catch {
    return undefined;
  }
}

/**
 * Authenticate a request as project `apiKey`: the project must exist and the JWT must verify
 * with its secret (which also checks `iss === apiKey`, `ist`, `exp`).
 * @example const auth = await authenticate(store, jwt, '123456', Date.now());
 */
export async function authenticate(
  store: Store,
  jwt: string | undefined,
  apiKey: string,
  nowMs: number,
): Promise<RestAuthOutcome> {
  if (jwt === undefined) return { ok: false, status: 401, message: 'Missing X-OPENTOK-AUTH header' };
  const project = await store.getProject(apiKey);
  if (project === undefined) return { ok: false, status: 401, message: UNKNOWN_PROJECT };
  const result = verifyRestJwt(jwt, project.apiKey, project.apiSecret, { nowSeconds: Math.floor(nowMs / 1000) });
  if (!result.ok) {
    return { ok: false, status: result.status, message: result.message.length > 0 ? result.message : UNKNOWN_PROJECT };
  }
  return { ok: true, project };
}

/**
 * Authenticate `POST /session/create`, whose path names no project: the (unverified) `iss` claim
 * says which project to load, then {@link authenticate} verifies the JWT with that project's secret.
 */
export async function authenticateByIssuer(
  store: Store,
  jwt: string | undefined,
  nowMs: number,
): Promise<RestAuthOutcome> {
  if (jwt === undefined) return { ok: false, status: 401, message: 'Missing X-OPENTOK-AUTH header' };
  // A T1 connection token names its project too: verifying it as that project's REST token
  // refuses it with 403 and says why, instead of "malformed".
  const t1 = peekToken(jwt);
  const iss = unverifiedIssuer(jwt) ?? (t1?.format === 't1' ? t1.apiKey : undefined);
  if (iss === undefined) return { ok: false, status: 401, message: 'Malformed X-OPENTOK-AUTH token' };
  return authenticate(store, jwt, iss, nowMs);
}
