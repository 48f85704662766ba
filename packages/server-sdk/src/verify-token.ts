/**
 * Verifying client connection tokens (both formats) when a client connects.
 */
import { DEFAULT_ROLE, MAX_TOKEN_LENGTH } from '@parley/protocol';
import { checkApiSecret, checkSeconds, nowSeconds } from './arguments.js';
import { verifyHs256, type JwtProblem } from './jwt.js';
import { T1_SENTINEL, verifyT1 } from './t1-token.js';
import type { TokenFormat } from './token-data.js';

/**
 * What a verified connection token says. Policy (is the role known, is the data at most 1000
 * characters, is the session this one, is it the API key's session) is the caller's to check.
 * @example if (result.ok) console.log(result.claims.sessionId, result.claims.role);
 */
export interface ConnectClaims {
  readonly sessionId: string;
  /** As in the token, NOT validated here; 'publisher' when the token names none. */
  readonly role: string;
  /** The connection data; '' when absent. */
  readonly connectionData: string;
  /** Unix seconds; the earlier of `exp` and `expire_time` when a JWT has both. */
  readonly expireTime: number;
  readonly createTime: number | undefined;
  /** Space-separated layout classes; '' when absent. */
  readonly initialLayoutClassList: string;
  readonly scope: string | undefined;
  readonly format: TokenFormat;
  /**
   * What identifies this token for revocation: the JWT `jti` claim when there is one, else the
   * `nonce` claim as text (every token the official SDKs and Parley mint, in both formats, carries
   * a random nonce; a T1 token's nonce is taken exactly as written in it). '' when neither.
   */
  readonly tokenId: string;
  /** When the token was issued, unix seconds: `create_time`, else the JWT `iat`; undefined when neither. */
  readonly issuedAt: number | undefined;
}

/**
 * Options of {@link verifyToken}.
 * @example verifyToken(token, secret, { clockToleranceSeconds: 30 })
 */
export interface VerifyOptions {
  /** Unix seconds to check expiry against. @default now */
  readonly nowSeconds?: number;
  /**
   * Clock skew allowed between the minting backend and this verifier, in seconds: a token is
   * accepted until `exp + tolerance` and from `nbf - tolerance`. @default 0
   */
  readonly clockToleranceSeconds?: number;
}

/**
 * The outcome of {@link verifyToken}: the claims, or why the token was refused.
 * @example const r: VerifyResult = verifyToken(token, secret); if (!r.ok) ws.close(4004, r.reason);
 */
export type VerifyResult =
  { readonly ok: true; readonly claims: ConnectClaims } | { readonly ok: false; readonly reason: string };

/**
 * The reasons {@link verifyToken} gives, one per check.
 * @example if (!r.ok && r.reason === TokenRejection.Expired) askForANewToken();
 */
export const TokenRejection = Object.freeze({
  Empty: 'token is empty',
  TooLong: 'token is too long',
  Malformed: 'token is malformed',
  Algorithm: 'token algorithm is not HS256',
  Signature: 'token signature is invalid',
  Expired: 'token has expired',
  NotYetValid: 'token is not yet valid',
  NoSessionId: 'token has no session_id',
  Scope: 'token scope is not session.connect',
});

/** The token ID of raw claims: a string `jti`, else the nonce as text; '' when neither. */
function tokenIdOf(raw: Record<string, unknown>): string {
  const { jti, nonce } = raw;
  if (typeof jti === 'string' && jti !== '') return jti;
  if (typeof nonce === 'string') return nonce;
  if (typeof nonce === 'number' && Number.isFinite(nonce)) return String(nonce);
  return '';
}

const JWT_PROBLEMS: Readonly<Record<JwtProblem, string>> = {
  malformed: TokenRejection.Malformed,
  algorithm: TokenRejection.Algorithm,
  signature: TokenRejection.Signature,
};

const NUMERIC = /^-?\d+(\.\d+)?$/;

function refuse(reason: string): VerifyResult {
  return { ok: false, reason };
}

const optString = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';
const optNumber = (v: unknown): v is number | undefined =>
  v === undefined || (typeof v === 'number' && Number.isFinite(v));

