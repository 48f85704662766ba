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
  ProtocolError,
  type DisconnectReason,
  type StreamInfo,
  type ResumeParams,
} from '@parley/protocol';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RawData, WebSocket } from 'ws';
import type {
  BusListener,
  DisconnectOrigin,
  HandoffState,
  JoinResult,
  MemberCheckpoint,
  SessionBus,
  SessionEvent,
} from '../bus/session-bus.js';
import type { MediaRouter } from '../media/router-hook.js';
import type { ServerCounters, EndpointGauges } from '../metrics/server-counters.js';
import { REVOKED_REASON, type Revocation } from '../tokens/revocation.js';
import type { ServerClock } from './clock.js';
import type { Connection } from './connection.js';
import type { ConnectionWriter } from './connection-writer.js';
import { drainReason, type DrainCode } from './drain.js';
import type { Endpoint, JoinGrant } from './endpoint.js';
import type { EndpointLog } from './endpoint-log.js';
import type { ParleyEndpointOptions } from './endpoint-options.js';
import { buildEndpointParts, type EndpointParts } from './endpoint-parts.js';
import type { Liveness } from './liveness.js';
import type { LocalSession, LocalSessions } from './local-sessions.js';
import { connectionCheckpoint, connectionIdentity } from './rebuild.js';
import { queueResumed, resumeRefusal } from './resume-check.js';
import { revokeMatching } from './revocation-sweep.js';
import { SocketCloser } from './socket-closer.js';
import { attachSocket, type SocketHandlers } from './socket-events.js';
import { encodeWelcome } from './welcome.js';

/** How long a drain waits for requests already at the bus before it parks their connections (#settle). */
const SETTLE_MS = 2_000;
const SETTLE_POLL_MS = 5;

export type { ParleyEndpointOptions } from './endpoint-options.js';

/** The close reason a force-disconnected client reads, by who asked. */
const DISCONNECT_WHY: Readonly<Record<DisconnectOrigin, string>> = {
  server: 'disconnected by the server',
  moderator: 'disconnected by a moderator',
  revoked: REVOKED_REASON,
};

/** How long a closing socket gets to finish the close handshake before it is terminated. */
const CLOSE_GRACE_MS = 2000;

