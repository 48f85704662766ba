/**
 * Per-socket write batching: everything the endpoint writes to a connection during one event-loop
 * tick is collected in `connection.out` and flushed once, as ONE frame joined with "\n", by a
 * single `setImmediate` pass shared by every socket. Measured on 2 cores, batching roughly doubles
 * the fan-out knee (the floor server of apps/bench is built the same way; docs/BENCHMARKS.md):
 * `ws` does one write syscall per `send`, and small frames are mostly syscall overhead.
 *
 * WHY setImmediate and not queueMicrotask: microtasks run after each I/O callback, so a burst of
 * frames read in one poll phase would still flush once per frame; the check phase runs after
 * the whole poll phase.
 */
import type { Connection } from './connection.js';

/**
 * @example
 * const batcher = new WriteBatcher((c) => flush(c));
 * c.out.push(encoded); batcher.schedule(c);
 */
export class WriteBatcher {
  #dirty: Connection[] = [];
  #spare: Connection[] = [];
  #armed = false;

  /**
   * @param flush writes one connection's batch (called once per dirty connection per tick)
   * @param beforeFlush runs first in each pass (the endpoint finishes deferred destroys there)
   * @param afterFlush runs last in each pass (the endpoint forgets the pass's shared frame there)
   */
  constructor(
    private readonly flush: (c: Connection) => void,
    private readonly beforeFlush: () => void = () => {},
    private readonly afterFlush: () => void = () => {},
  ) {}

  /** Mark a connection as having something to write this tick. */
  schedule(c: Connection): void {
    if (c.scheduled) return;
    c.scheduled = true;
    this.#dirty.push(c);
    if (!this.#armed) {
      this.#armed = true;
      setImmediate(this.#run);
    }
  }

  readonly #run = (): void => {
    this.#armed = false;
    this.beforeFlush();
    // Swap the two arrays instead of allocating one per tick; schedule() during the pass (it
    // should not happen, but a flush may throw and be logged) lands in the next tick's list.
    const list = this.#dirty;
    this.#dirty = this.#spare;
    this.#spare = list;
    for (let i = 0; i < list.length; i++) {
      const c = list[i] as Connection;
      c.scheduled = false;
      this.flush(c);
    }
    list.length = 0;
    this.afterFlush();
  };
}
