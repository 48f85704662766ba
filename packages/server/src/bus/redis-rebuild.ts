/**
 * The claimer's side of a resume after a node death over the Redis bus (docs/CLUSTER.md §Resume
 * after a node death): a claim whose old node is dead, does not hand over within
 * `handoffWaitMs`, or hands over nothing, is answered by op 'rebuild' (the member's identity,
 * checkpoint and logged messages up to the move), which the endpoint turns back into the
 * connection (core/rebuild.ts), or refuses.
 */
import type { Logger } from '../log/logger.js';
import { memberKey, type PendingClaims } from './redis-claims.js';
import type { RedisLink } from './redis-link.js';
import type { HandoffState, LoggedEvent, MemberCheckpoint, RebuildState } from './session-bus.js';

export class ClaimRebuilder {
  /** Claims answered by a rebuild, and claims on a dead node's member that could not be. */
  readonly counts = { ok: 0, refused: 0 };
  /** Claims waiting for a live node's handover: memberKey → the move's sequence number. */
  readonly #moves = new Map<string, number>();

  constructor(
    private readonly link: RedisLink,
    private readonly claims: PendingClaims,
    private readonly handoffWaitMs: number,
    /** The member is this node's and cannot be served: it leaves (networkDisconnected). */
    private readonly leave: (sessionId: string, connectionId: string) => void,
    private readonly logger: Logger,
  ) {}

  /** The move is done and the old node lives: wait for its handover, then rebuild. */
  awaitHandover(sessionId: string, connectionId: string, seq: number): void {
    const key = memberKey(sessionId, connectionId);
    this.#moves.set(key, seq);
    setTimeout(() => {
      this.#moves.delete(key);
      if (this.claims.waiting(key)) this.rebuild(sessionId, connectionId, seq, false);
    }, this.handoffWaitMs).unref();
  }

  /** A handover arrived on the node channel: the state, or null (rebuild it from the log then). */
  handedOver(key: string, state: HandoffState | null): void {
    const seq = this.#moves.get(key);
    this.#moves.delete(key);
    if (state === null && seq !== undefined && this.claims.waiting(key)) {
      const [sessionId, connectionId] = key.split('\t') as [string, string];
      this.rebuild(sessionId, connectionId, seq, true);
    } else this.claims.finish(key, state);
  }

  /**
   * Read what rebuilding a member needs (up to the move `upTo`) and answer its claim with it.
   * When the log no longer covers the checkpoint, a claim on a dead node's member ends with an
   * explicit failure; one on a live node's member goes on waiting for the handover.
   */
  rebuild(sessionId: string, connectionId: string, upTo: number, dead: boolean): void {
    const key = memberKey(sessionId, connectionId);
    this.link.run('rebuild', 0, sessionId, [connectionId, upTo]).then(
      (reply) => {
        if (reply[0] === 'ok') {
          this.counts.ok++;
          this.claims.finish(key, rebuildState(reply));
        } else if (dead && this.claims.finish(key, null)) {
          this.counts.refused++;
          this.logger.info({ sessionId, connectionId }, "Redis bus: a dead node's member cannot be rebuilt");
          this.leave(sessionId, connectionId);
        }
      },
      () => undefined,
    );
  }
}

/** The script's answer to 'rebuild': 'ok', the checkpoint, the identity, the logged messages. */
function rebuildState(reply: unknown[]): RebuildState {
  const [acked, q, hp, announced] = String(reply[1]).split('|').map(Number) as [number, number, number, number];
  const checkpoint: MemberCheckpoint = { acked, q, hp, announced: announced === 1 };
  return {
    rebuild: true,
    checkpoint,
    identity: JSON.parse(String(reply[2])) as HandoffState,
    entries: reply.slice(3).map((text) => JSON.parse(String(text)) as LoggedEvent),
  };
}
