/**
 * When to try to resume a dropped connection. The session asks the policy before every attempt;
 * the reconnect window (told by the server) bounds the whole thing regardless of the policy.
 */
import { backoffDelay, type BackoffOptions } from './backoff.js';

/** What the session knows when it asks for the next delay. */
export interface ReconnectContext {
  /** How many resume attempts have been made so far in this reconnection (0 before the first). */
  readonly attempt: number;
  /** Milliseconds since the connection dropped. */
  readonly elapsed: number;
  /** Milliseconds left in the reconnect window. */
  readonly remaining: number;
}

/**
 * Decides how long to wait before the next resume attempt, or to give up (`null`).
 * @example
 * const never: ReconnectPolicy = { nextRetryDelay: () => null }; // fail at the first drop
 */
export interface ReconnectPolicy {
  nextRetryDelay(context: ReconnectContext): number | null;
}

/**
 * The default policy: the first attempt at once, then {@link backoffDelay} with full jitter
 * (base 250 ms, cap 5000 ms), until the window runs out.
 * @example new Session(apiKey, sessionId, undefined, { reconnectPolicy: defaultReconnectPolicy({ base: 100 }) })
 */
export function defaultReconnectPolicy(
  options: BackoffOptions = {},
  random: () => number = Math.random,
): ReconnectPolicy {
  return {
    nextRetryDelay: ({ attempt }) => (attempt === 0 ? 0 : backoffDelay(attempt - 1, options, random)),
  };
}
