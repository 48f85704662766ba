/**
 * Connections moving between nodes, both ways, for the endpoint (parley-endpoint.ts), which stays
 * the one owner of their state: it is told to resume, forget or destroy a connection, never
 * bypassed.
 *
 * - In: a resume for a connection this node does not hold asks the bus to claim it from the node
 *   that does. The claim answers with the state that node handed over (handoff.ts), or, when it
 *   died, with what the bus has to rebuild it from (rebuild.ts); the events ordered after the move
 *   wait in {@link BusDelivery} until the connection is adopted here.
 * - Out: another node's claim releases a member of this node; a drain (4016) parks each member in
 *   the bus for its client to resume elsewhere. A connection with incomplete held messages, or
 *   requests waiting for answers that would come here, cannot move: it is destroyed instead.
 */
import {
  CloseCode,
  type ByteRate,
  type RateLimit,
  type ReplayBounds,
  type ResumeParams,
  type SessionTimings,
} from '@parley/protocol';
import type { WebSocket } from 'ws';
import type { HandoffState, RebuildState, SessionBus } from '../bus/session-bus.js';
import type { BusDelivery, IncomingEvents } from './bus-delivery.js';
import type { ServerClock } from './clock.js';
import type { Connection } from './connection.js';
import type { ConnectionWriter } from './connection-writer.js';
import { drainReason, type DrainCode } from './drain.js';
import type { EndpointLog } from './endpoint-log.js';
import type { EndpointTransitions } from './endpoint-parts.js';
import { exportConnection, importConnection } from './handoff.js';
import type { Liveness } from './liveness.js';
import type { LocalSessions } from './local-sessions.js';
import { isRebuild, rebuildConnection } from './rebuild.js';

/** What the endpoint lends and does for the moves (its state transitions stay its own). */
export interface MovesHost extends EndpointTransitions {
  readonly bus: SessionBus;
  readonly clock: ServerClock;
  readonly log: EndpointLog;
  readonly writer: ConnectionWriter;
  readonly delivery: BusDelivery;
  readonly sessions: LocalSessions;
  readonly liveness: Liveness;
  readonly timings: Readonly<SessionTimings>;
  readonly replay: Readonly<ReplayBounds>;
  readonly rate: Readonly<RateLimit>;
  readonly signalBytes: Readonly<ByteRate>;
}

export class ConnectionMoves {
  constructor(private readonly host: MovesHost) {}

  /**
   * A resume for a connection this endpoint does not hold: ask the bus to move it here from the
   * node that does (its events from the move on are held by the delivery until its state arrives).
   */
  claim(ws: WebSocket, p: ResumeParams, ip: string): void {
    const host = this.host;
    let moved = false;
    host.bus.claim(p.sessionId, p.connectionId, p.resumeKey, {
      moved: () => {
        moved = true;
        host.delivery.expect(p.sessionId, p.connectionId);
      },
      done: (state) => {
        host.guard(() => {
          const incoming = host.delivery.take(p.connectionId);
          let c: Connection | string = 'unknown connection';
          if (state !== null && moved) {
            const built = isRebuild(state) ? this.#rebuilt(state, p) : this.#imported(state);
            c = this.#adopt(built, p.sessionId, p.connectionId, incoming);
          }
          if (typeof c === 'string') host.refuseResume(ws, p, c);
          else host.resumeOn(c, ws, p, ip);
        });
      },
    });
  }

  /** A connection released by another node (its handed-over state), or why not. */
  #imported(state: HandoffState): Connection | string {
    const { sessions, rate, signalBytes, clock } = this.host;
    const session = sessions.open(state.sessionId as string);
    const c = importConnection(state, session.budget, rate.burst, signalBytes.burst, clock.now());
    return c ?? 'unknown connection';
  }

  /** A connection whose node died, rebuilt from its checkpoint and the session's log (rebuild.ts), or why not. */
  #rebuilt(state: RebuildState, p: ResumeParams): Connection | string {
    const { sessions, rate, signalBytes, replay, clock, log } = this.host;
    const session = sessions.open(p.sessionId);
    const limits = { burst: rate.burst, byteBurst: signalBytes.burst, replay };
    const c = rebuildConnection(state, p.resumeKey, session.budget, limits, clock.now());
    if (typeof c === 'string') {
      log.logger.info({ sessionId: p.sessionId, connectionId: p.connectionId, reason: c }, 'rebuild refused');
      return `could not be rebuilt after its node died: ${c}`;
    }
    return c;
  }

  /**
   * Adopt a connection moved here (handed over or rebuilt), with the events ordered after the
   * move; when it could not be built, it leaves the session (the bus has made this node its home:
   * nobody else will end it).
   */
  #adopt(c: Connection | string, sessionId: string, id: string, incoming: IncomingEvents): Connection | string {
    const host = this.host;
    const session = host.sessions.open(sessionId);
    if (typeof c !== 'string' && (c.id !== id || c.sessionId !== sessionId)) c = 'unknown connection';
    if (typeof c === 'string' || host.shuttingDown()) {
      host.sessions.forgetIfEmpty(sessionId, session);
      host.bus.leave(sessionId, id, host.shuttingDown() ? null : 'networkDisconnected');
      return typeof c === 'string' ? c : 'unknown connection';
    }
    session.set(c.id, c);
    host.byId.set(c.id, c);
    host.delivery.replay(c, incoming);
    host.liveness.arm(c);
    const info = host.log.infoFor(c);
    info?.info({ event: 'movedIn' }, `connection ${c.id} moved here from another node`);
    return c;
  }

  /** Another node claimed this member: its state, or null (destroyed here when it cannot move). */
  release(c: Connection | undefined): HandoffState | null {
    if (c === undefined || c.state === 'closed' || c.state === 'joining') return null;
    if (c.overflowed || c.inFlight.length > 0) {
      // Its held messages are not complete, or requests wait for answers that would come here.
      this.host.destroy(c, 'networkDisconnected', CloseCode.ResumeRefused, 'could not move to another node', true);
      return null;
    }
    const state = exportConnection(c);
    // Gone from here without leaving the session: the bus has made the other node its home.
    this.host.forget(c, CloseCode.Replaced, 'replaced by a newer transport');
    return state;
  }

  /** Hand a connection to the bus for another node to claim (drain 4016), and close its socket. */
  park(c: Connection, code: DrainCode): void {
    const host = this.host;
    if (c.state === 'connected' && !c.announcedReconnecting) {
      c.announcedReconnecting = true;
      host.bus.announce(c.sessionId, { kind: 'connectionReconnecting', connectionId: c.id }, c.id);
    }
    const ws = c.socket;
    if (ws !== null) host.writer.writeNow(c, ws);
    const state = c.overflowed || c.inFlight.length > 0 ? null : exportConnection(c);
    if (state === null) {
      host.destroy(c, 'networkDisconnected', code, drainReason(code), true);
      return;
    }
    host.forget(c, code, drainReason(code));
    host.bus.park(c.sessionId, c.id, state, host.timings.reconnectWindow);
  }
}
