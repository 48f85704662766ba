import type { RateLimit } from '@parley/protocol';

/** The fields of a connection the signal rate limit keeps. */
export interface BucketState {
  tokens: number;
  refilledAt: number;
}

/**
 * Take one token from a connection's bucket (refilled at `rate.perSecond`, capped at
 * `rate.burst`). Mutates the state in place: no allocation per request.
 * @example if (!takeToken(conn, rate, Date.now())) nack(429);
 */
export function takeToken(state: BucketState, rate: Readonly<RateLimit>, now: number): boolean {
  const elapsed = now - state.refilledAt;
  if (elapsed > 0) {
    state.tokens = Math.min(rate.burst, state.tokens + (elapsed * rate.perSecond) / 1000);
    state.refilledAt = now;
  }
  if (state.tokens >= 1) {
    state.tokens -= 1;
    return true;
  }
  return false;
}