/** Check the claims both formats share and build the result. */
function claimsOf(raw: Record<string, unknown>, format: TokenFormat, now: number, skew: number): VerifyResult {
  const {
    session_id,
    role,
    connection_data,
    initial_layout_class_list,
    scope,
    create_time,
    exp,
    expire_time,
    nbf,
    iat,
  } = raw;
  if (
    !optString(session_id) ||
    !optString(role) ||
    !optString(connection_data) ||
    !optString(initial_layout_class_list) ||
    !optString(scope) ||
    !optNumber(create_time) ||
    !optNumber(exp) ||
    !optNumber(expire_time) ||
    !optNumber(nbf) ||
    !optNumber(iat) ||
    (exp === undefined && expire_time === undefined)
  ) {
    return refuse(TokenRejection.Malformed);
  }
  if (session_id === undefined || session_id === '') return refuse(TokenRejection.NoSessionId);
  if (scope !== undefined && scope !== 'session.connect') return refuse(TokenRejection.Scope);
  const expireTime = Math.min(exp ?? Infinity, expire_time ?? Infinity);
  if (!(expireTime + skew > now)) return refuse(TokenRejection.Expired);
  if (nbf !== undefined && nbf - skew > now) return refuse(TokenRejection.NotYetValid);
  return {
    ok: true,
    claims: {
      sessionId: session_id,
      role: role ?? DEFAULT_ROLE,
      connectionData: connection_data ?? '',
      expireTime,
      createTime: create_time,
      initialLayoutClassList: initial_layout_class_list ?? '',
      scope,
      format,
      tokenId: tokenIdOf(raw),
      issuedAt: create_time ?? iat,
    },
  };
}

/** T1 values are all strings; the numeric claims are turned into numbers (or left, to fail the type check). */
function t1Claims(fields: ReadonlyMap<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = Object.fromEntries(fields);
  for (const key of ['create_time', 'expire_time']) {
    const v = fields.get(key);
    if (v !== undefined && NUMERIC.test(v)) raw[key] = Number(v);
  }
  return raw;
}

/**
 * Verify a client connection token of either format with the project's secret.
 *
 * - JWT: header `alg` must be `HS256` ('none' and everything else refused), HMAC-SHA256 signature
 *   compared in constant time, `exp`/`expire_time` after now, `nbf` (if any) not after now,
 *   `scope` (if any) `session.connect`, `session_id` a non-empty string.
 * - T1: split at the first ':', hex HMAC-SHA1 of the data bytes exactly as received (constant
 *   time), `expire_time` after now, same `scope`/`session_id` rules.
 *
 * Never throws for a bad token: the reason is one of {@link TokenRejection}'s strings.
 * @param options unix seconds to check expiry against (a number, the older form), or
 *   {@link VerifyOptions}. @default now, no clock tolerance
 * @throws TypeError only for a bad `apiSecret`, `nowSeconds` or tolerance (caller bugs).
 * @example
 * const result = verifyToken(token, secretOf(peekToken(token)?.apiKey), { clockToleranceSeconds: 30 });
 * if (!result.ok) return ws.close(4004, result.reason);
 */
export function verifyToken(token: string, apiSecret: string, options?: number | VerifyOptions): VerifyResult {
  checkApiSecret(apiSecret);
  const o: VerifyOptions = typeof options === 'number' ? { nowSeconds: options } : (options ?? {});
  const now = o.nowSeconds === undefined ? nowSeconds() : checkSeconds('nowSeconds', o.nowSeconds);
  const skew = o.clockToleranceSeconds ?? 0;
  if (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0)
    throw new TypeError('clockToleranceSeconds must be a non-negative number of seconds');
  if (typeof token !== 'string') return refuse(TokenRejection.Malformed);
  if (token === '') return refuse(TokenRejection.Empty);
  if (token.length > MAX_TOKEN_LENGTH) return refuse(TokenRejection.TooLong);
  if (token.startsWith(T1_SENTINEL)) {
    const t1 = verifyT1(token, apiSecret);
    if (!t1.ok) return refuse(t1.problem === 'signature' ? TokenRejection.Signature : TokenRejection.Malformed);
    return claimsOf(t1Claims(t1.fields), 't1', now, skew);
  }
  const jwt = verifyHs256(token, apiSecret);
  if (!jwt.ok) return refuse(JWT_PROBLEMS[jwt.problem]);
  return claimsOf(jwt.claims, 'jwt', now, skew);
}
