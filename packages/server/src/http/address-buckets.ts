/**
 * Token buckets keyed by client (address key, project), bounded in number: the rate limits that
 * are counted per someone (demo sessions per address, upgrades per address, sessions per
 * project). Refilled lazily on use; no timer.
 */
import { TokenBucket } from '../core/token-bucket.js';

/** Keys tracked at most; past it, full (idle) buckets go first, then the oldest. */
const MAX_TRACKED = 10_000;

/** A bucket's rate: `burst` at once, refilled at `perSecond`. */
export interface BucketRate {
  readonly perSecond: number;
  readonly burst: number;
}

/**
 * @example
 * const buckets = new KeyedBuckets({ perSecond: 10, burst: 20 });
 * const wait = buckets.take(clientKey(address));
 * if (wait > 0) refuse429(wait);
 */
export class KeyedBuckets {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly rate: Readonly<BucketRate>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Take one token for `key`: 0 when taken, else the seconds until one is available (≥ 1). */
  take(key: string): number {
    const now = this.now();
    const { perSecond, burst } = this.rate;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      this.#makeRoom(now);
      bucket = new TokenBucket(burst, now);
      this.#buckets.set(key, bucket);
    }
    if (bucket.take(1, perSecond, burst, now)) return 0;
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }

  #makeRoom(now: number): void {
    if (this.#buckets.size < MAX_TRACKED) return;
    const { perSecond, burst } = this.rate;
    for (const [key, bucket] of this.#buckets) {
      bucket.refill(perSecond, burst, now);
      if (bucket.tokens >= burst) this.#buckets.delete(key);
    }
    const oldest = this.#buckets.keys().next();
    if (this.#buckets.size >= MAX_TRACKED && oldest.done !== true) this.#buckets.delete(oldest.value);
  }
}
