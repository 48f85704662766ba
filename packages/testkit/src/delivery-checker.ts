/**
 * The chaos run's bookkeeping: who sent what, who received what, in which order. Pure: no timers,
 * no sockets, so its counting is unit-tested on its own.
 *
 * Every sender numbers its messages 1, 2, 3, … Every receiver (the sender included: a broadcast
 * is echoed to its sender) must see each sender's numbers exactly once and in increasing order.
 * For each (receiver, sender) pair the checker keeps the highest number seen and the set of numbers
 * seen, and classifies each arrival:
 *
 * - the next one expected (highest + 1): delivered;
 * - one already seen: duplicated;
 * - one below the highest but never seen: delivered, and reordered (it overtook nothing; it was overtaken);
 * - one above highest + 1: delivered, and the gap stays open until the missing ones arrive (as
 *   reordered) or the run ends (as lost).
 *
 * At the end, lost = (messages sent) − (distinct messages received), summed over every pair.
 */

/** The counts a run reports. */
export interface DeliveryCounts {
  /** Messages sent (each is expected once at every receiver). */
  sent: number;
  /** sent × receivers: the deliveries that should happen. */
  expected: number;
  /** Distinct (receiver, sender, n) deliveries. */
  delivered: number;
  /** Expected deliveries that never happened. */
  lost: number;
  /** Arrivals of a message the receiver already had. */
  duplicated: number;
  /** Arrivals of a message after a later message of the same sender. */
  reordered: number;
}

interface Stream {
  highest: number;
  seen: Set<number>;
}

/**
 * Counts deliveries per (receiver, sender).
 * @example
 * const c = new DeliveryChecker(['a', 'b']);
 * c.sent('a'); c.received('b', 'a', 1); c.received('a', 'a', 1);
 * c.counts().lost; // 0
 */
export class DeliveryChecker {
  private readonly sentBy = new Map<string, number>();
  private readonly streams = new Map<string, Map<string, Stream>>();
  private duplicated = 0;
  private reordered = 0;
  private delivered = 0;
  private readonly listeners = new Set<() => void>();
  /** The first few anomalies, described, for the report. */
  readonly anomalies: string[] = [];

  constructor(participants: readonly string[]) {
    for (const p of participants) {
      this.sentBy.set(p, 0);
      const m = new Map<string, Stream>();
      for (const q of participants) m.set(q, { highest: 0, seen: new Set() });
      this.streams.set(p, m);
    }
  }

  /** `sender` sent its next message; returns its number (1-based). */
  sent(sender: string): number {
    const n = (this.sentBy.get(sender) ?? 0) + 1;
    this.sentBy.set(sender, n);
    return n;
  }

  /** `receiver` got message `n` of `sender`. */
  received(receiver: string, sender: string, n: number): void {
    const stream = this.streams.get(receiver)?.get(sender);
    if (stream === undefined) {
      this.note(`${receiver} received #${n} from unknown sender ${sender}`);
      return;
    }
    if (stream.seen.has(n)) {
      this.duplicated++;
      this.note(`${receiver} received #${n} from ${sender} again`);
    } else {
      stream.seen.add(n);
      this.delivered++;
      if (n < stream.highest) {
        this.reordered++;
        this.note(`${receiver} received #${n} from ${sender} after #${stream.highest}`);
      }
      stream.highest = Math.max(stream.highest, n);
    }
    for (const l of [...this.listeners]) l();
  }

  /** Whether every receiver has every message sent so far. */
  complete(): boolean {
    for (const byReceiver of this.streams.values()) {
      for (const [sender, stream] of byReceiver) {
        if (stream.seen.size < (this.sentBy.get(sender) ?? 0)) return false;
      }
    }
    return true;
  }

  /** What is still missing, for a timeout message: "b←a: 3 missing (has 7 of 10)". */
  missing(limit = 5): string[] {
    const out: string[] = [];
    for (const [receiver, byReceiver] of this.streams) {
      for (const [sender, stream] of byReceiver) {
        const sent = this.sentBy.get(sender) ?? 0;
        if (stream.seen.size < sent && out.length < limit) {
          out.push(
            `${receiver}←${sender}: ${sent - stream.seen.size} missing (has ${stream.seen.size} of ${sent}, highest #${stream.highest})`,
          );
        }
      }
    }
    return out;
  }

  /** Call `listener` after every arrival; returns the function that removes it. */
  onReceive(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  counts(): DeliveryCounts {
    let sent = 0;
    for (const n of this.sentBy.values()) sent += n;
    const expected = sent * this.streams.size;
    return {
      sent,
      expected,
      delivered: this.delivered,
      lost: expected - this.delivered,
      duplicated: this.duplicated,
      reordered: this.reordered,
    };
  }

  private note(line: string): void {
    if (this.anomalies.length < 20) this.anomalies.push(line);
  }
}
