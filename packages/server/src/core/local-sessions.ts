/**
 * This node's sessions as the endpoint sees them: each session's local members in join order, the
 * connections still joining, and the session's signal budget (per node: a cluster bus would hold
 * one for the session). The endpoint (parley-endpoint.ts) decides who enters and leaves; this
 * makes a joiner's connection from its grant, keeps the maps, and drops a session once nobody of
 * it is left here.
 */
import type { MediaMode, SessionSignalBudget } from '@parley/protocol';
import type { ServerClock } from './clock.js';
import { Connection } from './connection.js';
import type { JoinGrant } from './endpoint.js';
import { newConnectionId, newResumeKey } from './ids.js';
import { SessionBudget } from './token-bucket.js';

/** This node's members of one session in join order, and its connections still joining. */
export class LocalSession extends Map<string, Connection> {
  joining = 0;
  /** Set by the first join: whether the media router serves this session. */
  routed = false;
  constructor(readonly budget: SessionBudget) {
    super();
  }
}

export class LocalSessions {
  readonly #sessions = new Map<string, LocalSession>();

  constructor(
    private readonly signals: Readonly<SessionSignalBudget>,
    private readonly clock: ServerClock,
  ) {}

  get size(): number {
    return this.#sessions.size;
  }

  get(sessionId: string): LocalSession | undefined {
    return this.#sessions.get(sessionId);
  }

  /** A member of this node, or undefined. */
  member(sessionId: string, connectionId: string): Connection | undefined {
    return this.#sessions.get(sessionId)?.get(connectionId);
  }

  /** The session, made (with a fresh budget) on first use. */
  open(sessionId: string): LocalSession {
    let session = this.#sessions.get(sessionId);
    if (session === undefined) {
      const { burst, byteBurst } = this.signals;
      session = new LocalSession(new SessionBudget(burst, byteBurst, this.clock.now()));
      this.#sessions.set(sessionId, session);
    }
    return session;
  }

  /**
   * A new connection for a join the gateway granted, still joining (counted as such in its
   * session); the session's first joiner decides whether the session is routed.
   */
  admit(
    grant: JoinGrant,
    burst: number,
    byteBurst: number,
    at: { readonly now: number; readonly canRoute: boolean },
  ): { readonly c: Connection; readonly session: LocalSession } {
    const session = this.open(grant.sessionId);
    const c = new Connection(
      newConnectionId(),
      grant.sessionId,
      grant.apiKey,
      at.now,
      grant.data,
      grant.role,
      newResumeKey(),
      session.budget,
      burst,
      byteBurst,
    );
    if (grant.caps !== undefined) c.wireCaps = grant.caps;
    c.token = grant.token;
    c.ip = grant.ip ?? '';
    // Routed only when a forwarder is configured: without one, media goes between the clients.
    const mode: MediaMode = grant.mediaMode === 'routed' && at.canRoute ? 'routed' : 'relayed';
    c.mediaMode = mode;
    if (session.size === 0 && session.joining === 0) session.routed = mode === 'routed';
    session.joining++;
    return { c, session };
  }

  /** Take a member out of its session (the session goes once empty). */
  remove(c: Connection): void {
    const session = this.#sessions.get(c.sessionId);
    if (session === undefined) return;
    session.delete(c.id);
    this.forgetIfEmpty(c.sessionId, session);
  }

  forgetIfEmpty(sessionId: string, session: LocalSession): void {
    if (session.size === 0 && session.joining === 0 && this.#sessions.get(sessionId) === session)
      this.#sessions.delete(sessionId);
  }
}
