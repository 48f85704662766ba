/**
 * The embedded {@link SessionBus}: one process, every call answered before it returns, so a
 * node's requests complete in the tick they arrive (the fast path the benchmarks measure).
 */
import type { ConnectionInfo, DisconnectReason, StreamInfo } from '@parley/protocol';
import type { MetricFamily } from '../metrics/metric-family.js';
import type {
  BusListener,
  ClaimCallbacks,
  DisconnectOrigin,
  JoinResult,
  OpResult,
  SessionBus,
  SessionEvent,
  SignalEvent,
} from './session-bus.js';
import {
  applyStreamOp,
  leaveStreams,
  newSessionStreams,
  streamInfos,
  type Outgoing,
  type SessionStreams,
  type StreamOp,
  type StreamOpResult,
} from './stream-ops.js';

/**
 * @example
 * const bus = new InMemoryBus();
 * await createServer({ bus });
 */
export class InMemoryBus implements SessionBus {
  /** sessionId → its members in join order (Map keeps insertion order: oldest first). */
  readonly #sessions = new Map<string, Map<string, ConnectionInfo>>();
  /** sessionId → its streams (only while it has members). */
  readonly #streams = new Map<string, SessionStreams>();
  /** The one endpoint of this node: every member is its member. */
  #listener: BusListener | undefined;

  listen(listener: BusListener): void {
    if (this.#listener !== undefined) throw new Error('an InMemoryBus serves one endpoint (one server)');
    this.#listener = listener;
  }

  join(
    sessionId: string,
    connection: ConnectionInfo,
    _resumeKey: string,
    maxMembers: number,
    done: (result: JoinResult, streams?: readonly StreamInfo[]) => void,
  ): void {
    let session = this.#sessions.get(sessionId);
    if (session !== undefined && session.size >= maxMembers) {
      done('full');
      return;
    }
    const roster: ConnectionInfo[] = [];
    if (session === undefined) this.#sessions.set(sessionId, (session = new Map<string, ConnectionInfo>()));
    else for (const info of session.values()) roster.push(info);
    session.set(connection.connectionId, connection);
    done(roster, streamInfos(this.#streams.get(sessionId)));
    this.#deliver(sessionId, { kind: 'connectionCreated', connection }, connection.connectionId, null);
  }

  leave(sessionId: string, connectionId: string, reason: DisconnectReason | null): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined || !session.has(connectionId)) return;
    this.#leaveStreams(sessionId, connectionId, reason);
    session.delete(connectionId);
    if (session.size === 0) this.#forget(sessionId);
    else if (reason !== null)
      this.#deliver(sessionId, { kind: 'connectionDestroyed', connectionId, reason }, null, null);
  }

  stream(sessionId: string, op: StreamOp, done: (result: StreamOpResult) => void): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) {
      done(op.op === 'list' ? { ok: true, streams: [] } : { ok: false, error: 'session-not-found' });
      return;
    }
    let state = this.#streams.get(sessionId);
    if (state === undefined) this.#streams.set(sessionId, (state = newSessionStreams()));
    const { result, out } = applyStreamOp(state, op, (id) => session.has(id));
    this.#send(sessionId, out);
    done(result);
  }

  announce(sessionId: string, event: SessionEvent, except: string | null): void {
    if (this.#sessions.has(sessionId)) this.#deliver(sessionId, event, except, null);
  }

  signal(sessionId: string, event: SignalEvent, to: string | null, done: (result: OpResult) => void): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) {
      done('session-not-found');
      return;
    }
    if ((event.from !== null && !session.has(event.from)) || (to !== null && !session.has(to))) {
      done('connection-not-found');
      return;
    }
    this.#deliver(sessionId, event, null, to);
    done('ok');
  }

  /** One node: a connection this node does not know is known nowhere. */
  claim(_sessionId: string, _connectionId: string, _resumeKey: string, callbacks: ClaimCallbacks): void {
    callbacks.done(null);
  }

  park(sessionId: string, connectionId: string): void {
    this.leave(sessionId, connectionId, null);
  }

  forceDisconnect(
    sessionId: string,
    connectionId: string,
    origin: DisconnectOrigin,
    done: (result: OpResult) => void,
  ): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) {
      done('session-not-found');
      return;
    }
    if (!session.has(connectionId)) {
      done('connection-not-found');
      return;
    }
    this.#leaveStreams(sessionId, connectionId, 'forceDisconnected');
    session.delete(connectionId);
    this.#listener?.disconnect(sessionId, connectionId, origin);
    if (session.size === 0) this.#forget(sessionId);
    else {
      const event = { kind: 'connectionDestroyed', connectionId, reason: 'forceDisconnected' } as const;
      this.#deliver(sessionId, event, null, null);
    }
    done('ok');
  }

  /** `parley_streams` and `parley_stream_subscribers`: counted on scrape (nothing per operation). */
  metricFamilies(): readonly MetricFamily[] {
    const count = (per: (state: SessionStreams) => number) => () => {
      let n = 0;
      for (const state of this.#streams.values()) n += per(state);
      return n;
    };
    return [
      {
        name: 'streams',
        help: 'Streams published now in the sessions of this node.',
        type: 'gauge',
        read: count((state) => state.streams.size),
      },
      {
        name: 'stream_subscribers',
        help: 'Subscriptions open now in the sessions of this node.',
        type: 'gauge',
        read: count((state) => {
          let n = 0;
          for (const r of state.streams.values()) n += Object.keys(r.subscribers).length;
          return n;
        }),
      },
    ];
  }

  #leaveStreams(sessionId: string, connectionId: string, reason: DisconnectReason | null): void {
    const state = this.#streams.get(sessionId);
    if (state !== undefined) this.#send(sessionId, leaveStreams(state, connectionId, reason));
  }

  #forget(sessionId: string): void {
    this.#sessions.delete(sessionId);
    this.#streams.delete(sessionId);
  }

  #send(sessionId: string, out: readonly Outgoing[]): void {
    for (const o of out) this.#deliver(sessionId, o.event, o.except, o.to);
  }

  #deliver(sessionId: string, event: SessionEvent, except: string | null, to: string | null): void {
    this.#listener?.deliver(sessionId, event, except, to);
  }
}
