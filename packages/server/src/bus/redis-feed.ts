/**
 * A node's subscriptions for the Redis bus: one channel per session this node has members in
 * (plus its own node channel), each session's messages applied strictly in the session's order.
 *
 * Every message carries its sequence number `q` and the session's previous one `p`, so a node
 * sees a gap (a message lost with a subscription, a reconnection) and fills it from the session's
 * log before it applies anything later; a gap the log no longer covers ends this node's members of
 * that session with an explicit failure instead of a silent hole. A node's own operation is
 * completed (its `done`) at its place in that order: the feed waits for the script's answer when
 * the message comes first (`stalled`), and the answer waits for the message otherwise.
 */
import type { Redis } from 'ioredis';
import type { DisconnectOrigin, SessionEvent } from './session-bus.js';

/** One message of a session channel (and of its log), as the script writes it. */
export interface BusMessage {
  /** Sequence number, and the session's previous one (0: the session began). */
  readonly q: number;
  readonly p: number;
  /** The node whose operation this is, and its operation number (0: housekeeping). */
  readonly o: string;
  readonly k: number;
  readonly e?: SessionEvent;
  /** except / to of the event. */
  readonly x?: string;
  readonly t?: string;
  /** A forced disconnect: the member, its node, who asked. */
  readonly d?: { readonly c: string; readonly n: string; readonly g: DisconnectOrigin };
  /** A claim moved a member: who, and from which node ('' from parked). */
  readonly m?: { readonly c: string; readonly f: string };
}

/** What the feed needs from its bus. */
export interface FeedHost {
  /** Apply one message, in the session's order. */
  apply(sessionId: string, message: BusMessage): void;
  /** This node's members of the session can no longer be served without a gap. */
  lost(sessionId: string, why: string): void;
  /** The session's last sequence numbers in Redis (through the link's queue). */
  lasts(sessionIds: readonly string[]): Promise<number[]>;
  /** One session's log after `after`, up to `upTo`. */
  log(sessionId: string, after: number, upTo: number): Promise<BusMessage[]>;
}

/** A session this node follows. */
interface Track {
  last: number;
  /** Messages wait here while the baseline is unknown, a gap is filled, or an answer is awaited. */
  readonly buffer: BusMessage[];
  waiting: boolean;
  stalled: number | null;
  /** This node's members, and its operations not yet answered. */
  readonly local: Set<string>;
  ops: number;
  /** What Redis had at the last check, if this node had not reached it. */
  behind: number;
  ready: Promise<void>;
}

export class RedisFeed {
  /** Session subscriptions found lost (stayed behind Redis for a whole check) and renewed. */
  lostSubscriptions = 0;
  /** Gaps filled from a session log (after a lost message, a reconnection or a lost subscription). */
  gapFills = 0;
  readonly #tracks = new Map<string, Track>();
  /** Answers that came before their message: k → complete. */
  readonly #replies = new Map<number, () => void>();
  /** Operations whose message must stall its session until their answer. */
  readonly #awaited = new Set<number>();

  constructor(
    readonly sub: Redis,
    private readonly channelPrefix: string,
    private readonly nodeId: string,
    private readonly host: FeedHost,
  ) {
    sub.on('message', (channel: string, text: string) => {
      if (!channel.startsWith(channelPrefix)) return;
      const sessionId = channel.slice(channelPrefix.length);
      const t = this.#tracks.get(sessionId);
      if (t !== undefined) this.#receive(sessionId, t, JSON.parse(text) as BusMessage);
    });
  }

  /** The sessions followed. */
  sessions(): IterableIterator<string> {
    return this.#tracks.keys();
  }

  /** The sequence number of the last message of the session this node has applied (0: none). */
  position(sessionId: string): number {
    return this.#tracks.get(sessionId)?.last ?? 0;
  }

  /** This node's members of a session (the bus keeps it); undefined when not followed. */
  local(sessionId: string): Set<string> | undefined {
    return this.#tracks.get(sessionId)?.local;
  }

