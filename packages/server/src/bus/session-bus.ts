/**
 * The session bus: membership, rosters, fan-out, directed delivery and the server-side
 * operations of every session, shared by the node-local endpoints (ARCHITECTURE.md §The server).
 * It speaks domain events, never wire strings: each endpoint encodes an event once for its own
 * protocol and writes it to its own members.
 *
 * The contract every implementation keeps (docs/RELIABILITY.md §Ordering across nodes):
 * - one order per session: every operation of a session is accepted in one sequence, and each
 *   listener receives that session's events in it;
 * - a join is answered (`done` with the roster of the members accepted before it) before its
 *   listener receives any event accepted after it, and never one accepted before it;
 * - nothing from a connection (a signal, an announcement) is accepted after its leave;
 * - a `done` callback runs once; {@link InMemoryBus} runs it before returning (the fast path),
 *   a cluster bus later (the endpoint's request pipeline handles both).
 */
import type { MetricFamily } from '../metrics/metric-family.js';
import type {
  ConnectionInfo,
  DisconnectReason,
  JsonValue,
  SessionErrorCode,
  SessionSignalBudget,
  StreamInfo,
} from '@parley/protocol';
import type { StreamEvent, StreamOp, StreamOpResult } from './stream-ops.js';
import type { ForwarderChannel } from '../media/cluster-router.js';

export type { StreamEvent, StreamOp, StreamOpResult, StreamView, StreamOpError } from './stream-ops.js';

/** A signal, from a connection or from the server (`from: null`); `type` never ''. */
export interface SignalEvent {
  readonly kind: 'signal';
  readonly from: string | null;
  readonly type?: string | undefined;
  readonly data?: string | undefined;
  /**
   * The sender's request number (optional, never written to the wire): a cluster bus logs it so
   * another node can rebuild the sender's `ack` after its node died (core/rebuild.ts).
   */
  readonly r?: number;
}

/**
 * A request's own answer to one member (`nack` / `reply`, sequenced on the wire). A bus with
 * {@link SessionBus.direct} orders it in the session's log like any event, so everything a
 * member receives can be rebuilt from the log.
 */
export type DirectEvent =
  | {
      readonly kind: 'nack';
      readonly r: number;
      readonly code: SessionErrorCode;
      readonly message: string;
    }
  | { readonly kind: 'reply'; readonly r: number; readonly data: JsonValue };

/** What a member of a session can be told (the stream kinds: bus/stream-ops.ts). */
export type SessionEvent =
  | StreamEvent
  | { readonly kind: 'connectionCreated'; readonly connection: ConnectionInfo }
  | { readonly kind: 'connectionDestroyed'; readonly connectionId: string; readonly reason: DisconnectReason }
  | { readonly kind: 'connectionReconnecting'; readonly connectionId: string }
  | { readonly kind: 'connectionReconnected'; readonly connectionId: string }
  | DirectEvent
  | SignalEvent;

/**
 * `over-budget`: only from a bus that keeps the session's signal budget ({@link SessionBus.sessionBudget})
 * and was given a {@link SignalCharge}; the signal went to nobody.
 */
export type OpResult = 'ok' | 'session-not-found' | 'connection-not-found' | 'over-budget';

/** What one signal costs against the session's budget, for a bus that keeps it (the cost and the budget in force). */
export interface SignalCharge {
  /** The signal's encoded size in UTF-8 bytes (PROTOCOL.md §Flow control). */
  readonly bytes: number;
  readonly budget: Readonly<SessionSignalBudget>;
}

/** The answer to a join: the members accepted before it (oldest first), or the session was full. */
export type JoinResult = readonly ConnectionInfo[] | 'full';

/**
 * Who asked for a disconnect (it picks the close reason the disconnected client reads):
 * the REST API, a moderator, or a token revocation.
 */
export type DisconnectOrigin = 'server' | 'moderator' | 'revoked';

