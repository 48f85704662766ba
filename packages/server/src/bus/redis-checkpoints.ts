/**
 * Checkpoints of a node's members for the Redis bus (docs/CLUSTER.md §Resume after a node death):
 * on a short timer, one script call per node writes, for each member whose position changed, the
 * client's acknowledged position, the log position of the message at it, the requests completed
 * and whether the others were told it is reconnecting (`s:SESSION:k`). Nothing per message: a
 * claim on another node rebuilds the connection from the checkpoint and the session's log
 * (op 'rebuild') when the member's node died. A checkpoint that is late is still exact, it only
 * needs more of the log.
 */
import type { RedisFeed } from './redis-feed.js';
import type { RedisLink } from './redis-link.js';
import type { BusListener } from './session-bus.js';
import { memberKey } from './redis-claims.js';

/** @default 250 ms between two checkpoint writes of a node */
export const DEFAULT_CHECKPOINT_EVERY_MS = 250;

export class RedisCheckpoints {
  /** memberKey → the checkpoint last written (so an unchanged member costs nothing). */
  #written = new Map<string, string>();
  #running = false;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly link: RedisLink,
    private readonly feed: RedisFeed,
    private readonly listener: () => BusListener | undefined,
    everyMs: number,
  ) {
    this.#timer = setInterval(() => {
      void this.tick();
    }, everyMs);
    this.#timer.unref();
  }

  /** Write the checkpoints that changed (one script call), unless the previous write still runs. */
  tick(): Promise<void> {
    const listener = this.listener();
    if (this.#running || !this.link.ready || listener?.checkpoint === undefined) return Promise.resolve();
    const written = new Map<string, string>();
    const args: string[] = [];
    for (const sessionId of this.feed.sessions()) {
      const local = this.feed.local(sessionId);
      if (local === undefined) continue;
      const position = this.feed.position(sessionId);
      for (const connectionId of local) {
        const key = memberKey(sessionId, connectionId);
        const c = listener.checkpoint(sessionId, connectionId, position);
        const before = this.#written.get(key);
        if (c === null) {
          if (before !== undefined) written.set(key, before);
          continue;
        }
        const text = `${c.acked}|${c.q}|${c.hp}|${c.announced ? 1 : 0}`;
        written.set(key, text);
        if (text !== before) args.push(sessionId, connectionId, text);
      }
    }
    this.#written = written;
    if (args.length === 0) return Promise.resolve();
    this.#running = true;
    return this.link
      .run('checkpoint', 0, args[0] as string, args.slice(1))
      .then(
        () => undefined,
        () => {
          // Not written (Redis away): write everything again next time.
          this.#written.clear();
        },
      )
      .finally(() => {
        this.#running = false;
      });
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
