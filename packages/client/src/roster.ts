/**
 * Who is in the session: our own connection, what our role may do, and the other clients. Fed by
 * `welcome` and by the sequenced `connection*` messages; it fires `connectionCreated`,
 * `connectionDestroyed`, `connectionReconnecting` and `connectionReconnected` through the
 * session's dispatch. It never fires for our own connection.
 */
import { capabilitiesFor, NO_CAPABILITIES, type Capabilities, type Role, type ServerMessage } from '@parley/protocol';
import type { Dispatch } from './dispatch.js';
import { ParleyError } from './errors.js';
import type { Session } from './session.js';
import type { Connection } from './types.js';

/** The server messages that change the roster. @internal */
export type RosterMessage = Extract<ServerMessage, { t: 'connectionCreated' | 'connectionDestroyed' | 'connectionReconnecting' | 'connectionReconnected' }>;

/** @internal */
export class Roster {
  private own: Connection | null = null;
  private caps: Capabilities = NO_CAPABILITIES;
  private readonly others = new Map<string, Connection>();

  constructor(
    private readonly target: Session,
    private readonly dispatch: Dispatch,
  ) {}

  /** Our own connection; null until connected. */
  get connection(): Connection | null {
    return this.own;
  }

  /** The other clients, by connection ID (the same live map for the session's whole life). */
  get connections(): ReadonlyMap<string, Connection> {
    return this.others;
  }

  /** What our role may do; NO_CAPABILITIES until connected. */
  get capabilities(): Capabilities {
    return this.caps;
  }

  /** A `welcome`: who we are now. The others already present are {@link add}ed one by one afterwards. */
  join(connection: Connection, role: Role): void {
    this.own = connection;
    this.caps = capabilitiesFor(role);
    this.others.clear();
  }

  /** The connection ended: nobody is here any more. */
  clear(): void {
    this.own = null;
    this.caps = NO_CAPABILITIES;
    this.others.clear();
  }

  /** Another client is here: remember it and fire `connectionCreated` (once per client, never for us). */
  add(connection: Connection): void {
    if (connection.connectionId === this.own?.connectionId || this.others.has(connection.connectionId)) return;
    this.others.set(connection.connectionId, connection);
    this.dispatch('connectionCreated', { target: this.target, connection });
  }

  /** Apply a `connection*` message from the server. */
  apply(message: RosterMessage): void {
    if (message.t === 'connectionCreated') {
      this.add(message.connection);
      return;
    }
    const connection = this.others.get(message.connectionId);
    if (connection === undefined) return;
    switch (message.t) {
      case 'connectionDestroyed':
        this.others.delete(message.connectionId);
        this.dispatch('connectionDestroyed', { target: this.target, connection, reason: message.reason });
        return;
      case 'connectionReconnecting':
      case 'connectionReconnected':
        this.dispatch(message.t, { target: this.target, connection });
        return;
    }
  }

  /** The sender of a signal; the server sends connectionCreated first, so an unknown ID is a stand-in. */
  sender(connectionId: string): Connection {
    if (connectionId === this.own?.connectionId) return this.own;
    return this.others.get(connectionId) ?? { connectionId, creationTime: 0, data: '' };
  }

  /** Throw 404 unless `connectionId` is ours or another client's. */
  checkKnown(connectionId: string): void {
    if (connectionId !== this.own?.connectionId && !this.others.has(connectionId)) {
      throw ParleyError.notFound(`no connection ${JSON.stringify(connectionId)} in this session`);
    }
  }
}