/** What the bus calls on a node's endpoint. */
export interface BusListener {
  /**
   * Deliver one event to this endpoint's members of the session: every one but `except` when
   * `to` is null, else only `to`. The endpoint encodes it once for all of them. `q`: the event's
   * position in the session's log, when the bus keeps one (a cluster bus; used for checkpoints).
   */
  deliver(sessionId: string, event: SessionEvent, except: string | null, to: string | null, q?: number): void;
  /**
   * End one of this endpoint's connections: the bus has already removed it from the session and
   * told the others `connectionDestroyed` (forceDisconnected).
   */
  disconnect(sessionId: string, connectionId: string, origin: DisconnectOrigin): void;
  /**
   * Hand one of this endpoint's connections over to another node (its client resumed there):
   * return its state as plain data and forget it without leaving the session, or return null
   * (and end it) when it cannot move. Every event the bus ordered before the move is in the state.
   */
  release(sessionId: string, connectionId: string): HandoffState | null;
  /**
   * Optional: the bus can no longer serve one of this endpoint's members without a gap (a cluster
   * bus whose Redis lost its data): end it with an explicit failure, as a connection the server no
   * longer knows (the client reports 1022, then disconnects). The bus has forgotten it already.
   */
  lost?(sessionId: string, connectionId: string, why: string): void;
  /**
   * Optional (a cluster bus that can rebuild a connection whose node died): what is needed to
   * rebuild one of this endpoint's connections, as plain data, at its join (null: unknown).
   */
  identity?(sessionId: string, connectionId: string): HandoffState | null;
  /**
   * Optional: where one of this endpoint's connections stands now, or null when no exact
   * checkpoint can be taken at this moment (requests in flight, position unknown). `position`:
   * the last session message this node has delivered (a client that acknowledged everything is
   * checkpointed there, so an idle member's checkpoint never falls behind the log).
   */
  checkpoint?(sessionId: string, connectionId: string, position: number): MemberCheckpoint | null;
}

/**
 * A member's position, kept where every node reaches it (a cluster bus): the client acknowledged
 * `acked`, the message at that position has log position `q` (every message after it is a logged
 * event routed to the member), every request up to `hp` is complete and no later one was sent to
 * the bus before the checkpoint; `announced`: the others were told connectionReconnecting.
 */
export interface MemberCheckpoint {
  readonly acked: number;
  readonly q: number;
  readonly hp: number;
  readonly announced: boolean;
}

/** One logged message of the session, as a rebuild reads it (core/rebuild.ts). */
export interface LoggedEvent {
  readonly q: number;
  readonly e?: SessionEvent;
  readonly x?: string;
  readonly t?: string;
  /** A moderator's forceDisconnect request: who asked, and its request number. */
  readonly b?: { readonly c: string; readonly r: number };
}

/**
 * What a claim returns when the member's node died (or did not answer in time): the member's
 * identity ({@link BusListener.identity}), its last checkpoint and every logged message after it up
 * to the move, from which the endpoint rebuilds the connection exactly, or refuses (4010).
 */
export interface RebuildState {
  readonly rebuild: true;
  readonly identity: HandoffState;
  readonly checkpoint: MemberCheckpoint;
  readonly entries: readonly LoggedEvent[];
}

/** A client's request an operation completes: its connection and request number `s`. */
export interface Requester {
  readonly connectionId: string;
  readonly s: number;
}

/** A connection's state in transit between two endpoints of the same protocol: plain data. */
export type HandoffState = Readonly<Record<string, unknown>>;

/** The two steps of a claim: the bus moved the member here, then the state arrived (or not). */
export interface ClaimCallbacks {
  /** From here on, this node's listener receives the member's events (hold them for it). */
  moved(): void;
  /**
   * The state of the connection, or null: no such member, wrong key, or it could not move. A
   * {@link RebuildState} when the old node died (it has `rebuild: true`).
   */
  done(state: HandoffState | RebuildState | null): void;
}

/**
 * One node's handle on the bus. {@link InMemoryBus} is the embedded default; a cluster bus
 * (Redis) gives each node its own handle on the shared state.
 * @example
 * bus.listen(endpoint);
 * bus.join(sessionId, info, 2000, (roster) => { if (roster !== 'full') welcome(roster); });
 */
