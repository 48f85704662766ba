/**
 * Token revocation (a Parley extension; OpenTok has none): a rule refuses every token of one
 * project that matches its selector and was issued at or before the rule (so tokens minted
 * afterwards work again), until every such token has expired. docs/OPERATIONS.md §Tokens.
 */

/** What a rule matches: a session's tokens, the tokens carrying one connection data, or one token. */
export type RevocationKind = 'session' | 'data' | 'token';

/** One revocation rule, as the store keeps it. */
export interface Revocation {
  readonly apiKey: string;
  readonly kind: RevocationKind;
  /** The session ID, the connection data, or the token ID (JWT `jti`, else the token's nonce). */
  readonly value: string;
  /** Unix seconds: tokens issued at or before this second are refused. */
  readonly revokedAt: number;
  /** Unix seconds: past this, every token the rule can match has expired; the rule is pruned. */
  readonly expiresAt: number;
}

/** What the join path and the endpoint know of a token holder. */
export interface TokenHolder {
  readonly apiKey: string;
  readonly sessionId: string;
  readonly data: string;
  /** '' when the token has neither `jti` nor a nonce (it cannot be revoked by ID). */
  readonly tokenId: string;
  /** Unix seconds; undefined reads as "long ago" (any rule refuses it). */
  readonly issuedAt: number | undefined;
}

/** The field of a holder a kind of rule compares. */
export function holderValue(holder: TokenHolder, kind: RevocationKind): string {
  return kind === 'session' ? holder.sessionId : kind === 'data' ? holder.data : holder.tokenId;
}

/**
 * True when `rule` refuses `holder` at `nowSeconds`.
 * @example if (revocationMatches(rule, holder, Date.now() / 1000)) refuse();
 */
export function revocationMatches(rule: Revocation, holder: TokenHolder, nowSeconds: number): boolean {
  return (
    rule.apiKey === holder.apiKey &&
    rule.expiresAt > nowSeconds &&
    (holder.issuedAt ?? 0) <= rule.revokedAt &&
    holderValue(holder, rule.kind) === rule.value &&
    rule.value !== ''
  );
}

/** The close reason a revoked holder reads, and the join refusal's reason. */
export const REVOKED_REASON = 'token revoked';
