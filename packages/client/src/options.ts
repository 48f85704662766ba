/**
 * Session options: every field documented with its default, validated once at construction.
 */
import { WS_PATH } from '@parley/protocol';
import { ParleyError, SessionErrorCode } from './errors.js';
import { defaultReconnectPolicy, type ReconnectPolicy } from './reconnect-policy.js';
import { defaultWebRtc, type WebRtc } from './webrtc.js';
import { defaultWebSocket, missingWebSocketReason, type WebSocketConstructor } from './websocket.js';

/**
 * A wall clock. Liveness and the reconnect window are wall-clock deadlines, so a test can move time.
 * @example const clock: Clock = { now: () => fakeNow };
 */
export interface Clock {
  now(): number;
}

/**
 * Timer functions, injectable so tests can drive time.
 * @example const timers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as never) };
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * What a listener or delegate threw, reported instead of breaking the session.
 * @example const onListenerError: ListenerErrorHook = (error, event) => Sentry.captureException(error, { extra: { event } });
 */
export type ListenerErrorHook = (error: unknown, event: string) => void;

/**
 * Options of a {@link Session}.
 * @example
 * new Session(apiKey, sessionId, delegate, { url: 'https://parley.example.com', connectRetryDelays: [100, 200] });
 */
export interface SessionOptions {
  /**
   * Server base URL, `http(s)://` or `ws(s)://`; the client connects to `ws(s)://HOST/v1/ws`, or
   * to `ws(s)://HOST/PREFIX/v1/ws` for a URL with a path (`https://host/parley`: a server behind
   * a proxy that routes by path). A URL that already ends with `/v1/ws` is used as it is; a query
   * or fragment is ignored.
   * @default `location.origin` in a browser; required in Node
   */
  url?: string;
  /** WebSocket implementation. @default the `ws` package in Node, `globalThis.WebSocket` in a browser */
  WebSocket?: WebSocketConstructor;
  /** Wall clock. @default `{ now: Date.now }` */
  clock?: Clock;
  /** Timer functions. @default the global `setTimeout`/`clearTimeout` */
  timers?: Timers;
  /** Attempts to open the socket when connecting before failing with 1006. @default 3 */
  connectAttempts?: number;
  /** Waits between connect attempts (ms); the last entry repeats. @default [250, 500] */
  connectRetryDelays?: readonly number[];
  /** How long one socket may take to answer `welcome`/`resumed` (ms); a resume attempt is also capped by what is left of the reconnect window. @default 5000 */
  openTimeout?: number;
  /** When to retry a resume. @default {@link defaultReconnectPolicy}() — first at once, then full-jitter backoff, base 250 ms, cap 5000 ms */
  reconnectPolicy?: ReconnectPolicy;
  /** How long `disconnect()` waits for the server to close after `bye` (ms). @default 2000 */
  disconnectTimeout?: number;
  /** Watch the page lifecycle (freeze, pagehide, online, visibilitychange) in a browser. @default true */
  pageLifecycle?: boolean;
  /** Called when a listener or delegate method throws. @default logs with `console.error` */
  onListenerError?: ListenerErrorHook;
  /**
   * The WebRTC implementation publishers and subscribers use (`{ RTCPeerConnection, MediaStream }`).
   * @default the browser's own; in Node, none: pass `@roamhq/wrtc` to publish or subscribe
   */
  webrtc?: WebRtc;
}

/** Options with defaults applied. @internal */
export interface ResolvedOptions {
  readonly url: string;
  readonly WebSocket: WebSocketConstructor;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly connectAttempts: number;
  readonly connectRetryDelays: readonly number[];
  readonly openTimeout: number;
  readonly reconnectPolicy: ReconnectPolicy;
  readonly disconnectTimeout: number;
  readonly pageLifecycle: boolean;
  readonly onListenerError: ListenerErrorHook;
  readonly webrtc: WebRtc | undefined;
}

/**
 * Turn a server base URL into the client WebSocket endpoint. A path in the base URL is kept as a
 * prefix (a trailing slash or not), for a server behind a proxy that routes by path.
 * @example toWebSocketUrl('https://parley.example.com') // 'wss://parley.example.com/v1/ws'
 * @example toWebSocketUrl('https://example.com/parley/') // 'wss://example.com/parley/v1/ws'
 */
