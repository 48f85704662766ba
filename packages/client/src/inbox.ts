/**
 * The receiving side of sequencing (PROTOCOL.md "Server → client"): counts the sequenced
 * messages processed (the *received* position) and acknowledges them with `ack {a}` after
 * {@link ACK_EVERY_MESSAGES} messages, or {@link ACK_DELAY_MS} after the first unacknowledged one.
 * Every `ping` carries the position too ({@link Inbox.takeAck}).
 */
import { ACK_DELAY_MS, ACK_EVERY_MESSAGES } from '@parley/protocol';
import type { Timers } from './options.js';

/** @internal */
export class Inbox {
  private receivedCount = 0;
  private ackedCount = 0;
  private timer: unknown = undefined;

  constructor(
    private readonly timers: Timers,
    private readonly sendAck: (a: number) => void,
  ) {}

  /** Sequenced messages processed on this connection (across resumes). */
  get received(): number {
    return this.receivedCount;
  }

  /** Highest position told to the server. */
  get acked(): number {
    return this.ackedCount;
  }

  /** Count one sequenced message; acknowledges now or schedules it. */
  noteSequenced(): void {
    this.receivedCount++;
    if (this.receivedCount - this.ackedCount >= ACK_EVERY_MESSAGES) {
      this.sendAck(this.takeAck());
    } else if (this.timer === undefined) {
      this.timer = this.timers.setTimeout(() => {
        this.timer = undefined;
        if (this.receivedCount > this.ackedCount) this.sendAck(this.takeAck());
      }, ACK_DELAY_MS);
    }
  }

  /** The position to put in an `ack` or `ping`; marks it told and cancels a scheduled ack. */
  takeAck(): number {
    this.cancel();
    this.ackedCount = this.receivedCount;
    return this.ackedCount;
  }

  /** A resume tells the server our position in its query: treat it as acknowledged. */
  resumedAt(position: number): void {
    this.cancel();
    this.ackedCount = position;
  }

  /** Cancel a scheduled ack (transport gone). */
  cancel(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Forget everything (a new connection). */
  reset(): void {
    this.cancel();
    this.receivedCount = 0;
    this.ackedCount = 0;
  }
}
