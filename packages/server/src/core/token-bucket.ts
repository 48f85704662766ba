/**
 * Token buckets for the signal limits: one object per bucket, mutated in place (no allocation per
 * request). A connection has two (signals, signal bytes); a session has two more, shared by all
 * its senders.
 */

/**
 * @example
 * const b = new TokenBucket(200);
 * if (!b.take(1, 100, 200, Date.now())) nack(429);
 */
export class TokenBucket {
  refilledAt = Date.now();
  constructor(public tokens: number) {}

  /** Add what `perSecond` earned since the last refill, capped at `burst`. */
  refill(perSecond: number, burst: number, now: number): void {
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(burst, this.tokens + (elapsed * perSecond) / 1000);
      this.refilledAt = now;
    }
  }

  /** Refill, then take `cost` tokens if the bucket holds them. */
  take(cost: number, perSecond: number, burst: number, now: number): boolean {
    this.refill(perSecond, burst, now);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}

/** The per-session signal budget: messages and bytes, shared by every sender of the session. */
export class SessionBudget {
  readonly signals: TokenBucket;
  readonly bytes: TokenBucket;
  constructor(burst: number, byteBurst: number) {
    this.signals = new TokenBucket(burst);
    this.bytes = new TokenBucket(byteBurst);
  }
}
