/**
 * A {@link ServerClock} on manual time: `advance(ms)` moves `now()` and runs every timer that
 * falls due, in time order, so liveness, expiry and rate-limit tests prove an absence without
 * waiting for it.
 */
import type { ServerClock } from '@parley/server';

interface Timer {
  at: number;
  readonly every: number | null;
  readonly fn: () => void;
}

export class ManualClock implements ServerClock {
  #now = 1_000_000;
  readonly #timers = new Set<Timer>();

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t: Timer = { at: this.#now + ms, every: null, fn };
    this.#timers.add(t);
    return t;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as Timer);
  }

  setInterval(fn: () => void, ms: number): unknown {
    const t: Timer = { at: this.#now + ms, every: ms, fn };
    this.#timers.add(t);
    return t;
  }

  clearInterval(handle: unknown): void {
    this.#timers.delete(handle as Timer);
  }

  /** Move time forward by `ms`, running each timer when its time comes. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.#timers) if (t.at <= end && (next === undefined || t.at < next.at)) next = t;
      if (next === undefined) break;
      this.#now = next.at;
      if (next.every === null) this.#timers.delete(next);
      else next.at += next.every;
      next.fn();
    }
    this.#now = end;
  }
}
