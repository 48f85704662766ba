/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
 * the delay is uniform in [0, min(cap, base * 2^attempt)). Pure: the random source is a parameter.
 */

/** Bounds of {@link backoffDelay}. */
export interface BackoffOptions {
  /** Upper bound of the first delay (ms). @default 250 */
  readonly base?: number;
  /** Largest upper bound any delay may have (ms). @default 5000 */
  readonly cap?: number;
}

/**
 * The delay (ms) before retry number `attempt` (0-based): a uniform random value in
 * `[0, min(cap, base * 2^attempt))`, rounded down.
 *
 * @param attempt - how many delayed retries came before this one (0 for the first)
 * @param options - `base` (default 250 ms) and `cap` (default 5000 ms)
 * @param random - a source of numbers in [0, 1)
 * @example
 * backoffDelay(0, {}, () => 0.5) // 125
 * backoffDelay(10, { base: 250, cap: 5000 }, () => 0.999) // 4995
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.base ?? 250;
  const cap = options.cap ?? 5000;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.floor(random() * ceiling);
}
