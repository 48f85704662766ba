/**
 * The Parley protocol's node-local endpoint: this node's sockets, the codec, per-connection
 * sequencing, ack, replay, one write batch per socket per tick, liveness (one sweep timer) and
 * flow control. Who is in a session, and who gets what, is the session bus's
 * (../bus/session-bus.ts): the endpoint asks the bus to join, leave, announce and signal, and the
 * bus calls {@link BusListener.deliver} with domain events, which the endpoint encodes once per
 * event and writes to its own members of that session.
 *
 * Join (the gateway has already checked the token):
 * ```
 *  client A            gateway         endpoint                bus                  others
 *    | GET /v1/ws?token  |                |                      |                      |
 *    |<-- 101 -----------| join(ws) ----->| join(info, max) ---->| full? roster         |
 *    |<---------------------- welcome ----|<-- done(roster) -----|                      |
 *    |                   |                |                      |-- connectionCreated ->| (sequenced)
 *    |-- signal{s:1} -------------------->|-- signal ----------->| one order per session |
 *    |<-- signal (echo), ack{a:1} --------|<-- deliver, done ----|-- signal ------------>|
 * ```
 * Resume (transport dropped; sequenced messages kept being held meanwhile), on this node:
 * ```
 *  client A                               endpoint                     bus / others
 *    |  x socket closes / heartbeat timeout | detach: gen g              |
 *    |                                      |-- connectionReconnecting ->|
 *    |                                      |   expiry timer (g, reconnectWindow)
 *    | GET /v1/ws?resume=id&key=K&ack=n --->| key ok? n in [acked, sent]? (else 4010)
 *    |<-- resumed {ack, next: n+1}, held messages n+1 .. sent, in order   |
 *    |                                      |-- connectionReconnected -->|
 * ```
 */
import {
  CloseCode,
  decodeClientFrame,
  DEFAULT_MAX_UNSENT_BYTES,
  DEFAULT_SESSION_SIGNAL_BUDGET,
  DEFAULT_SIGNAL_BYTE_RATE,
  DEFAULT_SIGNAL_RATE,
  encodeMessage,
  ProtocolError,
  type ByteRate,
  type DisconnectReason,
  type IceServerInfo,
  type MediaMode,
  type StreamInfo,
  type RateLimit,
  type ReplayBounds,
  type ResumeParams,
  type SessionSignalBudget,
  type SessionTimings,
} from '@parley/protocol';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RawData, WebSocket } from 'ws';
import type {
  BusListener,
  DisconnectOrigin,
  HandoffState,
  JoinResult,
  MemberCheckpoint,
  RebuildState,
  SessionBus,
  SessionEvent,
} from '../bus/session-bus.js';
import { systemClock, type ServerClock } from './clock.js';
import { Connection } from './connection.js';
import { ConnectionWriter } from './connection-writer.js';
import { drainReason, type DrainCode } from './drain.js';
import type { Endpoint, JoinGrant } from './endpoint.js';
import { exportConnection, importConnection } from './handoff.js';
import { newConnectionId, newResumeKey } from './ids.js';
import { connectionCheckpoint, connectionIdentity, isRebuild, rebuildConnection } from './rebuild.js';
import { RequestHandler, type EndpointActions } from './request-handler.js';
import { resumeRefusal } from './resume-check.js';
import { logSafe } from '../log-safe.js';
import { ServerCounters, type EndpointGauges } from '../metrics/server-counters.js';
import { SILENT_LOGGER, type Logger } from '../log/logger.js';
import { REVOKED_REASON, revocationMatches, type Revocation } from '../tokens/revocation.js';
import { SocketCloser } from './socket-closer.js';
import { SessionBudget } from './token-bucket.js';
import { encodeWelcome } from './welcome.js';
import { isStreamEvent, WireEncoder } from './wire-events.js';
import type { MediaRouter, MediaRouterFactory } from '../media/router-hook.js';
import { ClusterMediaRouter } from '../media/cluster-router.js';

/** How long a drain waits for requests already at the bus before it parks their connections (#settle). */
const SETTLE_MS = 2_000;
const SETTLE_POLL_MS = 5;

/** Frames a client may send before its join is answered (a client waits for `welcome`). */
const MAX_EARLY_FRAMES = 16;

/** The close reason a force-disconnected client reads, by who asked. */
const DISCONNECT_WHY: Readonly<Record<DisconnectOrigin, string>> = {
  server: 'disconnected by the server',
  moderator: 'disconnected by a moderator',
  revoked: REVOKED_REASON,
};

/** How long a closing socket gets to finish the close handshake before it is terminated. */
const CLOSE_GRACE_MS = 2000;

