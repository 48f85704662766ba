/**
 * The server's time: the wall clock and the timers of liveness, expiry and rate limits, injectable
 * (as the client's are) so tests can run them on manual time instead of waiting.
 */

/**
 * @example
 * const clock: ServerClock = { ...systemClock, now: () => fakeNow };
 */
export interface ServerClock {
  /** Wall-clock milliseconds (Date.now()). */
  now(): number;
  /** A timer that never keeps the process alive. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** A repeating timer that never keeps the process alive. */
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Date.now and Node's timers, unref'd. */
export const systemClock: ServerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => {
    clearTimeout(handle as NodeJS.Timeout | undefined);
  },
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (handle) => {
    clearInterval(handle as NodeJS.Timeout | undefined);
  },
};
