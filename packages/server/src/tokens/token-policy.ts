/**
 * How this server judges client tokens beyond their signature: the longest lifetime it accepts
 * and the clock skew it tolerates (createServer's `maxTokenLifetime` and `tokenClockSkew`).
 */

/**
 * The longest a client token may live, in seconds (`exp - iat`, or `expire_time - create_time`):
 * 30 days, the most OpenTok accepts. A longer-lived token is refused at join.
 */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 30 * 24 * 60 * 60;
/** Clock skew tolerated between the backend that mints tokens and this server, in seconds. */
export const DEFAULT_TOKEN_CLOCK_SKEW_SECONDS = 30;

/** The defaults of both. */
export const DEFAULT_TOKEN_POLICY: TokenPolicy = Object.freeze({
  maxLifetime: DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  clockSkew: DEFAULT_TOKEN_CLOCK_SKEW_SECONDS,
});

/** Seconds, both. */
export interface TokenPolicy {
  /** The longest `exp - iat` accepted; also bounds how long a revocation rule must be kept. */
  readonly maxLifetime: number;
  /** Tolerated skew: a token is accepted until `exp + clockSkew`, from `nbf - clockSkew`. */
  readonly clockSkew: number;
}

/**
 * Why a verified token's lifetime is refused, or null when it is within the policy. A token that
 * names no issue time is measured from now.
 * @example lifetimeProblem(policy, claims.expireTime, claims.issuedAt, now) // null
 */
export function lifetimeProblem(
  policy: TokenPolicy,
  expireTime: number,
  issuedAt: number | undefined,
  nowSeconds: number,
): string | null {
  const lifetime = expireTime - (issuedAt ?? nowSeconds);
  if (lifetime <= policy.maxLifetime) return null;
  return `token lifetime ${Math.round(lifetime)} s exceeds the maximum of ${policy.maxLifetime} s`;
}

/**
 * When a revocation rule made at `revokedAt` can be forgotten: every token it can match was issued
 * at or before `revokedAt`, so (lifetimes being bounded) expired by `revokedAt + maxLifetime`, plus
 * the skew; sooner when the one token it names expires sooner.
 */
export function revocationExpiry(policy: TokenPolicy, revokedAt: number, tokenExpireTime?: number): number {
  const bound = revokedAt + policy.maxLifetime + policy.clockSkew;
  return tokenExpireTime === undefined ? bound : Math.min(bound, Math.ceil(tokenExpireTime) + policy.clockSkew);
}