export function toWebSocketUrl(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch (cause) {
    throw new ParleyError(SessionErrorCode.NullOrInvalidParameter, `options.url ${JSON.stringify(base)} is not a URL`, {
      cause,
    });
  }
  const protocols: Record<string, string> = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' };
  const protocol = protocols[url.protocol];
  if (protocol === undefined) {
    throw ParleyError.invalidParameter(
      `options.url must start with http://, https://, ws:// or wss://; got ${JSON.stringify(base)}`,
    );
  }
  let prefix = url.pathname.replace(/\/+$/, '');
  // A URL that already names the endpoint (`wss://host/v1/ws`) is taken as it is.
  if (prefix.endsWith(WS_PATH)) prefix = prefix.slice(0, -WS_PATH.length);
  return `${protocol}//${url.host}${prefix}${WS_PATH}`;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw ParleyError.invalidParameter(`options.${name} must be a non-negative number; got ${String(value)}`);
  }
  return value;
}

const globalTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => {
    globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Check the Session constructor's arguments (the public API is called from plain JavaScript too) and return the API key as a string; throws 1011. @internal */
export function checkSessionArguments(apiKey: unknown, sessionId: unknown, delegate: unknown): string {
  // A number is accepted as the server SDK and OpenTok accept it: many apps store the key as one.
  if (typeof apiKey === 'number') {
    if (!Number.isSafeInteger(apiKey) || apiKey < 0)
      throw ParleyError.invalidParameter(`apiKey must be a string or a non-negative integer; got ${apiKey}`);
    apiKey = String(apiKey);
  }
  if (typeof apiKey !== 'string') throw ParleyError.invalidParameter('apiKey must be a string or a number');
  if (typeof sessionId !== 'string') throw ParleyError.invalidParameter('sessionId must be a string');
  if (delegate !== undefined && (typeof delegate !== 'object' || delegate === null)) {
    throw ParleyError.invalidParameter('delegate must be an object or undefined');
  }
  return apiKey;
}

/** Apply defaults and check every option; throws a ParleyError (1011) naming the first misuse. @internal */
export function resolveOptions(options: SessionOptions = {}): ResolvedOptions {
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
  const base = options.url ?? origin;
  if (base === undefined || base === 'null') {
    throw ParleyError.invalidParameter(
      'options.url is required outside a browser (e.g. { url: "http://127.0.0.1:8720" })',
    );
  }
  const WebSocket = options.WebSocket ?? defaultWebSocket();
  if (typeof WebSocket !== 'function') {
    throw ParleyError.invalidParameter(
      missingWebSocketReason() ??
        'no WebSocket implementation: pass options.WebSocket or import @parley/client from Node or a browser',
    );
  }
  const connectAttempts = nonNegative('connectAttempts', options.connectAttempts, 3);
  if (connectAttempts < 1 || !Number.isInteger(connectAttempts)) {
    throw ParleyError.invalidParameter(`options.connectAttempts must be an integer >= 1; got ${connectAttempts}`);
  }
  const connectRetryDelays = options.connectRetryDelays ?? [250, 500];
  connectRetryDelays.forEach((d, i) => nonNegative(`connectRetryDelays[${i}]`, d, 0));
  return {
    url: toWebSocketUrl(base),
    WebSocket,
    clock: options.clock ?? { now: () => Date.now() },
    timers: options.timers ?? globalTimers,
    connectAttempts,
    connectRetryDelays: connectRetryDelays.length > 0 ? connectRetryDelays : [0],
    openTimeout: nonNegative('openTimeout', options.openTimeout, 5000),
    reconnectPolicy: options.reconnectPolicy ?? defaultReconnectPolicy(),
    disconnectTimeout: nonNegative('disconnectTimeout', options.disconnectTimeout, 2000),
    pageLifecycle: options.pageLifecycle !== false,
    webrtc: options.webrtc ?? defaultWebRtc(),
    onListenerError:
      options.onListenerError ??
      ((error, event) => {
        console.error(`[parley] a "${event}" listener threw:`, error);
      }),
  };
}