export interface ParleyEndpointOptions {
  readonly bus: SessionBus;
  readonly timings: Readonly<SessionTimings>;
  readonly replay: Readonly<ReplayBounds>;
  readonly signalRate?: Readonly<RateLimit>;
  /** @default DEFAULT_SIGNAL_BYTE_RATE */
  readonly signalBytes?: Readonly<ByteRate>;
  /** @default DEFAULT_SESSION_SIGNAL_BUDGET (counted per node) */
  readonly sessionSignals?: Readonly<SessionSignalBudget>;
  /** @default DEFAULT_MAX_UNSENT_BYTES */
  readonly maxUnsentBytes?: number;
  readonly maxConnectionsPerSession: number;
  /** @default a logger that writes nothing */
  readonly logger?: Logger;
  /** @default systemClock */
  readonly clock?: ServerClock;
  /** Where the metrics are counted. @default a new ServerCounters */
  readonly counters?: ServerCounters;
  /** STUN/TURN servers every client is given in `welcome` (capability `streams`). @default [] */
  readonly iceServers?: readonly IceServerInfo[];
  /** Builds the forwarder of routed sessions; without one, every session carries media relayed. */
  readonly mediaRouter?: MediaRouterFactory;
}

/**
 * This node's members of one session in join order, its connections still joining, and the
 * session's signal budget (per node: a cluster bus would hold one for the session).
 */
class LocalSession extends Map<string, Connection> {
  joining = 0;
  /** Set by the first join: whether the media router serves this session. */
  routed = false;
  constructor(readonly budget: SessionBudget) {
    super();
  }
}

/**
 * @example
 * const endpoint = new ParleyEndpoint({ bus: new InMemoryBus(), timings: DEFAULT_TIMINGS, replay: DEFAULT_REPLAY_BOUNDS, maxConnectionsPerSession: 2000 });
 * endpoint.join(ws, { sessionId, apiKey, role: 'publisher', data: '' });
 */
export class ParleyEndpoint implements Endpoint, BusListener, EndpointGauges {
  /** What this endpoint counted (read on scrape by /metrics). */
  readonly counters: ServerCounters;
  /** The media router of routed sessions (null without one): its stats are read on scrape. */
  get mediaRouter(): MediaRouter | null {
    return this.#router;
  }
  readonly #sessions = new Map<string, LocalSession>();
  readonly #byId = new Map<string, Connection>();
  readonly #writer: ConnectionWriter;
  readonly #closer = new SocketCloser(CLOSE_GRACE_MS);
  readonly #requests: RequestHandler;
  readonly #sweepTimer: unknown;
  readonly #logger: Logger;
  readonly #clock: ServerClock;
  readonly #bus: SessionBus;
  readonly #rate: Readonly<RateLimit>;
  readonly #signalBytes: Readonly<ByteRate>;
  readonly #sessionSignals: Readonly<SessionSignalBudget>;
  readonly #timingFields: SessionTimings;
  readonly #wire = new WireEncoder();
  /** Connections being moved here by a claim: the events the bus ordered after the move. */
  readonly #incoming = new Map<
    string,
    { readonly sessionId: string; readonly events: SessionEvent[]; readonly qs: number[] }
  >();
  #shuttingDown = false;
  /** A drain (4016) waits for requests already at the bus: new frames are dropped meanwhile. */
  #settling = false;
  /** The drain's parking of every connection, once (shutdown may be called again meanwhile). */
  #parked: Promise<void> | undefined = undefined;
  #drainCode: DrainCode = CloseCode.ServerShutdown;
  /** The forwarder of routed sessions, or null. */
  readonly #router: MediaRouter | null;
  #routerClosed: Promise<void> | undefined;

