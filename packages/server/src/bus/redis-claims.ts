/**
 * The claims a node of the Redis bus is waiting on: a client resumed here, the bus moved its
 * member here, and its state comes from the old node (over this node's channel) or from Redis
 * (parked). One claim per member at a time; each is answered once, or null after the timeout.
 */
import type { ClaimCallbacks, HandoffState, RebuildState } from './session-bus.js';

interface Claim {
  readonly callbacks: ClaimCallbacks;
  readonly timer: NodeJS.Timeout;
}

/** The key of a member: `SESSION\tCONNECTION` (as the script writes it). */
export function memberKey(sessionId: string, connectionId: string): string {
  return `${sessionId}\t${connectionId}`;
}

export class PendingClaims {
  readonly #claims = new Map<string, Claim>();

  constructor(
    private readonly timeoutMs: number,
    private readonly guard: (fn: () => void) => void,
  ) {}

  /**
   * Wait for a member's state; false (and nothing started) when a claim for it already waits.
   * `timedOut` runs after the callbacks got null, when nothing answered in time.
   */
  start(key: string, callbacks: ClaimCallbacks, timedOut: () => void): boolean {
    if (this.#claims.has(key)) return false;
    const timer = setTimeout(() => {
      if (this.finish(key, null)) timedOut();
    }, this.timeoutMs);
    timer.unref();
    this.#claims.set(key, { callbacks, timer });
    return true;
  }

  /** Whether a claim for the member still waits for its state. */
  waiting(key: string): boolean {
    return this.#claims.has(key);
  }

  /** The move reached this node in the session's order: its events are held from here on. */
  moved(key: string): void {
    const claim = this.#claims.get(key);
    if (claim !== undefined)
      this.guard(() => {
        claim.callbacks.moved();
      });
  }

  /** Answer a waiting claim (the first answer counts); true when one was waiting. */
  finish(key: string, state: HandoffState | RebuildState | null): boolean {
    const claim = this.#claims.get(key);
    if (claim === undefined) return false;
    clearTimeout(claim.timer);
    this.#claims.delete(key);
    this.guard(() => {
      claim.callbacks.done(state);
    });
    return true;
  }

  /** Answer every waiting claim with null (Redis lost the members). */
  clear(): void {
    for (const key of [...this.#claims.keys()]) this.finish(key, null);
  }
}
