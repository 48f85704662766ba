/** What every system under test looks like to the scenarios. */

export type SystemName = 'floor' | 'socketio' | 'parley';
export const SYSTEMS: readonly SystemName[] = ['floor', 'socketio', 'parley'];

/** What a server worker reports when it is listening. */
export interface ServerInfo {
  system: SystemName;
  port: number;
  /** http base URL */
  url: string;
  /** Parley only: the bench project's credentials (the load side mints tokens, as an app server would). */
  apiKey?: string;
  apiSecret?: string;
  /** Parley only: the server options the bench used (limits raised), echoed into the results. */
  options?: unknown;
}

/** Everything a load process needs to join one room/session. */
export interface JoinSpec {
  server: ServerInfo;
  room: string;
}

/** Server-side figures, measured inside the server process. */
export interface ServerStats {
  /** process.cpuUsage() in ms, cumulative */
  cpuUserMs: number;
  cpuSystemMs: number;
  /** process.memoryUsage() after global.gc() when `gc` was asked */
  rss: number;
  heapUsed: number;
  at: number;
}

export type PresenceKind = 'created' | 'destroyed' | 'reconnecting' | 'reconnected';

export interface ClientHooks {
  data?: (data: string) => void;
  /** The transport dropped and the client is trying to come back. */
  reconnecting?: () => void;
  /** Back: Parley resumed; ws/Socket.IO re-joined. */
  reconnected?: () => void;
  /** Presence events about OTHER members (Parley only: the peers have none). */
  presence?: (kind: PresenceKind, connectionId: string) => void;
}

export interface ClientOptions {
  /** Come back by itself after a transport loss (Parley: resume; ws: reconnect at once; Socket.IO: its default backoff). */
  reconnect?: boolean;
  /** Parley only: use the lean raw-protocol client instead of the real Session. */
  lean?: boolean;
}

export interface BenchClient {
  readonly id: string;
  /** Broadcast to the room, sender included. */
  send(data: string): void;
  close(): Promise<void>;
}
