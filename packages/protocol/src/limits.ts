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

/**
 * Bounds of the server's per-connection replay buffer (messages sent but not acknowledged).
 * A healthy consumer (acks every {@link ACK_EVERY_MESSAGES} / {@link ACK_DELAY_MS}) has at most
 * one session burst plus about a second of the session's sustained rate outstanding
 * ({@link DEFAULT_SESSION_SIGNAL_BUDGET}: 1,000 + 1,000 messages, 4 + 2 MiB); the bounds are twice
 * that. Past them the connection is closed with `CloseCode.BufferOverflow` (4014). PROTOCOL.md
 * §Flow control has the arithmetic.
 */
export interface ReplayBounds {
  /** @default 4096 */
  maxMessages: number;
  /**
   * Sum of encoded message lengths, in UTF-16 units (a JSON escape such as `\u0001` counts 6;
   * never more than the UTF-8 bytes the signal budgets charge). @default 8 MiB
   */
  maxBytes: number;
}

export const DEFAULT_REPLAY_BOUNDS: Readonly<ReplayBounds> = Object.freeze({
  maxMessages: 4096,
  maxBytes: 8 * 1024 * 1024,
});

/**
 * Unsent bytes one socket may hold at the server (WebSocket `bufferedAmount` after a write:
 * written by the core, not yet taken by the kernel because the peer does not read). Past it the
 * transport is closed with `CloseCode.SlowReader` (4015); the connection may resume within the
 * reconnect window. Twice the replay bound: an honest client's unsent bytes are part of what it
 * has not acknowledged (at most {@link DEFAULT_REPLAY_BOUNDS}`.maxBytes`) plus its `welcome`.
 */
export const DEFAULT_MAX_UNSENT_BYTES = 16 * 1024 * 1024;

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

/**
 * Per-connection signal byte budget (token bucket in bytes): each accepted signal costs the UTF-8
 * bytes of the encoded `signal` message its receivers get (JSON escapes included: a `\u0001`
 * character costs 6). Refused: `nack` 429. The burst holds a full {@link DEFAULT_SIGNAL_RATE}
 * burst of maximum-length ASCII signals (200 × ~8.3 KB ≈ 1.66 MB).
 */
export interface ByteRate {
  /** Sustained bytes per second. @default 1 MiB */
  perSecond: number;
  /** Bucket size in bytes. @default 2 MiB */
  burst: number;
}

export const DEFAULT_SIGNAL_BYTE_RATE: Readonly<ByteRate> = Object.freeze({
  perSecond: 1024 * 1024,
  burst: 2 * 1024 * 1024,
});

/**
 * Per-session signal budget shared by all its senders (two token buckets: messages and bytes,
 * bytes counted as in {@link ByteRate}). It bounds what any one receiver can be sent before it
 * can acknowledge, however many members send at once. Refused: `nack` 429.
 */
export interface SessionSignalBudget {
  /** Sustained signals per second, all senders together. @default 1000 */
  perSecond: number;
  /** Signals in one burst. @default 1000 */
  burst: number;
  /** Sustained signal bytes per second. @default 2 MiB */
  bytesPerSecond: number;
  /** Signal bytes in one burst. @default 4 MiB */
  byteBurst: number;
}

export const DEFAULT_SESSION_SIGNAL_BUDGET: Readonly<SessionSignalBudget> = Object.freeze({
  perSecond: 1000,
  burst: 1000,
  bytesPerSecond: 2 * 1024 * 1024,
  byteBurst: 4 * 1024 * 1024,
});

/** Connections one session may hold. @default 2000 */
export const DEFAULT_MAX_CONNECTIONS_PER_SESSION = 2000;