/**
 * The one owner of its connections' state transitions (joining → connected ⇄ detached → closed):
 * its helpers (built in endpoint-parts.ts: bus-delivery.ts, connection-moves.ts, liveness.ts; and
 * socket-events.ts, local-sessions.ts) ask it to resume, detach, forget or destroy a connection.
 *
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
  /** Its collaborators (endpoint-parts.ts): what they do to a connection, they ask the endpoint to do. */
  readonly #parts: EndpointParts;
  readonly #sessions: LocalSessions;
  readonly #byId = new Map<string, Connection>();
  readonly #writer: ConnectionWriter;
  readonly #closer = new SocketCloser(CLOSE_GRACE_MS);
  readonly #liveness: Liveness;
  readonly #socketHandlers: SocketHandlers = {
    frame: (c, data, isBinary) => {
      this.#onFrame(c, data, isBinary);
    },
    protocolError: (c, why) => {
      this.#destroy(c, 'networkDisconnected', CloseCode.ProtocolError, why, true);
    },
    closed: (c, code) => {
      this.#socketClosed(c, code);
    },
    error: (c, err) => {
      this.#log.conn(c).warn({ err }, `connection ${c.id}: socket error: ${err.message}`);
    },
  };
  readonly #log: EndpointLog;
  readonly #clock: ServerClock;
  readonly #bus: SessionBus;
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
    const parts = buildEndpointParts(options, {
      byId: this.#byId,
      closer: this.#closer,
      shuttingDown: () => this.#shuttingDown,
      destroy: (c, reason, code, closeReason, tellOthers) => {
        this.#destroy(c, reason, code, closeReason, tellOthers);
      },
      detach: (c) => {
        this.#detach(c);
      },
      forget: (c, code, closeReason) => {
        this.#forget(c, code, closeReason);
      },
      resumeOn: (c, ws, p, ip) => {
        this.#resumeOn(c, ws, p, ip);
      },
      refuseResume: (ws, p, reason) => {
        this.#refuseResume(ws, p, reason);
      },
      guard: (fn) => {
        this.#guard(fn);
      },
    });
    this.#parts = parts;
    this.counters = parts.counters;
    this.#sessions = parts.sessions;
    this.#writer = parts.writer;
    this.#liveness = parts.liveness;
    this.#log = parts.log;
    this.#clock = parts.clock;
    this.#bus = parts.bus;
    this.#router = parts.router;
    this.#bus.listen(this);
  }

  join(ws: WebSocket, grant: JoinGrant): void {
    if (this.#shuttingDown) {
      this.#closer.close(ws, this.#drainCode, drainReason(this.#drainCode));
      return;
    }
    const { rate, signalBytes } = this.#parts;
    const at = { now: this.#clock.now(), canRoute: this.#router !== null };
    const { c, session } = this.#sessions.admit(grant, rate.burst, signalBytes.burst, at);
    this.#byId.set(c.id, c);
    attachSocket(c, ws, this.#clock.now(), this.#socketHandlers);
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
      this.#sessions.forgetIfEmpty(c.sessionId, session);
      const max = this.options.maxConnectionsPerSession;
      this.counters.refusedJoins.session_full++;
      if (state !== 'closed')
        this.#closer.close(ws, CloseCode.ConnectionLimitExceeded, `session is full (${max} connections)`);
      this.#log.joinRefused(c.sessionId, max);
      return;
    }
    if (c.state === 'closed') {
      // The socket went away (or the node started shutting down) while the bus was answering.
      this.#sessions.forgetIfEmpty(c.sessionId, session);
      this.#bus.leave(c.sessionId, c.id, this.#shuttingDown ? null : 'networkDisconnected');
      return;
    }
    session.set(c.id, c);
    c.state = 'connected';
    this.counters.joins++;
    c.out.push(encodeWelcome(c, result, this.#parts.timingFields, streams, this.options.iceServers));
    this.#writer.schedule(c);
    const info = this.#log.infoFor(c);
    info?.info({ event: 'joined', role: c.role }, `connection ${c.id} joined session ${c.sessionId} as ${c.role}`);
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
      this.#parts.moves.claim(ws, p, ip);
      return;
    }
    this.#resumeOn(c, ws, p, ip);
  }

  /** Resume a connection this endpoint holds (or has just imported), or refuse with 4010. */
  #resumeOn(c: Connection, ws: WebSocket, p: ResumeParams, ip: string): void {
    const refusal = c.state === 'joining' ? 'unknown connection' : resumeRefusal(c, p);
    if (refusal !== null) {
      this.#refuseResume(ws, p, refusal);
      return;
    }
    this.#liveness.disarm(c);
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
    attachSocket(c, ws, this.#clock.now(), this.#socketHandlers);
    c.state = 'connected';
    const replayed = queueResumed(c, p, this.#parts.timingFields);
    this.#writer.schedule(c);
    const info = this.#log.infoFor(c);
    info?.info(
      { event: 'resumed', replayed },
      `connection ${c.id} resumed in session ${c.sessionId} (${replayed} replayed)`,
    );
    if (c.announcedReconnecting) {
      c.announcedReconnecting = false;
      this.#bus.announce(c.sessionId, { kind: 'connectionReconnected', connectionId: c.id }, c.id);
    }
  }

  connectionCount(): number {
    return this.#byId.size;
  }

  revoke(rule: Revocation, nowSeconds: number): Promise<number> {
    return revokeMatching(this.#byId.values(), this.#bus, rule, nowSeconds);
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
      this.#liveness.stop();
      this.#parked = (async () => {
        if (code === CloseCode.NodeDraining) await this.#settle();
        for (const c of [...this.#byId.values()]) {
          // Only this node is going away: the connection waits in the bus for its client to
          // resume on another node.
          if (code === CloseCode.NodeDraining && c.state !== 'joining') this.#parts.moves.park(c, code);
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
    this.#parts.delivery.deliver(this.#sessions.get(sessionId), sessionId, event, except, to, q);
  }

  identity(sessionId: string, connectionId: string): HandoffState | null {
    const c = this.#byId.get(connectionId);
    return c?.sessionId === sessionId ? connectionIdentity(c, this.options.timings.reconnectWindow) : null;
  }

  checkpoint(sessionId: string, connectionId: string, position: number): MemberCheckpoint | null {
    return connectionCheckpoint(this.#sessions.member(sessionId, connectionId), position);
  }

  release(sessionId: string, connectionId: string): HandoffState | null {
    return this.#parts.moves.release(this.#sessions.member(sessionId, connectionId));
  }

  /** Drop a connection from this endpoint without leaving the bus (it moves to another node). */
  #forget(c: Connection, code: number, closeReason: string): void {
    const ws = c.socket;
    c.state = 'closed';
    c.socket = null;
    this.#liveness.disarm(c);
    if (ws !== null) this.#closer.close(ws, code, closeReason);
    c.clear();
    this.#byId.delete(c.id);
    this.#sessions.remove(c);
    const info = this.#log.infoFor(c);
    info?.info({ event: 'handedOver' }, `connection ${c.id} handed over to another node`);
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

  lost(sessionId: string, connectionId: string, why: string): void {
    const c = this.#sessions.member(sessionId, connectionId);
    if (c !== undefined) this.#destroy(c, 'networkDisconnected', CloseCode.ResumeRefused, why, true);
  }

  disconnect(sessionId: string, connectionId: string, origin: DisconnectOrigin): void {
    const c = this.#sessions.member(sessionId, connectionId);
    if (c === undefined) return;
    const why = DISCONNECT_WHY[origin];
    // The bus already removed it and told the others.
    this.#destroy(c, 'forceDisconnected', CloseCode.ForceDisconnected, why, false);
  }

  // ------------------------------------------------------------------ transport

  /** The current transport closed (a socket handler): a member is kept for a resume, unless it left. */
  #socketClosed(c: Connection, code: number): void {
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
      this.#parts.requests.handle(c, messages);
    });
  }

  /** The transport is gone but the connection is kept for `reconnectWindow`. */
  #detach(c: Connection): void {
    c.state = 'detached';
    c.socket = null;
    c.out.length = 0;
    c.ackPending = false;
    this.#liveness.arm(c);
    c.announcedReconnecting = true;
    const kept = this.options.timings.reconnectWindow;
    const info = this.#log.infoFor(c);
    info?.info(
      { event: 'detached', keptMs: kept },
      `connection ${c.id} of session ${c.sessionId} lost its transport; kept ${kept} ms for a resume`,
    );
    this.#bus.announce(c.sessionId, { kind: 'connectionReconnecting', connectionId: c.id }, c.id);
  }

  // ------------------------------------------------------------------ ending

  /** The one funnel every end of a connection goes through. */
  #destroy(c: Connection, reason: DisconnectReason, code: number, closeReason: string, tellOthers: boolean): void {
    if (c.state === 'closed') return;
    const wasMember = c.state !== 'joining';
    const ws = c.socket;
    c.state = 'closed';
    c.socket = null;
    this.#liveness.disarm(c);
    if (ws !== null) {
      if (wasMember) this.#writer.writeNow(c, ws); // what this tick produced for it (e.g. the ack of a `bye`) goes first
      this.#closer.close(ws, code, closeReason);
    }
    c.clear();
    this.#byId.delete(c.id);
    // A connection still joining is finished by the join's answer (it leaves the bus there).
    if (!wasMember) return;
    this.#sessions.remove(c);
    this.#bus.leave(c.sessionId, c.id, tellOthers ? reason : null);
    if (c.mediaMode === 'routed')
      this.#router?.onLeave(c.sessionId, c.id).catch((err: unknown) => {
        this.#log.logger.warn({ err, sessionId: c.sessionId }, 'media router: leave failed');
      });
    const info = this.#log.infoFor(c);
    info?.info({ event: 'left', reason, code }, `connection ${c.id} left session ${c.sessionId}: ${reason} (${code})`);
  }

  #refuseResume(ws: WebSocket, p: ResumeParams, reason: string): void {
    this.#closer.close(ws, CloseCode.ResumeRefused, reason);
    this.counters.resumesFailed++;
    this.#log.resumeRefused(p, reason);
  }

  /** Run a handler; an exception is logged, never allowed to crash the process. */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.logger.error(
        { err },
        `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    }
  }
}
