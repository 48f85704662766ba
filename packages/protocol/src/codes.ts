/**
 * Error codes and WebSocket close codes: the one table both sides use.
 * Nobody writes one of these numbers by hand anywhere else.
 */

/**
 * Session error codes, with OpenTok's numbers (iOS `OTSessionErrorCode`, OpenTok.js
 * `OT.ExceptionCodes` and, for signal failures, OpenTok.js's HTTP-style signal codes).
 *
 * @example
 * if (err.code === SessionErrorCode.AuthorizationFailure) showLogin();
 */
export enum SessionErrorCode {
  /** The token or API key is invalid, expired, or for another project. */
  AuthorizationFailure = 1004,
  /** The session ID is malformed, unknown, or belongs to another project. */
  InvalidSession = 1005,
  /** The server could not be reached (after the documented number of attempts). */
  ConnectionFailed = 1006,
  /** The action needs a connected session. */
  NotConnected = 1010,
  /** A parameter was missing or invalid. */
  NullOrInvalidParameter = 1011,
  /** A method was called at an illegal time, e.g. `connect()` while connecting or connected. */
  IllegalState = 1015,
  /** Timed out while connecting. */
  ConnectionTimeout = 1021,
  /** An established connection dropped and could not be restored. */
  ConnectionDropped = 1022,
  /** The server refused the connection (e.g. it is shutting down). */
  ConnectionRefused = 1023,
  /** The session holds as many connections as it may. */
  ConnectionLimitExceeded = 1027,
  /** The signal data is longer than the limit (8192 characters). */
  SignalDataTooLong = 1413,
  /** The signal type is too long or has characters outside `[A-Za-z0-9-_~.]`. */
  InvalidSignalType = 1461,
  /** Not permitted to publish (role). */
  UnableToPublish = 1500,
  /** Not permitted to subscribe (role `publisheronly`), or the subscription could not be set up. */
  UnableToSubscribe = 1501,
  /** Not permitted to force a disconnect (not a moderator). */
  UnableToForceDisconnect = 1520,
  /** Not permitted to force an unpublish (not a moderator). */
  UnableToForceUnpublish = 1530,
  /** Force unpublish of a stream that does not exist (OpenTok's 1535). */
  ForceUnpublishInvalidStream = 1535,
  /** Not permitted to force mute (not a moderator). */
  UnableToForceMute = 1540,
  /** A WebRTC failure on the subscriber's side (iOS `OTSubscriberWebRTCError`). */
  SubscriberWebRTCError = 1600,
  /** The stream does not exist (any more) in the session (iOS `OTSubscriberServerCannotFindStream`). */
  StreamNotFound = 1604,
  /**
   * The stream has as many subscribers as it may: a relayed (mesh) session's limit,
   * `MAX_RELAYED_SUBSCRIBERS` (OpenTok.js `STREAM_LIMIT_EXCEEDED`).
   */
  StreamLimitExceeded = 1605,
  /** A WebRTC failure on the publisher's side (iOS `OTPublisherWebRTCError`). */
  PublisherWebRTCError = 1610,
  /** The signal could not be sent (e.g. the role may not signal). */
  UnableToSendSignal = 1550,
  /** The target connection (signal `to`, forceDisconnect) does not exist in the session (OpenTok.js `OT_NOT_FOUND`). */
  NotFound = 404,
  /** Too many signals too fast (OpenTok.js `OT_RATE_LIMIT_EXCEEDED`). */
  RateLimitExceeded = 429,
  /** Something broke inside Parley. */
  InternalError = 2000,
}

/**
 * WebSocket close codes the server (and client) use. 1000–1015 are RFC 6455; 4000–4999 are Parley's.
 * See PROTOCOL.md §Close codes.
 */
