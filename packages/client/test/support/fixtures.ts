/**
 * Shared fixtures: session IDs in OpenTok's layout, a manual clock with timers, a session factory.
 */
import { Session, type SessionDelegate, type SessionOptions, type Timers } from '@parley/client';

/** "1_" + base64url("1~{apiKey}~{location}~{createTime}~{random}~~"), like the server makes. */
export function makeSessionId(apiKey = '123456'): string {
  return `1_${Buffer.from(`1~${apiKey}~local~1700000000000~abc~~`).toString('base64url')}`;
}

export const API_KEY = '123456';
export const SESSION_ID = makeSessionId(API_KEY);

/** A clock and timers that move only when told to. */
export class ManualTime {
  now = 1_000_000;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  readonly clock = { now: (): number => this.now };
  readonly timers: Timers = {
    setTimeout: (fn, ms) => {
      const id = ++this.seq;
      this.pending.set(id, { at: this.now + ms, fn });
      return id;
    },
    clearTimeout: (handle) => {
      this.pending.delete(handle as number);
    },
  };

  /** Timers still scheduled. */
  get size(): number {
    return this.pending.size;
  }

  /** Move time forward, running due timers in order. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.pending)
        if (entry[1].at <= target && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (next === undefined) break;
      this.pending.delete(next[0]);
      this.now = Math.max(this.now, next[1].at);
      next[1].fn();
    }
    this.now = target;
  }
}

/** A session against `url` with fast retry timings for tests. */
export function makeSession(url: string, delegate?: SessionDelegate, options: SessionOptions = {}): Session {
  return new Session(API_KEY, SESSION_ID, delegate, {
    url,
    connectRetryDelays: [10, 20],
    openTimeout: 1000,
    disconnectTimeout: 500,
    pageLifecycle: false,
    ...options,
  });
}
