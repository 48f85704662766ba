/**
 * The Redis bus's readiness as others watch it (`/readyz`, the server's health listeners): the
 * promise of the first time both Redis connections were up, and the listeners told whenever the
 * health may have changed. What the health is, the bus says (redis-bus.ts `health()`).
 */

export interface Health {
  readonly ready: boolean;
  readonly reason?: string;
}

export class BusHealth {
  /** Resolves once the node has reached Redis. */
  readonly ready: Promise<void>;
  readonly #listeners = new Set<(health: { ready: boolean; reason?: string }) => void>();
  #becameReady: () => void = () => undefined;

  constructor(
    private readonly current: () => Health,
    private readonly guard: (fn: () => void) => void,
  ) {
    this.ready = new Promise((resolve) => (this.#becameReady = resolve));
  }

  /** Call `listener` whenever the health may have changed; returns a function that stops it. */
  listen(listener: (health: { ready: boolean; reason?: string }) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  becameReady(): void {
    this.#becameReady();
  }

  /** Tell every listener the health as it is now. */
  changed(): void {
    const health = this.current();
    for (const listener of this.#listeners)
      this.guard(() => {
        listener(health);
      });
  }
}
