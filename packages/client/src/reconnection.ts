/**
 * The attempts of one reconnection (PROTOCOL.md "Reconnection window"): when it started, when
 * the server's window closes, how many resume attempts were made, and when the policy wants the
 * next one; it opens them on the session's link. The session owns the status: it decides when to
 * ask for an attempt, and what a lost attempt or a `resumed` means.
 *
 * `disconnect()` while Reconnecting still resumes, once, only to say `bye`: the server holds the
 * connection and would otherwise tell the others `networkDisconnected` only when its window ran out.
 * ```
 * client (Reconnecting)                         server (holding the connection)
 *   disconnect() → status Disconnecting
 *   |  GET /v1/ws?resume=…&key=…&ack=…  ----->  |   (not when a resume is already opening;
 *   |                                           |    this one's open timeout is at most 2 s)
 *   |  <---- resumed, replayed messages         |
 *   |  ---- bye ---->                           |   the others: connectionDestroyed(clientDisconnected)
 *   |  <---- close 1000                         |
 *   status NotConnected → sessionDidDisconnect(clientDisconnected); at most disconnectTimeout after disconnect()
 * ```
 */
import type { ResumedMessage } from '@parley/protocol';
import type { Opener } from './join.js';
import type { Clock } from './options.js';
import type { ReconnectPolicy } from './reconnect-policy.js';

/** @internal */
export class Reconnection {
  private attempts = 0;
  private readonly startedAt: number;

  /**
   * @param query - builds the resume query when an attempt opens (it carries our position then)
   * @param window - the server's reconnect window (ms), counted from now
   */
  constructor(
    private readonly link: Opener,
    private readonly policy: ReconnectPolicy,
    private readonly clock: Clock,
    private readonly openTimeout: number,
    private readonly query: () => string,
    readonly window: number,
  ) {
    this.startedAt = clock.now();
  }

  /** Why a reconnection that ran out of window ends. */
  get windowOver(): string {
    return `could not resume within the reconnect window (${this.window} ms)`;
  }

  /** Open the next attempt, at once or after the policy's delay (never past the window); or say why to give up. */
  next(): string | null {
    const now = this.clock.now();
    const remaining = this.startedAt + this.window - now;
    if (remaining <= 0) return this.windowOver;
    const delay = this.policy.nextRetryDelay({ attempt: this.attempts, elapsed: now - this.startedAt, remaining });
    if (delay === null) return `the reconnect policy gave up after ${this.attempts} attempt(s)`;
    if (delay <= 0) {
      this.open();
    } else {
      this.link.wait(
        () => {
          this.open();
        },
        Math.min(delay, remaining),
      );
    }
    return null;
  }

  /** Open an attempt now; its open timeout is `openTimeout`, capped by what is left of the window and by `cap`. */
  open(cap = Infinity): void {
    this.attempts++;
    const remaining = this.startedAt + this.window - this.clock.now();
    this.link.open(this.query(), Math.max(0, Math.min(cap, this.openTimeout, remaining)));
  }
}

/**
 * Why a `resumed` cannot be trusted, or null when it can: the server must replay from exactly our
 * position + 1, and cannot have processed a request we never sent.
 * @internal
 */
export function resumeMismatch(resumed: ResumedMessage, received: number, lastSeq: number): string | null {
  if (resumed.next === received + 1 && resumed.ack <= lastSeq) return null;
  return `resume position mismatch (next ${resumed.next}, expected ${received + 1}; ack ${resumed.ack} of ${lastSeq})`;
}
