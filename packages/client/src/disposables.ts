/**
 * A list of cleanups (timers, listeners) registered as closures and run together. The session
 * keeps one per state and one per transport and clears it on every transition, so nothing from
 * an earlier state can fire into a later one.
 */
import type { Timers } from './options.js';

/** @internal */
export class Disposables {
  private cleanups: (() => void)[] = [];

  constructor(private readonly timers: Timers) {}

  /** Register a cleanup. */
  add(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /** Start a timer that is cancelled by {@link clear}. */
  setTimeout(fn: () => void, ms: number): void {
    const handle = this.timers.setTimeout(fn, Math.max(0, ms));
    this.add(() => {
      this.timers.clearTimeout(handle);
    });
  }

  /** Run every cleanup once, newest first, and forget them. */
  clear(): void {
    const list = this.cleanups;
    this.cleanups = [];
    for (let i = list.length - 1; i >= 0; i--) list[i]?.();
  }
}