export enum CloseCode {
  /** Clean close after the client's `bye`. */
  Normal = 1000,
  /** Sent by a browser when its page unloads: the client left, as with `bye` (PROTOCOL.md §Leaving). */
  GoingAway = 1001,
  /**
   * Never sent: what the WebSocket layer reports when the connection died without a close frame
   * (RFC 6455), and what the client reports when a socket never opened or never answered.
   */
  AbnormalClosure = 1006,
  /** A frame over the size limit (set by the WebSocket layer). */
  MessageTooBig = 1009,
  /** No frame arrived within the heartbeat timeout. */
  HeartbeatTimeout = 4001,
  /** A malformed frame, an unknown message type, or a field of the wrong type. */
  ProtocolError = 4002,
  /** The client's protocol version is not supported. */
  UnsupportedVersion = 4003,
  /** The token is invalid, expired, for another session or another project. */
  AuthenticationFailed = 4004,
  /** The session ID is malformed, unknown, or belongs to another project. */
  InvalidSession = 4005,
  /** A newer transport resumed this connection; this socket is obsolete. */
  Replaced = 4006,
  /** The server no longer knows the connection, or the resume key or position is wrong. */
  ResumeRefused = 4010,
  /** A moderator (or the REST API) disconnected this connection. */
  ForceDisconnected = 4012,
  /**
   * The service is shutting down for good (SIGTERM of a single node, the default): terminal, the
   * client fails with `serverShutdown`. Compare {@link NodeDraining}.
   */
  ServerShutdown = 4013,
  /** The client stopped acknowledging and the server's replay buffer overflowed. */
  BufferOverflow = 4014,
  /**
   * The client did not read what the server wrote: the socket's unsent bytes passed the bound
   * (`DEFAULT_MAX_UNSENT_BYTES`). Not terminal: the connection may resume within the reconnect window.
   */
  SlowReader = 4015,
  /**
   * This node is going away but the service is not (a rolling restart of a cluster): not terminal,
   * the client resumes (through the same URL, which reaches another node) within the reconnect
   * window, or joins again if it was still joining. Clients built before this code existed do the
   * same, because every code not in {@link isTerminalClose} means "resume".
   */
  NodeDraining = 4016,
  /** The session holds as many connections as it may. */
  ConnectionLimitExceeded = 4027,
  /** The client kept sending far past its rate limit. */
  Flood = 4029,
}

/** True for a code of Parley's own range (4000–4999): the codes a peer may send in a close frame besides 1000. */
export function isParleyCloseCode(code: number): boolean {
  return code >= 4000 && code <= 4999;
}

/** Close codes after which a client must not try to resume: the connection is over. */
export function isTerminalClose(code: number): boolean {
  switch (code) {
    case CloseCode.Normal:
    case CloseCode.ProtocolError:
    case CloseCode.UnsupportedVersion:
    case CloseCode.AuthenticationFailed:
    case CloseCode.InvalidSession:
    case CloseCode.Replaced:
    case CloseCode.ResumeRefused:
    case CloseCode.ForceDisconnected:
    case CloseCode.ServerShutdown:
    case CloseCode.BufferOverflow:
    case CloseCode.ConnectionLimitExceeded:
    case CloseCode.Flood:
      return true;
    default:
      return false;
  }
}

/** The error code a client reports for a close code received while connecting (the join handshake). */
export function connectErrorForClose(code: number): SessionErrorCode {
  switch (code) {
    case CloseCode.AuthenticationFailed:
      return SessionErrorCode.AuthorizationFailure;
    case CloseCode.InvalidSession:
      return SessionErrorCode.InvalidSession;
    case CloseCode.ConnectionLimitExceeded:
      return SessionErrorCode.ConnectionLimitExceeded;
    case CloseCode.ServerShutdown:
      return SessionErrorCode.ConnectionRefused;
    case CloseCode.ProtocolError:
    case CloseCode.UnsupportedVersion:
      return SessionErrorCode.InternalError;
    default:
      return SessionErrorCode.ConnectionFailed;
  }
}

/** Why a connection ended, as `connectionDestroyed.reason` and `sessionDisconnected.reason` carry it (OpenTok's strings, plus `serverShutdown`). */
export type DisconnectReason = 'clientDisconnected' | 'forceDisconnected' | 'networkDisconnected' | 'serverShutdown';

export const DISCONNECT_REASONS: readonly DisconnectReason[] = [
  'clientDisconnected',
  'forceDisconnected',
  'networkDisconnected',
  'serverShutdown',
];