export interface SessionBus {
  /** Register the endpoint that receives this node's events (one per node and protocol). */
  listen(listener: BusListener): void;
  /**
   * Add a member (refused when the session already holds `maxMembers`); the others get
   * connectionCreated. The bus keeps `resumeKey` to check a claim from another node. `done` also
   * gets the session's streams at that point, oldest first (a bus without streams passes none).
   */
  join(
    sessionId: string,
    connection: ConnectionInfo,
    resumeKey: string,
    maxMembers: number,
    done: (result: JoinResult, streams?: readonly StreamInfo[]) => void,
  ): void;
  /**
   * Remove a member; the others get connectionDestroyed with `reason`, or nothing when it is null.
   * Its streams end first (streamDestroyed with the same reason) and its subscriptions with them.
   */
  leave(sessionId: string, connectionId: string, reason: DisconnectReason | null): void;
  /** Tell every member but `except` (connectionReconnecting / connectionReconnected). */
  announce(sessionId: string, event: SessionEvent, except: string | null): void;
  /**
   * Optional: true when the bus keeps each session's signal budget itself, cluster-wide (the Redis
   * bus: one pair of token buckets per session in Redis). The endpoint then passes a
   * {@link SignalCharge} with each client signal instead of charging its own per-node buckets,
   * and the bus answers `over-budget` when the session's budget cannot pay it. Absent: the
   * endpoint counts the session budget on its node (the in-memory bus: no cost added).
   */
  readonly sessionBudget?: boolean;
  /**
   * A signal to every member (`to` null, the sender's echo included) or to one member.
   * `connection-not-found` when `to` (or the sender) is not a member. With `charge` (only given
   * to a bus whose {@link sessionBudget} is true), it is first checked against the session's
   * budget, after the membership checks, atomically with the signal; `over-budget` if refused.
   */
  signal(
    sessionId: string,
    event: SignalEvent,
    to: string | null,
    done: (result: OpResult) => void,
    charge?: SignalCharge,
  ): void;
  /**
   * Optional: a request's answer (`nack` / `reply`) to one of this node's members, ordered in the
   * session like any event and delivered back through BusListener.deliver before `done`. A bus
   * without it (the in-memory bus) lets the endpoint write it directly.
   */
  direct?(sessionId: string, to: string, event: DirectEvent, done: (result: OpResult) => void): void;
  /**
   * Move a member to this node (its client resumed here): checked against the join's resume
   * key; the node that held it releases its state (BusListener.release).
   */
  claim(sessionId: string, connectionId: string, resumeKey: string, callbacks: ClaimCallbacks): void;
  /**
   * This node is going away (drain 4016) but the member is not: keep it, its state and its events
   * for a claim from another node; it leaves (networkDisconnected) if none comes within
   * `windowMs`. A bus with one node has nobody to hand it to: the member just leaves, silently.
   */
  park(sessionId: string, connectionId: string, state: HandoffState, windowMs: number): void;
  /**
   * A stream operation (bus/stream-ops.ts: publish, unpublish, update, subscribe, media, force
   * mute, layout classes, list), applied in the session's one order; its events are delivered
   * before `done` runs. `by`: the client request it completes; a cluster bus logs its number with
   * the operation (core/rebuild.ts), so a rebuilt connection knows it was done.
   */
  stream(sessionId: string, op: StreamOp, done: (result: StreamOpResult) => void, by?: Requester): void;
  /** Remove a member and tell the others (its streams end first, forceDisconnected); its node ends its transport. */
  forceDisconnect(
    sessionId: string,
    connectionId: string,
    origin: DisconnectOrigin,
    done: (result: OpResult) => void,
    /** A client's request (a moderator): a cluster bus logs its request number (core/rebuild.ts). */
    by?: Requester,
  ): void;
  /**
   * Whether this bus can serve new connections now, for `/readyz` (optional: a bus without it is
   * always ready). A bus over a shared service (Redis) answers `{ ready: false, reason }` while it
   * cannot reach it; the server then answers 503 with the reason, so an orchestrator or a load
   * balancer stops sending new clients here. Called on every probe: answer from state already
   * held, without I/O.
   */
  health?(): BusHealth;
  /**
   * Optional, for a cluster bus: where a routed session's forwarder lives and the way to call it
   * (media/cluster-router.ts). Without it every node forwards its own sessions' media.
   */
  forwarderChannel?(): ForwarderChannel;
  /**
   * Metrics of the bus (round trips, lost subscriptions…), read on every scrape of `/metrics`
   * (optional). See ../metrics/metric-family.ts.
   */
  metricFamilies?(): readonly MetricFamily[];
}

/** What {@link SessionBus.health} answers. */
export interface BusHealth {
  readonly ready: boolean;
  /** Why not ready, for the 503 body and the log (e.g. 'redis unreachable'). */
  readonly reason?: string;
}