  /**
   * Follow a session (subscribe, then learn where its order stands), before an operation that
   * brings a member here. Resolves when messages after the baseline will be applied.
   */
  follow(sessionId: string): Promise<void> {
    const existing = this.#tracks.get(sessionId);
    if (existing !== undefined) return existing.ready;
    const t: Track = {
      last: 0,
      buffer: [],
      waiting: true,
      stalled: null,
      local: new Set(),
      ops: 0,
      behind: 0,
      ready: Promise.resolve(),
    };
    this.#tracks.set(sessionId, t);
    t.ready = (async () => {
      try {
        await this.sub.subscribe(this.channelPrefix + sessionId);
        const [last] = await this.host.lasts([sessionId]);
        t.last = last ?? 0;
      } catch (err) {
        // (The epoch changed meanwhile: the caller's operation is refused and tried again.)
        if (this.#tracks.get(sessionId) === t) this.#tracks.delete(sessionId);
        throw err;
      }
      t.waiting = false;
      this.#drain(sessionId, t);
    })();
    return t.ready;
  }

  /** Stop following a session nobody here needs any more. */
  unfollowIfIdle(sessionId: string): void {
    const t = this.#tracks.get(sessionId);
    if (t === undefined || t.local.size > 0 || t.ops > 0 || t.waiting || t.stalled !== null) return;
    this.#tracks.delete(sessionId);
    this.sub.unsubscribe(this.channelPrefix + sessionId).catch(() => undefined);
  }

  /** An operation of this node for the session is on its way (its message must wait for its answer). */
  expect(sessionId: string, k: number): void {
    const t = this.#tracks.get(sessionId);
    if (t === undefined) return;
    t.ops++;
    this.#awaited.add(k);
  }

  /**
   * The script answered operation k (its message has sequence number `seq`, 0 for none): run
   * `complete` at the message's place in the session's order.
   */
  answer(sessionId: string, k: number, seq: number, complete: () => void): void {
    const t = this.#tracks.get(sessionId);
    const expected = this.#awaited.delete(k);
    if (t !== undefined && expected) t.ops--;
    if (t === undefined || seq === 0 || t.last >= seq || !expected) {
      complete();
      if (t !== undefined && t.stalled === k) {
        t.stalled = null;
        this.#drain(sessionId, t);
      }
      return;
    }
    this.#replies.set(k, complete);
  }

  /**
   * Catch up every session with Redis: after a reconnection (`force`), or on the periodic check,
   * where a session that stayed behind what Redis had one check earlier is repaired (its
   * subscription is renewed and the gap filled).
   */
  async check(force: boolean): Promise<void> {
    const ids = [...this.#tracks.keys()];
    if (ids.length === 0) return;
    // What this node had applied before asking: newer messages may overtake the answer.
    const seen = ids.map((id) => this.#tracks.get(id)?.last ?? 0);
    const lasts = await this.host.lasts(ids);
    ids.forEach((sessionId, i) => {
      const t = this.#tracks.get(sessionId);
      const inRedis = lasts[i] ?? 0;
      if (t === undefined || t.waiting) return;
      if (inRedis < (seen[i] ?? 0) && inRedis !== 0) {
        // Redis went back in time (restarted from an older dump): what was after is gone.
        this.host.lost(sessionId, 'the Redis bus lost part of the session (Redis restarted)');
        t.last = inRedis;
        return;
      }
      const stale = t.behind > t.last && t.stalled === null;
      t.behind = inRedis > t.last ? inRedis : 0;
      if (inRedis > t.last && (force || stale)) {
        if (!force) {
          this.lostSubscriptions++;
          this.sub.subscribe(this.channelPrefix + sessionId).catch(() => undefined);
        }
        void this.#fill(sessionId, t, inRedis);
      }
    });
  }

  /** Forget everything (Redis lost its data: the caller has ended this node's members). */
  clear(): void {
    for (const sessionId of this.#tracks.keys())
      this.sub.unsubscribe(this.channelPrefix + sessionId).catch(() => undefined);
    this.#tracks.clear();
    this.#replies.clear();
    this.#awaited.clear();
  }

  /** Test hook: lose a session's subscription silently, as a broken subscription would. */
  dropSubscription(sessionId: string): Promise<unknown> {
    return this.sub.unsubscribe(this.channelPrefix + sessionId);
  }

  #receive(sessionId: string, t: Track, m: BusMessage): void {
    if (t.waiting || t.stalled !== null) {
      t.buffer.push(m);
      return;
    }
    if (m.q <= t.last) return;
    if (m.p !== t.last && m.p !== 0) {
      // A gap: fill it from the log first; this message waits with the others.
      t.buffer.push(m);
      void this.#fill(sessionId, t, m.q);
      return;
    }
    this.#apply(sessionId, t, m);
  }

  #apply(sessionId: string, t: Track, m: BusMessage): void {
    t.last = m.q;
    this.host.apply(sessionId, m);
    if (m.o !== this.nodeId || m.k === 0) return;
    const complete = this.#replies.get(m.k);
    if (complete !== undefined) {
      this.#replies.delete(m.k);
      complete();
    } else if (this.#awaited.has(m.k)) t.stalled = m.k;
  }

  /** Apply what waited, in order, until something makes the session wait again. */
  #drain(sessionId: string, t: Track): void {
    while (t.buffer.length > 0 && !t.waiting && t.stalled === null) {
      const m = t.buffer.shift() as BusMessage;
      this.#receive(sessionId, t, m);
    }
  }

  async #fill(sessionId: string, t: Track, upTo: number): Promise<void> {
    if (t.waiting) return;
    t.waiting = true;
    this.gapFills++;
    try {
      const entries = await this.host.log(sessionId, t.last, upTo);
      let reached = t.last;
      for (const m of entries) {
        if (m.q <= reached) continue;
        if (m.p !== reached && m.p !== 0) this.host.lost(sessionId, 'the session log no longer covers a gap');
        reached = m.q;
        this.#applyOrBuffer(sessionId, t, m);
      }
      if (reached < upTo) {
        this.host.lost(sessionId, 'the session log no longer covers a gap');
        t.last = upTo;
      }
    } catch {
      // Redis is unreachable: the next reconnection's check fills it.
    } finally {
      t.waiting = false;
      this.#drain(sessionId, t);
    }
  }

  /** During a fill: apply, unless an answer is awaited (then keep the order in the buffer). */
  #applyOrBuffer(sessionId: string, t: Track, m: BusMessage): void {
    if (t.stalled !== null) {
      const at = t.buffer.findIndex((b) => b.q > m.q);
      t.buffer.splice(at < 0 ? t.buffer.length : at, 0, m);
    } else this.#apply(sessionId, t, m);
  }
}
