/**
 * The endpoint's timers: ONE heartbeat sweep for every connection (a wall-clock deadline check,
 * so a late timer still notices), and each detached connection's expiry after the reconnect
 * window, scoped to the transport generation that scheduled it (after a resume, or a newer drop,
 * it does nothing). What a stale or expired connection becomes is the endpoint's decision: this
 * only tells it (parley-endpoint.ts `#detach`, `#destroy`).
 */
import type { SessionTimings } from '@parley/protocol';
import type { ServerClock } from './clock.js';
import type { Connection } from './connection.js';

export interface LivenessHandlers {
  /** A connected connection sent no frame for `heartbeatTimeout` (idle for `idleMs`). */
  stale(c: Connection, idleMs: number): void;
  /** A detached connection's reconnect window passed with no resume. */
  expired(c: Connection): void;
  /** Run a timer's work (exceptions logged, never thrown). */
  guard(fn: () => void): void;
}

export class Liveness {
  readonly #sweepTimer: unknown;

  constructor(
    private readonly clock: ServerClock,
    private readonly timings: Readonly<SessionTimings>,
    connections: () => Iterable<Connection>,
    private readonly handlers: LivenessHandlers,
  ) {
    this.#sweepTimer = clock.setInterval(() => {
      handlers.guard(() => {
        const now = clock.now();
        const deadline = now - timings.heartbeatTimeout;
        for (const c of connections()) {
          if (c.state !== 'connected' || c.lastSeen >= deadline) continue;
          handlers.stale(c, now - c.lastSeen);
        }
      });
    }, timings.heartbeatInterval);
  }

  /** Keep `c` for the reconnect window, then tell the endpoint (unless it was resumed or dropped again). */
  arm(c: Connection): void {
    const generation = c.generation;
    c.expiryTimer = this.clock.setTimeout(() => {
      this.handlers.guard(() => {
        if (c.state === 'detached' && c.generation === generation) this.handlers.expired(c);
      });
    }, this.timings.reconnectWindow);
  }

  disarm(c: Connection): void {
    this.clock.clearTimeout(c.expiryTimer);
    c.expiryTimer = undefined;
  }

  stop(): void {
    this.clock.clearInterval(this.#sweepTimer);
  }
}
