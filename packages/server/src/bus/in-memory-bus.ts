/**
 * The embedded {@link SessionBus}: one process, every call answered before it returns, so a
 * node's requests complete in the tick they arrive (the fast path the benchmarks measure).
 */
import type { ConnectionInfo, DisconnectReason } from '@parley/protocol';
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

/**
 * @example
 * const bus = new InMemoryBus();
 * await createServer({ bus });
 */
export class InMemoryBus implements SessionBus {
  /** sessionId → its members in join order (Map keeps insertion order: oldest first). */
  readonly #sessions = new Map<string, Map<string, ConnectionInfo>>();
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
    done: (result: JoinResult) => void,
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
    done(roster);
    this.#deliver(sessionId, { kind: 'connectionCreated', connection }, connection.connectionId, null);
  }

  leave(sessionId: string, connectionId: string, reason: DisconnectReason | null): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined || !session.delete(connectionId)) return;
    if (session.size === 0) this.#sessions.delete(sessionId);
    else if (reason !== null)
      this.#deliver(sessionId, { kind: 'connectionDestroyed', connectionId, reason }, null, null);
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
    if (!session.delete(connectionId)) {
      done('connection-not-found');
      return;
    }
    this.#listener?.disconnect(sessionId, connectionId, origin);
    if (session.size === 0) this.#sessions.delete(sessionId);
    else {
      const event = { kind: 'connectionDestroyed', connectionId, reason: 'forceDisconnected' } as const;
      this.#deliver(sessionId, event, null, null);
    }
    done('ok');
  }

  #deliver(sessionId: string, event: SessionEvent, except: string | null, to: string | null): void {
    this.#listener?.deliver(sessionId, event, except, to);
  }
}
