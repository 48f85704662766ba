/**
 * Limits and timing defaults, with the numbers PROTOCOL.md documents.
 * The server may be configured with other values; it tells each client the ones in force in `welcome`.
 */

/** Signal type: at most this many characters, all from {@link SIGNAL_TYPE_PATTERN}. (OpenTok: 128.) */
export const MAX_SIGNAL_TYPE_LENGTH = 128;
/** Signal type characters (OpenTok.js's regex: letters, digits, `-`, `_`, `~`, `.`). */
export const SIGNAL_TYPE_PATTERN = /^[A-Za-z0-9\-_~.]+$/;
/** Signal data: at most this many characters (JavaScript string length). (OpenTok: 8192.) */
export const MAX_SIGNAL_DATA_LENGTH = 8192;
/** Connection data carried in a token: at most this many characters. (OpenTok docs: 1000.) */
export const MAX_CONNECTION_DATA_LENGTH = 1000;
/** Largest WebSocket message the server accepts from a client, in bytes. Larger: closed with 1009. */
export const MAX_CLIENT_FRAME_BYTES = 256 * 1024;
/** Most messages one client frame may batch. More: closed with {@link CloseCode.ProtocolError}. */
export const MAX_MESSAGES_PER_FRAME = 256;
/** Longest token accepted, in characters. */
export const MAX_TOKEN_LENGTH = 8192;
/** Longest session ID accepted, in characters. (OpenTok docs: up to 255.) */
export const MAX_SESSION_ID_LENGTH = 255;

/** Timing and buffering defaults the server tells each client in `welcome`/`resumed`. */
export interface SessionTimings {
  /** How often the client sends `ping` (ms). @default 2500 */
  heartbeatInterval: number;
  /** Silence after which either side declares the other dead (ms). @default 7000 */
  heartbeatTimeout: number;
  /** How long a dropped connection may resume (ms); the server keeps it this long. @default 30000 */
  reconnectWindow: number;
}

export const DEFAULT_TIMINGS: Readonly<SessionTimings> = Object.freeze({
  heartbeatInterval: 2500,
  heartbeatTimeout: 7000,
  reconnectWindow: 30_000,
});

/** Bounds of the server's per-connection replay buffer (messages sent but not acknowledged). */
export interface ReplayBounds {
  /** @default 2000 */
  maxMessages: number;
  /** Sum of encoded message lengths, in UTF-16 units. @default 1 MiB */
  maxBytes: number;
}

export const DEFAULT_REPLAY_BOUNDS: Readonly<ReplayBounds> = Object.freeze({
  maxMessages: 2000,
  maxBytes: 1024 * 1024,
});

/** A client acknowledges after this many sequenced messages, or {@link ACK_DELAY_MS} after the first unacknowledged one. */
export const ACK_EVERY_MESSAGES = 64;
export const ACK_DELAY_MS = 50;

/** Per-connection signal rate limit (token bucket). */
export interface RateLimit {
  /** Sustained signals per second. @default 100 */
  perSecond: number;
  /** Bucket size: the burst allowed on top. @default 200 */
  burst: number;
}

export const DEFAULT_SIGNAL_RATE: Readonly<RateLimit> = Object.freeze({ perSecond: 100, burst: 200 });

/** Connections one session may hold. @default 2000 */
export const DEFAULT_MAX_CONNECTIONS_PER_SESSION = 2000;
