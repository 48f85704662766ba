/**
 * Heartbeat and dead-peer detection (PROTOCOL.md "Liveness"). Every `heartbeatInterval` a timer
 * tick compares the wall clock with the time the last frame arrived: past `heartbeatTimeout` the
 * server is declared dead, otherwise a `ping` goes out. Because the check is a wall-clock
 * deadline, a throttled tab or a laptop waking from sleep notices on its very next tick.
 */
import type { Clock, Timers } from './options.js';

/** @internal */
export interface LivenessOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly interval: number;
  readonly timeout: number;
  readonly ping: () => void;
  readonly dead: (silentFor: number) => void;
}

/** @internal */
export class Liveness {
  private lastReceived: number;
  private timer: unknown = undefined;
  private stopped = false;

  constructor(private readonly options: LivenessOptions) {
    this.lastReceived = options.clock.now();
    this.schedule();
  }

  /** A frame arrived. */
  received(): void {
    this.lastReceived = this.options.clock.now();
  }

  /** Check the deadline now; ping if the peer still counts as alive. Returns false when dead. */
  check(): boolean {
    if (this.stopped) return false;
    const silentFor = this.options.clock.now() - this.lastReceived;
    if (silentFor >= this.options.timeout) {
      this.stop();
      this.options.dead(silentFor);
      return false;
    }
    this.options.ping();
    return true;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.options.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.options.timers.setTimeout(() => {
      this.timer = undefined;
      if (this.check()) this.schedule();
    }, this.options.interval);
  }
}
