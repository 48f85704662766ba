/**
 * The data types of the public API: connections, streams, the status enum, signal options.
 */
import type { DisconnectReason, VideoDimensions, VideoType } from '@parley/protocol';

/**
 * A client in the session (ours is `session.connection`; the others are in `session.connections`).
 * @example session.on('connectionCreated', ({ connection }) => console.log(connection.connectionId, JSON.parse(connection.data)));
 */
export interface Connection {
  readonly connectionId: string;
  /** Milliseconds since the epoch. */
  readonly creationTime: number;
  /** The connection data from the token ('' when none). */
  readonly data: string;
}

/**
 * A published media stream (OpenTok's Stream). The same object for the stream's whole life: its
 * `hasAudio`, `hasVideo` and `videoDimensions` change in place (`streamPropertyChanged` says when).
 * @example session.on('streamCreated', ({ stream }) => session.subscribe(stream));
 */
export interface Stream {
  readonly streamId: string;
  /** The connection that publishes it. */
  readonly connection: Connection;
  /** Milliseconds since the epoch. */
  readonly creationTime: number;
  readonly name: string;
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
  readonly videoType: VideoType;
  readonly videoDimensions: VideoDimensions;
}

/**
 * The session's connection status (iOS `OTSessionConnectionStatus`, same numbers).
 * @example if (session.connectionStatus === SessionConnectionStatus.Reconnecting) showBanner();
 */
export enum SessionConnectionStatus {
  /** Not connected: before `connect()`, after `disconnect()`, after a failed `connect()`, after a force disconnect. */
  NotConnected = 0,
  /** Connected: `session.connection` is set; signals go out at once. */
  Connected = 1,
  /** `connect()` is in progress. */
  Connecting = 2,
  /** The transport dropped; resuming the same connection inside the reconnect window. */
  Reconnecting = 3,
  /** `disconnect()` is in progress. */
  Disconnecting = 4,
  /** An established connection was lost for good (error 1022 was reported). `connect()` may be called again. */
  Failed = 5,
}

/**
 * Why the session disconnected (`sessionDisconnected.reason`); OpenTok's strings plus `serverShutdown`.
 * @example session.on('sessionDisconnected', ({ reason }) => { if (reason === 'networkDisconnected') offerRetry(); });
 */
export type SessionDisconnectReason = DisconnectReason;

/**
 * Options of `session.signal()`.
 * @example await session.signal({ type: 'chat', data: 'hi', to: someone, retryAfterReconnect: false });
 */
export interface SignalOptions {
  /** Up to 128 characters of `[A-Za-z0-9-_~.]`; absent or '' means no type. */
  type?: string;
  /** Up to 8192 characters. */
  data?: string;
  /** One recipient (a Connection or its ID); absent means everyone, including us. */
  to?: Connection | string;
  /** While reconnecting: queue the signal and send it after the resume (true) or reject at once with 1010 (false). @default true */
  retryAfterReconnect?: boolean;
}
