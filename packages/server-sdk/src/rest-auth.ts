/**
 * REST authentication: the `X-OPENTOK-AUTH` JWT a backend sends with every REST call (`opentok@2.23.2` lib/generateJwt.js).
 */
import { checkApiKey, checkApiSecret, checkSeconds, nowSeconds } from './arguments.js';
import { ISSUER_TYPE, signHs256, verifyHs256, type JwtClaims } from './jwt.js';
import { T1_SENTINEL } from './t1-token.js';

/** The official SDK's REST token lifetime, and the platform's documented maximum. */
const REST_JWT_LIFETIME_SECONDS = 300;
const DEFAULT_SKEW_SECONDS = 60;
const HEADER = 'X-OPENTOK-AUTH';

/**
 * Mint the REST JWT the official SDK sends: claims `{iss: apiKey, ist: 'project', iat, exp: iat + 300}`,
 * in that order, HS256 with header `{"alg":"HS256","typ":"JWT"}`; byte-identical to jsonwebtoken's.
 * @param nowSeconds the `iat`, unix seconds (floored). @default now
 * @example
 * fetch(url, { headers: { 'X-OPENTOK-AUTH': mintRestJwt('123456', 'secret') } });
 */
export function mintRestJwt(apiKey: string, apiSecret: string, nowSeconds_?: number): string {
  checkApiKey(apiKey);
  checkApiSecret(apiSecret);
  const iat = nowSeconds_ === undefined ? nowSeconds() : Math.floor(checkSeconds('nowSeconds', nowSeconds_));
  return signHs256({ iss: apiKey, ist: ISSUER_TYPE, iat, exp: iat + REST_JWT_LIFETIME_SECONDS }, apiSecret);
}

/**
 * The outcome of {@link verifyRestJwt}: the HTTP status to answer with, and a message for the JSON body.
 * @example const auth: RestAuthResult = verifyRestJwt(req.headers['x-opentok-auth'], key, secret);
 */
export type RestAuthResult =
  { readonly ok: true } | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

/** Options of {@link verifyRestJwt}. */
export interface VerifyRestJwtOptions {
  /** Unix seconds to check against. @default now */
  nowSeconds?: number;
  /** Clock skew allowed on `exp` and `iat`. @default 60 */
  skewSeconds?: number;
  /** Largest `exp - iat` accepted. @default 300 + skewSeconds */
  maxLifetimeSeconds?: number;
}

/**
 * The claims a project REST token may carry: what every official OpenTok server SDK sends
 * (Node: iss, ist, iat, exp; Python, Java, Ruby, PHP, .NET add a jti). Anything else is refused.
 */
const REST_CLAIMS: ReadonlySet<string> = new Set(['iss', 'ist', 'iat', 'exp', 'jti']);

/**
 * Claims that only a client connection token carries (both formats, ours and the official SDK's).
 * WHY: a connection JWT is signed with the same secret and has the same `iss`/`ist`/`iat`/`exp`
 * as a REST token; without this check any participant holding a short-lived connection token
 * would be a project administrator.
 */
const CONNECTION_CLAIMS: readonly string[] = [
  'scope',
  'session_id',
  'role',
  'nonce',
  'create_time',
  'expire_time',
  'connection_data',
  'initial_layout_class_list',
  'sub',
  'acl',
];

const CONNECTION_TOKEN = `${HEADER} is a client connection token, not a project REST token`;

/** The first claim that a project REST token never carries, or undefined. */
function foreignClaim(claims: JwtClaims): string | undefined {
  for (const name of CONNECTION_CLAIMS) if (Object.hasOwn(claims, name)) return name;
  for (const name of Object.keys(claims)) if (!REST_CLAIMS.has(name)) return name;
  return undefined;
}

function deny(status: 401 | 403, message: string): RestAuthResult {
  return { ok: false, status, message };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Check an `X-OPENTOK-AUTH` header value for the project `apiKey`:
 * - missing or empty → 401 `missing X-OPENTOK-AUTH header`;
 * - not a JWT, alg other than HS256, bad signature → 403;
 * - a client connection token (a `T1==` token, or a JWT with connection claims such as `scope`,
 *   `session_id`, `role`, `nonce`), or any claim other than `iss, ist, iat, exp, jti` → 403,
 *   whatever its lifetime: only a project token is a REST credential;
 * - `iss` not the API key (as a string), `ist` not `'project'`, `iat`/`exp` not numbers → 403;
 * - expired (`exp < now - skew`) → 401 (the message says "expired");
 * - `iat` later than `now + skew`, or `exp - iat` over the maximum lifetime → 403.
 * `jti` is allowed, not required. Never throws for a bad header.
 * @throws TypeError only for a bad `apiKey`, `apiSecret` or option (caller bugs).
 * @example
 * const auth = verifyRestJwt(req.headers['x-opentok-auth'] as string | undefined, '123456', 'secret');
 * if (!auth.ok) return reply(auth.status, { message: auth.message });
 */
export function verifyRestJwt(
  jwt: string | undefined,
  apiKey: string,
  apiSecret: string,
  opts: VerifyRestJwtOptions = {},
): RestAuthResult {
  checkApiKey(apiKey);
  checkApiSecret(apiSecret);
  const now = opts.nowSeconds === undefined ? nowSeconds() : checkSeconds('nowSeconds', opts.nowSeconds);
  const skew = opts.skewSeconds === undefined ? DEFAULT_SKEW_SECONDS : checkSeconds('skewSeconds', opts.skewSeconds);
  const maxLifetime =
    opts.maxLifetimeSeconds === undefined
      ? REST_JWT_LIFETIME_SECONDS + skew
      : checkSeconds('maxLifetimeSeconds', opts.maxLifetimeSeconds);
  if (jwt === undefined || jwt === '') return deny(401, `missing ${HEADER} header`);
  if (typeof jwt !== 'string') return deny(403, `${HEADER} is not a valid JWT`);
  const token = jwt.trim();
  if (token.startsWith(T1_SENTINEL)) return deny(403, `${CONNECTION_TOKEN} (T1)`);
  const verified = verifyHs256(token, apiSecret);
  if (!verified.ok) {
    switch (verified.problem) {
      case 'malformed':
        return deny(403, `${HEADER} is not a valid JWT`);
      case 'algorithm':
        return deny(403, `${HEADER} must be signed with HS256`);
      case 'signature':
        return deny(403, `${HEADER} signature is invalid (wrong API secret?)`);
    }
  }
  const foreign = foreignClaim(verified.claims);
  if (foreign !== undefined) {
    return deny(
      403,
      CONNECTION_CLAIMS.includes(foreign)
        ? `${CONNECTION_TOKEN} (it carries "${foreign}")`
        : `${HEADER} carries the claim "${foreign}", which a project REST token does not have`,
    );
  }
  const { iss, ist, iat, exp } = verified.claims;
  if (iss !== apiKey) return deny(403, `${HEADER} iss does not match the API key`);
  if (ist !== ISSUER_TYPE) return deny(403, `${HEADER} ist must be 'project'`);
  if (!isNumber(iat) || !isNumber(exp)) return deny(403, `${HEADER} needs numeric iat and exp claims`);
  if (exp < now - skew) return deny(401, `${HEADER} token expired`);
  if (iat > now + skew) return deny(403, `${HEADER} iat is in the future`);
  if (exp - iat > maxLifetime) return deny(403, `${HEADER} lifetime exceeds ${maxLifetime} seconds`);
  return { ok: true };
}
