/**
 * A node's lease in Redis and the cluster's housekeeping, on one timer:
 * - renew this node's lease (`nodes`: node → deadline, Redis time), so the others know it lives;
 * - reap: remove the members of nodes whose lease ended (one reaper per dead node, SET NX) and
 *   parked members whose window ended; only after this node has itself been connected for a whole
 *   lease, so a Redis outage (when nobody could renew) never makes live nodes look dead;
 * - check that every followed session's subscription keeps up with Redis (RedisFeed.check), and
 *   that the node channel still receives (a ping to itself), renewing a subscription that does not.
 */
import type { Redis } from 'ioredis';
import type { RedisFeed } from './redis-feed.js';
import type { RedisLink } from './redis-link.js';

/** The lease's timings (tests use short ones). */
export interface LeaseTimings {
  /** How long a lease lasts without renewal: a dead node is noticed within this plus one renewal. @default 10000 */
  readonly leaseTtlMs: number;
  /** How often the lease is renewed (and the housekeeping runs). @default 2000 */
  readonly renewEveryMs: number;
}

export const DEFAULT_LEASE_TIMINGS: LeaseTimings = { leaseTtlMs: 10_000, renewEveryMs: 2_000 };

export class RedisLease {
  readonly #timings: LeaseTimings;
  readonly #timer: NodeJS.Timeout;
  #connectedAt: number | null = null;
  #registered = false;
  #ping = 0;
  #pong = 0;
  #running = false;
  #checking = false;
  /** The last lease renewal's round trip (seconds; NaN before the first). */
  roundTripSeconds = Number.NaN;
  /** Node-channel subscriptions found lost (pings unanswered) and renewed. */
  lostNodeChannel = 0;

  constructor(
    private readonly link: RedisLink,
    private readonly feed: RedisFeed,
    private readonly sub: Redis,
    private readonly nodeChannel: string,
    timings: Partial<LeaseTimings>,
    private readonly events: { gone(): void },
  ) {
    this.#timings = { ...DEFAULT_LEASE_TIMINGS, ...pick(timings) };
    this.#timer = setInterval(() => {
      void this.#tick();
    }, this.#timings.renewEveryMs);
    this.#timer.unref();
  }

  /** The link is (again) connected: renew now; reaping waits a whole lease. */
  connected(): void {
    this.#connectedAt = Date.now();
    void this.#tick();
  }

  disconnected(): void {
    this.#connectedAt = null;
  }

  /** Redis forgot this node: the next renewal registers it afresh. */
  forget(): void {
    this.#registered = false;
  }

  pong(n: number): void {
    this.#pong = Math.max(this.#pong, n);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #tick(): Promise<void> {
    if (this.#running || !this.link.ready) return;
    this.#running = true;
    try {
      const sent = performance.now();
      const renewed = await this.link.direct('renew', [this.#timings.leaseTtlMs, this.#registered ? '1' : '0']);
      this.roundTripSeconds = (performance.now() - sent) / 1000;
      if (renewed[0] === 'gone') {
        this.#registered = false;
        this.events.gone();
      } else if (renewed[0] === 'ok') this.#registered = true;
      const since = this.#connectedAt;
      if (since !== null && Date.now() - since >= this.#timings.leaseTtlMs) await this.link.direct('reap', []);
      this.#checkNodeChannel();
      if (!this.#checking) {
        // Through the queue (after this node's operations): never holds up the next renewal.
        this.#checking = true;
        void this.feed
          .check(false)
          .catch(() => undefined)
          .finally(() => {
            this.#checking = false;
          });
      }
    } catch {
      // Redis unreachable: the link reports it; the next tick tries again.
    } finally {
      this.#running = false;
    }
  }

  /** Three pings unanswered while connected: the subscription connection is renewed. */
  #checkNodeChannel(): void {
    if (this.#ping - this.#pong >= 3 && this.sub.status === 'ready') {
      this.#pong = this.#ping;
      this.lostNodeChannel++;
      this.sub.disconnect(true);
    }
    this.#ping++;
    this.link.redis.publish(this.nodeChannel, JSON.stringify({ ping: this.#ping })).catch(() => undefined);
  }
}

function pick(t: Partial<LeaseTimings>): Partial<LeaseTimings> {
  const out: { leaseTtlMs?: number; renewEveryMs?: number } = {};
  if (t.leaseTtlMs !== undefined) out.leaseTtlMs = t.leaseTtlMs;
  if (t.renewEveryMs !== undefined) out.renewEveryMs = t.renewEveryMs;
  return out;
}
