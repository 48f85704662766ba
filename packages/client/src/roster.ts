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
export type RosterMessage = Extract<
  ServerMessage,
  { t: 'connectionCreated' | 'connectionDestroyed' | 'connectionReconnecting' | 'connectionReconnected' }
>;

/** Largest sender cache (slots); 64 KiB of pointers. */
const MAX_SENDER_CACHE = 8192;

/** A slot hash of an ID's last five characters (random hex in server-made IDs); NaN-safe for short IDs. */
function slotHash(id: string): number {
  const n = id.length;
  const x =
    id.charCodeAt(n - 1) ^
    (id.charCodeAt(n - 2) << 7) ^
    (id.charCodeAt(n - 3) << 14) ^
    (id.charCodeAt(n - 4) << 21) ^
    (id.charCodeAt(n - 5) << 25);
  const h = Math.imul(x, 0x9e3779b1);
  return h ^ (h >>> 16);
}

/** @internal */
export class Roster {
  private own: Connection | null = null;
  private caps: Capabilities = NO_CAPABILITIES;
  private readonly others = new Map<string, Connection>();
  /**
   * Direct-mapped cache in front of `others` for {@link sender}, indexed by the last characters of
   * the ID; sized to about 8 slots per member (so few IDs share a slot), grown as the session
   * grows. WHY: every signal carries its sender's ID as a string fresh from JSON.parse, and a Map
   * lookup must hash all of it (about 0.16 µs for a 36-character ID, a fifth of the whole receive
   * path); comparing with the one cached candidate costs a tenth of that.
   */
  private recent: (Connection | undefined)[] = [];
  /** `recent[k].connectionId`, kept apart so a probe reads the ID without loading the object first. */
  private recentIds: (string | undefined)[] = [];
  private mask = -1;

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
    this.forgetRecent();
  }

  /** The connection ended: nobody is here any more. */
  clear(): void {
    this.own = null;
    this.caps = NO_CAPABILITIES;
    this.others.clear();
    this.forgetRecent();
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
        this.forgetRecent();
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
    const k = slotHash(connectionId) & this.mask;
    if (this.recentIds[k] === connectionId) return this.recent[k] as Connection;
    const known = this.others.get(connectionId);
    if (known === undefined) return { connectionId, creationTime: 0, data: '' };
    if (this.recent.length < Math.min(MAX_SENDER_CACHE, 8 * this.others.size)) {
      let size = 64;
      while (size < 8 * this.others.size && size < MAX_SENDER_CACHE) size *= 2;
      this.recent = new Array<Connection | undefined>(size).fill(undefined);
      this.recentIds = new Array<string | undefined>(size).fill(undefined);
      this.mask = size - 1;
    }
    const slot = slotHash(connectionId) & this.mask;
    this.recent[slot] = known;
    this.recentIds[slot] = known.connectionId;
    return known;
  }

  private forgetRecent(): void {
    this.recent = [];
    this.recentIds = [];
    this.mask = -1;
  }

  /** Throw 404 unless `connectionId` is ours or another client's. */
  checkKnown(connectionId: string): void {
    if (connectionId !== this.own?.connectionId && !this.others.has(connectionId)) {
      throw ParleyError.notFound(`no connection ${JSON.stringify(connectionId)} in this session`);
    }
  }
}
