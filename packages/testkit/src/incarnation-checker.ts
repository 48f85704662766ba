/**
 * The cluster chaos run's bookkeeping (cluster-chaos.ts): like {@link DeliveryChecker}, every
 * sender numbers its messages 1, 2, 3, … and every receiver must see each sender's numbers once
 * and in increasing order, but a client may end with an explicit failure (1022: its node died, or
 * Redis lost its data) and join again as a new connection. Each such life is an *incarnation*
 * (`c0#1`, `c0#2`, …), a participant of its own. Pure: no timers, no sockets.
 *
 * What each (receiver, sender) pair must have, the "required" numbers:
 * - from: 1, or, when the receiver joined after the sender began, the sender's count when the
 *   receiver was told it had joined, plus one (what was sent before may arrive, a member sees the
 *   events ordered after its join: those are optional, but once one arrives every later one must);
 * - to: everything the sender sent, when both live to the end; when the sender failed, what it had
 *   had acknowledged (an acknowledged signal was accepted: it must reach every live receiver),
 *   or more if more arrived; when the receiver failed, up to the highest it received (what came
 *   after its failure is cut off by an explicit failure, never a silent gap in the middle).
 *
 * An arrival already seen is **duplicated**, one below the highest seen **reordered**; at the end
 * **lost** = required numbers never received. An explicit failure is not a loss.
 */
import type { DeliveryCounts } from './delivery-checker.js';

/** The counts a cluster run reports (`expected`: the deliveries required by the rules above). */
export type IncarnationCounts = DeliveryCounts;

interface Stream {
  highest: number;
  lowest: number;
  seen: Set<number>;
}

interface Life {
  sent: number;
  acked: number;
  failed: boolean;
  /** Per sender incarnation: its sent count when this one joined (absent: it began later). */
  readonly joinedAfter: Map<string, number>;
  /** Per sender incarnation, what this one received of it. */
  readonly streams: Map<string, Stream>;
}

/**
 * @example
 * const c = new IncarnationChecker();
 * c.begin('a#1'); c.begin('b#1');
 * const n = c.sent('a#1'); c.received('b#1', 'a#1', n); c.received('a#1', 'a#1', n);
 * c.counts().lost; // 0
 */
export class IncarnationChecker {
  readonly #lives = new Map<string, Life>();
  #duplicated = 0;
  #reordered = 0;
  #delivered = 0;
  readonly #listeners = new Set<() => void>();
  /** The first few anomalies, described. */
  readonly anomalies: string[] = [];

  /** A new incarnation was told it joined (sessionConnected): every other one's count is its start. */
  begin(name: string): void {
    if (this.#lives.has(name)) throw new Error(`incarnation ${name} began twice`);
    const joinedAfter = new Map<string, number>();
    for (const [other, life] of this.#lives) joinedAfter.set(other, life.sent);
    this.#lives.set(name, { sent: 0, acked: 0, failed: false, joinedAfter, streams: new Map() });
  }

  /** `sender` sent its next message; its number. */
  sent(sender: string): number {
    return ++this.#life(sender).sent;
  }

  /** `sender`'s message `n` was acknowledged (its signal() resolved). */
  acknowledged(sender: string, n: number): void {
    const life = this.#life(sender);
    life.acked = Math.max(life.acked, n);
  }

  /** The incarnation ended with an explicit failure (1022, sessionDisconnected). */
  failed(name: string): void {
    this.#life(name).failed = true;
  }

  isFailed(name: string): boolean {
    return this.#lives.get(name)?.failed === true;
  }

  received(receiver: string, sender: string, n: number): void {
    const r = this.#lives.get(receiver);
    if (r === undefined || !this.#lives.has(sender)) {
      this.#note(`${receiver} received #${n} from ${sender}: unknown incarnation`);
      return;
    }
    let stream = r.streams.get(sender);
    if (stream === undefined) {
      stream = { highest: 0, lowest: Infinity, seen: new Set() };
      r.streams.set(sender, stream);
    }
    if (stream.seen.has(n)) {
      this.#duplicated++;
      this.#note(`${receiver} received #${n} from ${sender} again`);
    } else {
      stream.seen.add(n);
      this.#delivered++;
      if (n < stream.highest) {
        this.#reordered++;
        this.#note(`${receiver} received #${n} from ${sender} after #${stream.highest}`);
      }
      stream.highest = Math.max(stream.highest, n);
      stream.lowest = Math.min(stream.lowest, n);
    }
    for (const l of [...this.#listeners]) l();
  }

  /** Call `listener` after every arrival; returns the function that removes it. */
  onReceive(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Whether every required delivery has happened (so far). */
  complete(): boolean {
    return this.#tally(5).missing.length === 0;
  }

  /** The first few pairs still missing something ("b#1←a#1: 3 missing of 4..10"). */
  missing(limit = 5): string[] {
    return this.#tally(limit).missing;
  }

  counts(): IncarnationCounts {
    const { expected, lost } = this.#tally(0);
    let sent = 0;
    for (const life of this.#lives.values()) sent += life.sent;
    return {
      sent,
      expected,
      delivered: this.#delivered,
      lost,
      duplicated: this.#duplicated,
      reordered: this.#reordered,
    };
  }

  /**
   * The required range of one pair: [from, to] (empty when from > to). `accepted`: the highest
   * number of the sender any live receiver got (the bus accepted it, so every live one must).
   */
  #required(r: Life, senderName: string, s: Life, accepted: number): [number, number] {
    const stream = r.streams.get(senderName);
    const highest = stream?.highest ?? 0;
    const start = r.joinedAfter.get(senderName);
    const from = start === undefined ? 1 : Math.min(start + 1, stream?.lowest ?? Infinity);
    let to = s.failed ? Math.max(s.acked, accepted, highest) : s.sent;
    if (r.failed) to = Math.min(to, highest);
    return [from, to];
  }

  #tally(limit: number): { expected: number; lost: number; missing: string[] } {
    let expected = 0;
    let lost = 0;
    const missing: string[] = [];
    const accepted = new Map<string, number>();
    for (const r of this.#lives.values()) {
      if (r.failed) continue;
      for (const [sender, stream] of r.streams)
        accepted.set(sender, Math.max(accepted.get(sender) ?? 0, stream.highest));
    }
    for (const [receiver, r] of this.#lives) {
      for (const [senderName, s] of this.#lives) {
        const [from, to] = this.#required(r, senderName, s, accepted.get(senderName) ?? 0);
        if (from > to) continue;
        expected += to - from + 1;
        const seen = r.streams.get(senderName)?.seen;
        let absent = 0;
        for (let n = from; n <= to; n++) if (seen?.has(n) !== true) absent++;
        lost += absent;
        if (absent > 0 && missing.length < limit)
          missing.push(`${receiver}←${senderName}: ${absent} missing of ${from}..${to}`);
      }
    }
    return { expected, lost, missing };
  }

  #life(name: string): Life {
    const life = this.#lives.get(name);
    if (life === undefined) throw new Error(`unknown incarnation ${name}`);
    return life;
  }

  #note(line: string): void {
    if (this.anomalies.length < 20) this.anomalies.push(line);
  }
}
