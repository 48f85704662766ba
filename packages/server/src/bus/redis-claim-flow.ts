/**
 * A resume's claim over the Redis bus, on both sides (docs/CLUSTER.md §The Redis bus): the
 * claimer's script call and what each answer means (the state parked in Redis, a dead node's
 * member rebuilt from the log, a live node's handover awaited), the claim's marker in the session's
 * order (the claimer holds the member's events from there, the old node releases it), and the
 * handover arriving on the node channel. The waiting claims are {@link PendingClaims}'s; the
 * rebuild is {@link ClaimRebuilder}'s.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { memberKey, PendingClaims } from './redis-claims.js';
import type { BusMessage, RedisFeed } from './redis-feed.js';
import type { RedisLink } from './redis-link.js';
import { ClaimRebuilder } from './redis-rebuild.js';
import type { BusListener, ClaimCallbacks, HandoffState, SessionEvent } from './session-bus.js';

/** What the claim flow uses of its bus. */
export interface ClaimFlowHost {
  readonly nodeId: string;
  readonly link: RedisLink;
  readonly feed: RedisFeed;
  readonly logger: Logger;
  /** Run one operation; `answer` runs at the operation's place in the session's order. */
  op(op: string, sessionId: string, args: readonly (string | number)[], answer: (reply: unknown[]) => void): void;
  /** The member is this node's and cannot be served: it leaves (networkDisconnected). */
  leave(sessionId: string, connectionId: string): void;
  listener(): BusListener | undefined;
  guard(fn: () => void): void;
}

/** The resume key is kept as a hash in the member record (the claim compares hashes). */
export function hashKey(resumeKey: string): string {
  return createHash('sha256').update(resumeKey).digest('base64url');
}

export class ClaimFlow {
  readonly #claims: PendingClaims;
  readonly #rebuilder: ClaimRebuilder;

  constructor(
    private readonly host: ClaimFlowHost,
    claimTimeoutMs: number,
    handoffWaitMs: number,
  ) {
    this.#claims = new PendingClaims(claimTimeoutMs, (fn) => {
      host.guard(fn);
    });
    this.#rebuilder = new ClaimRebuilder(
      host.link,
      this.#claims,
      handoffWaitMs,
      (sessionId, connectionId) => {
        host.leave(sessionId, connectionId);
      },
      host.logger,
    );
  }

  /** Claims answered by a rebuild, and claims on a dead node's member that could not be. */
  get rebuildCounts(): { readonly ok: number; readonly refused: number } {
    return this.#rebuilder.counts;
  }

  claim(sessionId: string, connectionId: string, resumeKey: string, callbacks: ClaimCallbacks): void {
    const host = this.host;
    const feed = host.feed;
    const key = memberKey(sessionId, connectionId);
    const started = this.#claims.start(key, callbacks, () => {
      // The old node never answered: the member is this node's now, and it cannot be served.
      host.leave(sessionId, connectionId);
    });
    if (!started) {
      callbacks.done(null);
      return;
    }
    const refused = (): void => {
      this.#claims.finish(key, null);
      feed.unfollowIfIdle(sessionId);
    };
    feed.follow(sessionId).then(() => {
      host.op('claim', sessionId, [connectionId, hashKey(resumeKey)], (reply) => {
        if (reply[0] === 'parked') {
          // moved() ran at the move; then the events kept for it, then its state.
          for (const text of reply.slice(3)) {
            host.listener()?.deliver(sessionId, JSON.parse(String(text)) as SessionEvent, null, connectionId);
          }
          this.#claims.finish(key, JSON.parse(String(reply[2])) as HandoffState | null);
        } else if (reply[0] === 'dead') {
          // Its node died: rebuild the connection from its checkpoint and the log up to the move.
          this.#rebuilder.rebuild(sessionId, connectionId, Number(reply[1]), true);
        } else if (reply[0] === 'moved') {
          // A live node hands the state over; one that does not answer soon is treated as dead.
          this.#rebuilder.awaitHandover(sessionId, connectionId, Number(reply[1]));
        } else if (reply[0] === 'lostclaim') {
          refused();
          host.leave(sessionId, connectionId);
        } else refused();
      });
    }, refused);
  }

  /** A claim's marker: the claimer holds the member's events from here; the old node releases it. */
  moved(sessionId: string, m: BusMessage, listener: BusListener): void {
    const { nodeId, feed } = this.host;
    const moved = m.m as { c: string; f: string };
    if (m.o === nodeId) {
      feed.local(sessionId)?.add(moved.c);
      this.#claims.moved(memberKey(sessionId, moved.c));
    }
    if (moved.f === nodeId) {
      feed.local(sessionId)?.delete(moved.c);
      const state = listener.release(sessionId, moved.c);
      this.host.op('handoff', sessionId, [m.o, moved.c, JSON.stringify(state)], () => undefined);
    }
  }

  /** The old node's handover, from the node channel (`key`: the member's memberKey). */
  handedOver(key: string, state: HandoffState | null): void {
    this.#rebuilder.handedOver(key, state);
  }

  /** Answer every waiting claim with null (Redis lost the members). */
  clear(): void {
    this.#claims.clear();
  }
}
