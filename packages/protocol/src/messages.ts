/**
 * Every message of the wire protocol, as a discriminated union on `t`.
 * PROTOCOL.md describes the framing, the handshake and the sequencing rules.
 */
import type { WireCapability } from './capabilities.js';
import type { DisconnectReason } from './codes.js';
import type { Role } from './roles.js';
import {
  isStreamRequestType,
  type IceServerInfo,
  type MediaMode,
  type StreamClientRequest,
  type StreamInfo,
  type StreamServerMessage,
} from './streams.js';

/** A client in a session, as the wire carries it (and as `Connection` exposes it). */
export interface ConnectionInfo {
  readonly connectionId: string;
  /** Milliseconds since the epoch. */
  readonly creationTime: number;
  /** The connection data from the token ('' when none). */
  readonly data: string;
}

/** Limits the server enforces, told to the client in `welcome`. */
export interface WireLimits {
  readonly maxSignalTypeLength: number;
  readonly maxSignalDataLength: number;
  readonly maxClientFrameBytes: number;
}

// ---------------------------------------------------------------- server → client

/** First message on a new connection (not sequenced): who we are and who is here. */
export interface WelcomeMessage {
  readonly t: 'welcome';
  /** Protocol version. */
  readonly v: 1;
  readonly connection: ConnectionInfo;
  readonly role: Role;
  /** The other connections already in the session, oldest first. */
  readonly connections: readonly ConnectionInfo[];
  /** Secret that authorises a resume of this connection. */
  readonly resumeKey: string;
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  readonly reconnectWindow: number;
  readonly limits: WireLimits;
  /**
   * The capabilities granted to this connection for its whole life (resumes keep them): those the
   * client declared in the handshake that the server has too (PROTOCOL.md §Evolution). A server
   * built before capabilities sends none; read absent as empty.
   */
  readonly caps?: readonly WireCapability[];
  /** Capability `streams`: the session's streams when we joined, oldest first. */
  readonly streams?: readonly StreamInfo[];
  /** Capability `streams`: how this session carries media (absent: relayed). */
  readonly mediaMode?: MediaMode;
  /** Capability `streams`: the STUN/TURN servers to give every peer connection (absent: none). */
  readonly iceServers?: readonly IceServerInfo[];
}

/** First message on a resumed transport (not sequenced). */
export interface ResumedMessage {
  readonly t: 'resumed';
  /** The highest client request sequence number the server has processed. */
  readonly ack: number;
  /** The sequence number of the next sequenced message the server sends (client's ack + 1). */
  readonly next: number;
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  readonly reconnectWindow: number;
}

/** Reply to `ping` (not sequenced). */
export interface PongMessage {
  readonly t: 'pong';
}

/** Cumulative acknowledgement: every client request with `s <= a` has been processed (not sequenced). */
export interface AckMessage {
  readonly t: 'ack';
  readonly a: number;
}

/** A client request failed (sequenced; comes before the `ack` that covers `r`). */
export interface NackMessage {
  readonly t: 'nack';
  /** The request's sequence number. */
  readonly r: number;
  readonly code: number;
  readonly message: string;
}

/** A JSON value, as a `reply` carries it. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * A client request succeeded with a result (sequenced; comes before the `ack` that covers `r`,
 * exactly like `nack`). Only sent to a connection granted the `reply` capability.
 */
export interface ReplyMessage {
  readonly t: 'reply';
  /** The request's sequence number. */
  readonly r: number;
  /** The result; absent when the request has none. */
  readonly data?: JsonValue;
}

/** A signal delivered to this client (sequenced). `from` is null when the server (REST) sent it. */
export interface SignalMessage {
  readonly t: 'signal';
  readonly from: string | null;
  readonly type?: string;
  readonly data?: string;
}

export interface ConnectionCreatedMessage {
  readonly t: 'connectionCreated';
  readonly connection: ConnectionInfo;
}

export interface ConnectionDestroyedMessage {
  readonly t: 'connectionDestroyed';
  readonly connectionId: string;
  readonly reason: DisconnectReason;
}

/** Another client's transport dropped; the server holds its connection for the reconnect window. */
export interface ConnectionReconnectingMessage {
  readonly t: 'connectionReconnecting';
  readonly connectionId: string;
}

/** Another client resumed its connection. */
export interface ConnectionReconnectedMessage {
  readonly t: 'connectionReconnected';
  readonly connectionId: string;
}

/** Messages that carry an implicit, per-connection sequence number (1, 2, 3, …), are replayed on resume, and are acknowledged by the client. */
export type SequencedServerMessage =
  | NackMessage
  | ReplyMessage
  | SignalMessage
  | ConnectionCreatedMessage
  | ConnectionDestroyedMessage
  | ConnectionReconnectingMessage
  | ConnectionReconnectedMessage
  | StreamServerMessage;

export type ServerMessage = WelcomeMessage | ResumedMessage | PongMessage | AckMessage | SequencedServerMessage;

export type ServerMessageType = ServerMessage['t'];

// ---------------------------------------------------------------- client → server

/** Send a signal to the whole session (no `to`) or to one connection. Request: `s` is its sequence number. */
export interface SignalRequest {
  readonly t: 'signal';
  readonly s: number;
  readonly type?: string;
  readonly data?: string;
  readonly to?: string;
}

/** Moderator request: disconnect another connection. */
export interface ForceDisconnectRequest {
  readonly t: 'forceDisconnect';
  readonly s: number;
  readonly connectionId: string;
}

/**
 * Ask for the server's clock (capability `reply`): answered by `reply {r: s, data: {now}}` with
 * `now` in milliseconds since the epoch, so a client can estimate its offset from the server.
 */
export interface TimeRequest {
  readonly t: 'time';
  readonly s: number;
}

/** Cumulative acknowledgement of sequenced server messages: every one up to `a` has been received. */
export interface ClientAckMessage {
  readonly t: 'ack';
  readonly a: number;
}

/** Liveness probe; also acknowledges like `ack`. The server answers `pong`. */
export interface PingMessage {
  readonly t: 'ping';
  readonly a: number;
}

/** The client is leaving; the server destroys the connection (reason `clientDisconnected`) and closes with 1000. */
export interface ByeMessage {
  readonly t: 'bye';
}

/** Client messages that carry an explicit sequence number `s` and get an `ack` (or a `nack`). */
export type ClientRequest = SignalRequest | ForceDisconnectRequest | TimeRequest | StreamClientRequest;

export type ClientMessage = ClientRequest | ClientAckMessage | PingMessage | ByeMessage;

export type ClientMessageType = ClientMessage['t'];

const SEQUENCED: ReadonlySet<string> = new Set<SequencedServerMessage['t']>([
  'nack',
  'reply',
  'signal',
  'connectionCreated',
  'connectionDestroyed',
  'connectionReconnecting',
  'connectionReconnected',
  'streamCreated',
  'streamDestroyed',
  'streamPropertyChanged',
  'muteForced',
  'media',
  'subscriptionEnded',
]);

/** True for server messages that take a sequence number (see PROTOCOL.md §Sequencing). */
export function isSequenced(message: ServerMessage): message is SequencedServerMessage {
  return SEQUENCED.has(message.t);
}

/** True for client messages that are requests (carry `s`). */
export function isRequest(message: ClientMessage): message is ClientRequest {
  return (
    message.t === 'signal' || message.t === 'forceDisconnect' || message.t === 'time' || isStreamRequestType(message.t)
  );
}