  constructor(private readonly options: ParleyEndpointOptions) {
    this.#logger = options.logger ?? SILENT_LOGGER;
    this.counters = options.counters ?? new ServerCounters();
    this.#clock = options.clock ?? systemClock;
    this.#bus = options.bus;
    this.#rate = options.signalRate ?? DEFAULT_SIGNAL_RATE;
    this.#signalBytes = options.signalBytes ?? DEFAULT_SIGNAL_BYTE_RATE;
    this.#sessionSignals = options.sessionSignals ?? DEFAULT_SESSION_SIGNAL_BUDGET;
    const { heartbeatInterval, heartbeatTimeout, reconnectWindow } = options.timings;
    this.#timingFields = { heartbeatInterval, heartbeatTimeout, reconnectWindow };
    const maxUnsent = options.maxUnsentBytes ?? DEFAULT_MAX_UNSENT_BYTES;
    this.#writer = new ConnectionWriter(options.replay, maxUnsent, this.counters, {
      overflowed: (c) => {
        this.#guard(() => {
          this.counters.backpressure['4014']++;
          const reason = `replay buffer overflow: ${c.heldCount} messages unacknowledged`;
          this.#destroy(c, 'networkDisconnected', CloseCode.BufferOverflow, reason, true);
        });
      },
      slowReader: (c, ws, unsent) => {
        this.counters.backpressure['4015']++;
        this.#slowReader(c, ws, unsent);
      },
      guard: (fn) => {
        this.#guard(fn);
      },
    });
    const localRouter =
      options.mediaRouter?.({
        send: (sessionId, connectionId, payload) => {
          this.#bus.stream(sessionId, { op: 'mediaFromServer', to: connectionId, payload }, () => undefined);
        },
        failed: (sessionId, streamId, subscriberId, reason) => {
          this.#logger.warn({ sessionId, streamId, subscriberId }, `media router lost a peer: ${reason}`);
          if (subscriberId === null)
            this.#bus.stream(
              sessionId,
              { op: 'unpublish', streamId, by: null, reason: 'networkDisconnected' },
              () => undefined,
            );
        },
      }) ?? null;
    // In a cluster, a routed session's media goes through one node's forwarder (cluster-router.ts).
    const channel = localRouter === null ? undefined : this.#bus.forwarderChannel?.();
    this.#router =
      localRouter !== null && channel !== undefined ? new ClusterMediaRouter(localRouter, channel) : localRouter;
    const actions: EndpointActions = {
      router: this.#router,
      bus: this.#bus,
      counters: this.counters,
      clock: this.#clock,
      wire: this.#wire,
      deliver: (c, s) => {
        this.#writer.deliver(c, s);
      },
      end: (c, reason, code, closeReason) => {
        this.#destroy(c, reason, code, closeReason, true);
      },
      schedule: (c) => {
        this.#writer.schedule(c);
      },
    };
    this.#requests = new RequestHandler(actions, {
      rate: this.#rate,
      bytes: this.#signalBytes,
      session: this.#sessionSignals,
    });
    this.#bus.listen(this);
    // ONE timer for every connection: a wall-clock deadline check, so a late timer still notices.
    this.#sweepTimer = this.#clock.setInterval(() => {
      this.#sweep();
    }, heartbeatInterval);
  }

  join(ws: WebSocket, grant: JoinGrant): void {
    if (this.#shuttingDown) {
      this.#closer.close(ws, this.#drainCode, drainReason(this.#drainCode));
      return;
    }
    const session = this.#localSession(grant.sessionId);
    const c = new Connection(
      newConnectionId(),
      grant.sessionId,
      grant.apiKey,
      this.#clock.now(),
      grant.data,
      grant.role,
      newResumeKey(),
      session.budget,
      this.#rate.burst,
      this.#signalBytes.burst,
    );
    if (grant.caps !== undefined) c.wireCaps = grant.caps;
    c.token = grant.token;
    c.ip = grant.ip ?? '';
    // Routed only when a forwarder is configured: without one, media goes between the clients.
    const mode: MediaMode = grant.mediaMode === 'routed' && this.#router !== null ? 'routed' : 'relayed';
    c.mediaMode = mode;
    if (session.size === 0 && session.joining === 0) session.routed = mode === 'routed';
    session.joining++;
    this.#byId.set(c.id, c);
    this.#attach(c, ws);
    const max = this.options.maxConnectionsPerSession;
    this.#bus.join(c.sessionId, c.info, c.resumeKey, max, (result, streams) => {
      this.#guard(() => {
        this.#joined(c, ws, session, result, streams ?? []);
      });
    });
  }

  /** The bus answered a join: welcome (and the frames that came early), or refuse. */
  #joined(
    c: Connection,
    ws: WebSocket,
    session: LocalSession,
    result: JoinResult,
    streams: readonly StreamInfo[],
  ): void {
    session.joining--;
    if (result === 'full') {
      const state = c.state;
      c.state = 'closed';
      c.socket = null;
      this.#byId.delete(c.id);
      this.#forgetIfEmpty(c.sessionId, session);
      const max = this.options.maxConnectionsPerSession;
      this.counters.refusedJoins.session_full++;
      if (state !== 'closed')
        this.#closer.close(ws, CloseCode.ConnectionLimitExceeded, `session is full (${max} connections)`);
      this.#logger.info(
        {
          event: 'refused',
          sessionId: c.sessionId,
          code: CloseCode.ConnectionLimitExceeded,
          reason: 'session is full',
        },
        `join refused: session ${c.sessionId} is full (${max} connections) (${CloseCode.ConnectionLimitExceeded})`,
      );
      return;
    }
    if (c.state === 'closed') {
      // The socket went away (or the node started shutting down) while the bus was answering.
      this.#forgetIfEmpty(c.sessionId, session);
      this.#bus.leave(c.sessionId, c.id, this.#shuttingDown ? null : 'networkDisconnected');
      return;
    }
    session.set(c.id, c);
    c.state = 'connected';
    this.counters.joins++;
    c.out.push(encodeWelcome(c, result, this.#timingFields, streams, this.options.iceServers));
    this.#writer.schedule(c);
    if (this.#infoOn())
      this.#connLog(c).info(
        { event: 'joined', role: c.role },
        `connection ${c.id} joined session ${c.sessionId} as ${c.role}`,
      );
    const early = c.early;
    c.early = null;
    if (early !== null) for (const data of early) this.#onFrame(c, data, false);
  }

  resume(ws: WebSocket, p: ResumeParams, ip = ''): void {
    if (this.#shuttingDown) {
      this.counters.resumesFailed++;
      this.#closer.close(ws, this.#drainCode, drainReason(this.#drainCode));
      return;
    }
    const c = this.#byId.get(p.connectionId);
    if (c === undefined) {
      this.#claim(ws, p, ip);
      return;
    }
    this.#resumeOn(c, ws, p, ip);
  }

  /** Resume a connection this endpoint holds (or has just imported), or refuse with 4010. */
  #resumeOn(c: Connection, ws: WebSocket, p: ResumeParams, ip: string): void {
    const refusal = c.state === 'joining' ? 'unknown connection' : resumeRefusal(c, p);
    if (refusal !== null) {
      this.#closer.close(ws, CloseCode.ResumeRefused, refusal);
      this.#resumeRefused(p, refusal);
      return;
    }
    this.#clock.clearTimeout(c.expiryTimer);
    c.expiryTimer = undefined;
    this.counters.resumes++;
    if (ip !== c.ip) {
      c.ip = ip;
      c.log = undefined; // bound to the old address
    }
    const old = c.socket;
    if (old !== null) {
      c.socket = null;
      this.#closer.close(old, CloseCode.Replaced, 'replaced by a newer transport');
    }
    c.release(p.ack);
    // What was queued for the old transport is either held (sequenced: replayed below) or
    // superseded (ack/pong: `resumed.ack` covers it).
    c.out.length = 0;
    this.#attach(c, ws);
    c.state = 'connected';
    c.out.push(encodeMessage({ t: 'resumed', ack: c.highestProcessed, next: p.ack + 1, ...this.#timingFields }));
    const held = c.heldAfter(p.ack);
    for (let i = 0; i < held.length; i++) c.out.push(held[i] as string);
    // Acks are not sequenced, so one lost with the old transport is re-sent after the replay
    // (PROTOCOL.md: "Right after the replay the server writes ack {a: resumed.ack}").
    c.ackPending = true;
    this.#writer.schedule(c);
    if (this.#infoOn())
      this.#connLog(c).info(
        { event: 'resumed', replayed: held.length },
        `connection ${c.id} resumed in session ${c.sessionId} (${held.length} replayed)`,
      );
    if (c.announcedReconnecting) {
      c.announcedReconnecting = false;
      this.#bus.announce(c.sessionId, { kind: 'connectionReconnected', connectionId: c.id }, c.id);
    }
  }

  /**
   * A resume for a connection this endpoint does not hold: ask the bus to move it here from the
   * node that does (its events from the move on are held in `#incoming` until its state arrives).
   */
  #claim(ws: WebSocket, p: ResumeParams, ip: string): void {
    let moved = false;
    this.#bus.claim(p.sessionId, p.connectionId, p.resumeKey, {
      moved: () => {
        moved = true;
        this.#incoming.set(p.connectionId, { sessionId: p.sessionId, events: [], qs: [] });
      },
      done: (state) => {
        this.#guard(() => {
          const incoming = this.#incoming.get(p.connectionId) ?? { events: [], qs: [] };
          this.#incoming.delete(p.connectionId);
          let c: Connection | string = 'unknown connection';
          if (state !== null && moved) {
            const built = isRebuild(state) ? this.#rebuilt(state, p) : this.#imported(state);
            c = this.#adopt(built, p.sessionId, p.connectionId, incoming);
          }
          if (typeof c === 'string') {
            this.#closer.close(ws, CloseCode.ResumeRefused, c);
            this.#resumeRefused(p, c);
          } else this.#resumeOn(c, ws, p, ip);
        });
      },
    });
  }

  /** A connection released by another node (its handed-over state), or why not. */
  #imported(state: HandoffState): Connection | string {
    const session = this.#localSession(state.sessionId as string);
    const c = importConnection(state, session.budget, this.#rate.burst, this.#signalBytes.burst, this.#clock.now());
    return c ?? 'unknown connection';
  }

  /** A connection whose node died, rebuilt from its checkpoint and the session's log (core/rebuild.ts), or why not. */
  #rebuilt(state: RebuildState, p: ResumeParams): Connection | string {
    const session = this.#localSession(p.sessionId);
    const limits = { burst: this.#rate.burst, byteBurst: this.#signalBytes.burst, replay: this.options.replay };
    const c = rebuildConnection(state, p.resumeKey, session.budget, limits, this.#clock.now());
    if (typeof c === 'string') {
      this.#logger.info({ sessionId: p.sessionId, connectionId: p.connectionId, reason: c }, 'rebuild refused');
      return `could not be rebuilt after its node died: ${c}`;
    }
    return c;
  }

  /**
   * Adopt a connection moved here (handed over or rebuilt), with the events ordered after the
   * move; when it could not be built, it leaves the session (the bus has made this node its home:
   * nobody else will end it).
   */
  #adopt(
    c: Connection | string,
    sessionId: string,
    id: string,
    incoming: { readonly events: readonly SessionEvent[]; readonly qs: readonly number[] },
  ): Connection | string {
    const session = this.#localSession(sessionId);
    if (typeof c !== 'string' && (c.id !== id || c.sessionId !== sessionId)) c = 'unknown connection';
    if (typeof c === 'string' || this.#shuttingDown) {
      this.#forgetIfEmpty(sessionId, session);
      this.#bus.leave(sessionId, id, this.#shuttingDown ? null : 'networkDisconnected');
      return typeof c === 'string' ? c : 'unknown connection';
    }
    session.set(c.id, c);
    this.#byId.set(c.id, c);
    // Filtered as deliver filters (a stream event only with capability `streams`): the positions
    // must be the ones a rebuild from the log would give.
    const streams = c.wireCaps.includes('streams');
    incoming.events.forEach((e, i) => {
      if (streams || e.kind === 'signal' || !isStreamEvent(e))
        this.#writer.deliver(c, this.#wire.encode(e), incoming.qs[i] ?? -1);
    });
    const generation = c.generation;
    c.expiryTimer = this.#clock.setTimeout(() => {
      this.#expire(c, generation);
    }, this.options.timings.reconnectWindow);
    if (this.#infoOn()) this.#connLog(c).info({ event: 'movedIn' }, `connection ${c.id} moved here from another node`);
    return c;
  }

  connectionCount(): number {
    return this.#byId.size;
  }

  revoke(rule: Revocation, nowSeconds: number): Promise<number> {
    const doomed = [...this.#byId.values()].filter(
      (c) =>
        c.state !== 'closed' &&
        revocationMatches(
          rule,
          {
            apiKey: c.apiKey,
            sessionId: c.sessionId,
            data: c.info.data,
            tokenId: c.token?.id ?? '',
            issuedAt: c.token?.issuedAt,
          },
          nowSeconds,
        ),
    );
    return Promise.all(
      doomed.map(
        (c) =>
          new Promise<boolean>((resolve) => {
            this.#bus.forceDisconnect(c.sessionId, c.id, 'revoked', (result) => {
              resolve(result === 'ok');
            });
          }),
      ),
    ).then((done) => done.filter(Boolean).length);
  }

  sessionCount(): number {
    return this.#sessions.size;
  }

  /** Walks every connection: for a scrape, never for the hot path. */
  heldBytes(): number {
    let total = 0;
    for (const c of this.#byId.values()) total += c.heldBytes;
    return total;
  }

  async shutdown(code: DrainCode = CloseCode.ServerShutdown): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      this.#drainCode = code;
      this.#clock.clearInterval(this.#sweepTimer);
      this.#parked = (async () => {
        if (code === CloseCode.NodeDraining) await this.#settle();
        for (const c of [...this.#byId.values()]) {
          // Only this node is going away: the connection waits in the bus for its client to
          // resume on another node.
          if (code === CloseCode.NodeDraining && c.state !== 'joining') this.#park(c, code);
          // No connectionDestroyed: everyone else is being closed too.
          else this.#destroy(c, 'serverShutdown', code, drainReason(code), false);
        }
      })();
    }
    await this.#parked;
    await this.#closer.drain(CLOSE_GRACE_MS);
    // Once, however many times shutdown is called (the promise is shared).
    this.#routerClosed ??= this.#router?.close() ?? Promise.resolve();
    await this.#routerClosed;
  }

  // ------------------------------------------------------------------ the bus's calls

  deliver(sessionId: string, event: SessionEvent, except: string | null, to: string | null, q = -1): void {
    // Connections moving here (rare): their events wait for their state.
    if (this.#incoming.size > 0) this.#holdIncoming(sessionId, event, except, to, q);
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return;
    if (event.kind !== 'signal' && isStreamEvent(event)) {
      this.#deliverStreamEvent(session, sessionId, event, except, to, q);
      return;
    }
    if (to !== null) {
      const target = session.get(to);
      if (target !== undefined) {
        if (event.kind === 'signal') this.counters.signalsOut++;
        this.#writer.deliver(target, this.#wire.encode(event), q);
      }
      return;
    }
    const encoded = this.#wire.encode(event);
    for (const c of session.values()) if (c.id !== except) this.#writer.deliver(c, encoded, q);
    if (event.kind === 'signal')
      this.counters.signalsOut += except !== null && session.has(except) ? session.size - 1 : session.size;
  }

  /** A stream event: only to connections granted `streams`; a routed stream's end closes it in the forwarder. */
  #deliverStreamEvent(
    session: LocalSession,
    sessionId: string,
    event: SessionEvent,
    except: string | null,
    to: string | null,
    q: number,
  ): void {
    if (event.kind === 'streamDestroyed' && session.routed && this.#router !== null)
      this.#router.onUnpublish(sessionId, event.streamId).catch((err: unknown) => {
        this.#logger.warn({ err, sessionId }, 'media router: unpublish failed');
      });
    const encoded = this.#wire.encode(event);
    for (const c of session.values()) {
      if ((to !== null && c.id !== to) || c.id === except || !c.wireCaps.includes('streams')) continue;
      this.#writer.deliver(c, encoded, q);
    }
  }

  #holdIncoming(sessionId: string, event: SessionEvent, except: string | null, to: string | null, q: number): void {
    for (const [id, incoming] of this.#incoming) {
      if (incoming.sessionId !== sessionId || id === except || (to !== null && to !== id)) continue;
      incoming.events.push(event);
      incoming.qs.push(q);
    }
  }

  identity(sessionId: string, connectionId: string): HandoffState | null {
    const c = this.#byId.get(connectionId);
    return c?.sessionId === sessionId ? connectionIdentity(c, this.options.timings.reconnectWindow) : null;
  }

  checkpoint(sessionId: string, connectionId: string, position: number): MemberCheckpoint | null {
    return connectionCheckpoint(this.#sessions.get(sessionId)?.get(connectionId), position);
  }

  release(sessionId: string, connectionId: string): HandoffState | null {
    const c = this.#sessions.get(sessionId)?.get(connectionId);
    if (c === undefined || c.state === 'closed' || c.state === 'joining') return null;
    if (c.overflowed || c.inFlight.length > 0) {
      // Its held messages are not complete, or requests wait for answers that would come here.
      this.#destroy(c, 'networkDisconnected', CloseCode.ResumeRefused, 'could not move to another node', true);
      return null;
    }
    const state = exportConnection(c);
    // Gone from here without leaving the session: the bus has made the other node its home.
    this.#forget(c, CloseCode.Replaced, 'replaced by a newer transport');
    return state;
  }

  /** Drop a connection from this endpoint without leaving the bus (it moves to another node). */
  #forget(c: Connection, code: number, closeReason: string): void {
    const ws = c.socket;
    c.state = 'closed';
    c.socket = null;
    this.#clock.clearTimeout(c.expiryTimer);
    c.expiryTimer = undefined;
    if (ws !== null) this.#closer.close(ws, code, closeReason);
    c.clear();
    this.#byId.delete(c.id);
    const session = this.#sessions.get(c.sessionId);
    if (session !== undefined) {
      session.delete(c.id);
      this.#forgetIfEmpty(c.sessionId, session);
    }
    if (this.#infoOn())
      this.#connLog(c).info({ event: 'handedOver' }, `connection ${c.id} handed over to another node`);
  }

  /**
   * Before a drain parks its connections: wait (at most SETTLE_MS) until no request waits for the
   * bus's answer, since a connection with one cannot be handed over (its answer would come here).
   * Frames that arrive meanwhile are dropped unread: they are not acknowledged, so their clients
   * send them again after resuming on another node.
   */
  async #settle(): Promise<void> {
    this.#settling = true;
    const deadline = performance.now() + SETTLE_MS;
    const busy = (): boolean => {
      for (const c of this.#byId.values()) if (c.inFlight.length > 0) return true;
      return false;
    };
    while (busy() && performance.now() < deadline) await sleep(SETTLE_POLL_MS);
  }

  /** Hand a connection to the bus for another node to claim (drain 4016), and close its socket. */
  #park(c: Connection, code: DrainCode): void {
    if (c.state === 'connected' && !c.announcedReconnecting) {
      c.announcedReconnecting = true;
      this.#bus.announce(c.sessionId, { kind: 'connectionReconnecting', connectionId: c.id }, c.id);
    }
    const ws = c.socket;
    if (ws !== null) this.#writer.writeNow(c, ws);
    const state = c.overflowed || c.inFlight.length > 0 ? null : exportConnection(c);
    if (state === null) {
      this.#destroy(c, 'networkDisconnected', code, drainReason(code), true);
      return;
    }
    this.#forget(c, code, drainReason(code));
    this.#bus.park(c.sessionId, c.id, state, this.options.timings.reconnectWindow);
  }

  lost(sessionId: string, connectionId: string, why: string): void {
    const c = this.#sessions.get(sessionId)?.get(connectionId);
    if (c !== undefined) this.#destroy(c, 'networkDisconnected', CloseCode.ResumeRefused, why, true);
  }

  disconnect(sessionId: string, connectionId: string, origin: DisconnectOrigin): void {
    const c = this.#sessions.get(sessionId)?.get(connectionId);
    if (c === undefined) return;
    const why = DISCONNECT_WHY[origin];
    // The bus already removed it and told the others.
    this.#destroy(c, 'forceDisconnected', CloseCode.ForceDisconnected, why, false);
  }

  // ------------------------------------------------------------------ transport

  /** Attach a transport: a new generation, whose socket events are the only ones that count. */
  #attach(c: Connection, ws: WebSocket): void {
    const generation = ++c.generation;
    c.socket = ws;
    c.lastSeen = this.#clock.now();
    // A pong queued for (or unsent on) an older transport is gone with it.
    c.pongOutstanding = false;
    c.pongQueued = false;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (c.socket !== ws) return;
      if (c.state !== 'joining') {
        this.#onFrame(c, data, isBinary);
        return;
      }
      // A client should wait for `welcome`; one that does not is held to a few text frames.
      const early = (c.early ??= []);
      if (!isBinary && early.length < MAX_EARLY_FRAMES) early.push(data as Buffer);
      else {
        const why = isBinary ? 'binary frames are not allowed' : 'too many frames before welcome';
        this.#destroy(c, 'networkDisconnected', CloseCode.ProtocolError, why, true);
      }
    });
    ws.on('close', (code: number) => {
      // A stale socket (replaced, or closed by us) must never touch a newer transport.
      if (c.socket !== ws || c.generation !== generation) return;
      if (c.state === 'joining') {
        // Not a member yet: nobody to tell; the join's answer finishes it.
        c.state = 'closed';
        c.socket = null;
        this.#byId.delete(c.id);
      } else if (c.state === 'connected')
        this.#guard(() => {
          // 1001 is what a browser sends when the page unloads (closed, reloaded, navigated away):
          // the client left, like `bye`. A network drop never carries it (PROTOCOL.md §Leaving).
          if (code === CloseCode.GoingAway) {
            c.socket = null; // already closed: nothing to write or close
            this.#destroy(c, 'clientDisconnected', code, 'going away', true);
          } else this.#detach(c);
        });
    });
    ws.on('error', (err) => {
      this.#connLog(c).warn({ err }, `connection ${c.id}: socket error: ${err.message}`);
    });
  }

  #onFrame(c: Connection, data: RawData, isBinary: boolean): void {
    this.#guard(() => {
      if (c.state !== 'connected' || this.#settling) return;
      c.lastSeen = this.#clock.now();
      if (isBinary) {
        this.#destroy(c, 'networkDisconnected', CloseCode.ProtocolError, 'binary frames are not allowed', true);
        return;
      }
      let messages;
      try {
        messages = decodeClientFrame((data as Buffer).toString('utf8'));
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        this.#destroy(c, 'networkDisconnected', err.closeCode, err.message, true);
        return;
      }
      this.#requests.handle(c, messages);
    });
  }

  /** The transport is gone but the connection is kept for `reconnectWindow`. */
  #detach(c: Connection): void {
    c.state = 'detached';
    c.socket = null;
    c.out.length = 0;
    c.ackPending = false;
    const generation = c.generation;
    c.expiryTimer = this.#clock.setTimeout(() => {
      this.#expire(c, generation);
    }, this.options.timings.reconnectWindow);
    c.announcedReconnecting = true;
    const kept = this.options.timings.reconnectWindow;
    if (this.#infoOn())
      this.#connLog(c).info(
        { event: 'detached', keptMs: kept },
        `connection ${c.id} of session ${c.sessionId} lost its transport; kept ${kept} ms for a resume`,
      );
    this.#bus.announce(c.sessionId, { kind: 'connectionReconnecting', connectionId: c.id }, c.id);
  }

  /** Scoped to the generation that scheduled it: after a resume (or a newer drop) it does nothing. */
  #expire(c: Connection, generation: number): void {
    this.#guard(() => {
      if (c.state === 'detached' && c.generation === generation) {
        this.#destroy(c, 'networkDisconnected', CloseCode.Normal, '', true);
      }
    });
  }

  #sweep(): void {
    this.#guard(() => {
      const now = this.#clock.now();
      const deadline = now - this.options.timings.heartbeatTimeout;
      for (const c of this.#byId.values()) {
        if (c.state !== 'connected' || c.lastSeen >= deadline) continue;
        const ws = c.socket;
        this.#detach(c);
        if (ws)
          this.#closer.close(ws, CloseCode.HeartbeatTimeout, `heartbeat timeout: no frame for ${now - c.lastSeen} ms`);
      }
    });
  }

  // ------------------------------------------------------------------ writing

  /**
   * The peer left more than the bound unread: drop this transport like a heartbeat timeout (the
   * connection is kept for the reconnect window, its replay buffer bounded as ever), so the
   * unsent bytes go with the socket (terminated after the close grace).
   */
  #slowReader(c: Connection, ws: WebSocket, unsent: number): void {
    this.#detach(c);
    this.#closer.close(ws, CloseCode.SlowReader, `${unsent} bytes unread (bound ${this.#writer.maxUnsent})`);
  }

  // ------------------------------------------------------------------ ending

  /** The one funnel every end of a connection goes through. */
  #destroy(c: Connection, reason: DisconnectReason, code: number, closeReason: string, tellOthers: boolean): void {
    if (c.state === 'closed') return;
    const wasMember = c.state !== 'joining';
    const ws = c.socket;
    c.state = 'closed';
    c.socket = null;
    this.#clock.clearTimeout(c.expiryTimer);
    c.expiryTimer = undefined;
    if (ws !== null) {
      if (wasMember) this.#writer.writeNow(c, ws); // what this tick produced for it (e.g. the ack of a `bye`) goes first
      this.#closer.close(ws, code, closeReason);
    }
    c.clear();
    this.#byId.delete(c.id);
    // A connection still joining is finished by the join's answer (it leaves the bus there).
    if (!wasMember) return;
    const session = this.#sessions.get(c.sessionId);
    if (session !== undefined) {
      session.delete(c.id);
      this.#forgetIfEmpty(c.sessionId, session);
    }
    this.#bus.leave(c.sessionId, c.id, tellOthers ? reason : null);
    if (c.mediaMode === 'routed')
      this.#router?.onLeave(c.sessionId, c.id).catch((err: unknown) => {
        this.#logger.warn({ err, sessionId: c.sessionId }, 'media router: leave failed');
      });
    if (this.#infoOn())
      this.#connLog(c).info(
        { event: 'left', reason, code },
        `connection ${c.id} left session ${c.sessionId}: ${reason} (${code})`,
      );
  }

  #resumeRefused(p: ResumeParams, reason: string): void {
    this.counters.resumesFailed++;
    const connectionId = logSafe(p.connectionId);
    this.#logger.info(
      {
        event: 'refused',
        kind: 'resume',
        sessionId: logSafe(p.sessionId),
        connectionId,
        code: CloseCode.ResumeRefused,
        reason,
      },
      `resume refused: connection ${connectionId}: ${reason} (${CloseCode.ResumeRefused})`,
    );
  }

  /**
   * Whether info lines are written at all: when not (pino's default 'silent' level), a join or a
   * leave builds neither a child logger nor a message.
   */
  #infoOn(): boolean {
    return this.#logger.isLevelEnabled?.('info') ?? true;
  }

  /** The connection's child logger (bound to its session and connection IDs), made on first use. */
  #connLog(c: Connection): Logger {
    const bindings =
      c.ip === ''
        ? { sessionId: c.sessionId, connectionId: c.id }
        : { sessionId: c.sessionId, connectionId: c.id, ip: c.ip };
    return (c.log ??= this.#logger.child(bindings));
  }

  #localSession(sessionId: string): LocalSession {
    let session = this.#sessions.get(sessionId);
    if (session === undefined) {
      const { burst, byteBurst } = this.#sessionSignals;
      session = new LocalSession(new SessionBudget(burst, byteBurst, this.#clock.now()));
      this.#sessions.set(sessionId, session);
    }
    return session;
  }

  #forgetIfEmpty(sessionId: string, session: LocalSession): void {
    if (session.size === 0 && session.joining === 0 && this.#sessions.get(sessionId) === session)
      this.#sessions.delete(sessionId);
  }

  /** Run a handler; an exception is logged, never allowed to crash the process. */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#logger.error({ err }, `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
}
