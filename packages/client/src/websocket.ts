/**
 * The smallest WebSocket surface the client needs, and the injection point for the
 * implementation: `node.ts` installs the `ws` package, `browser.ts` the browser's own, so
 * `index.ts` stays free of any environment.
 */

/**
 * An event handler property, checked bivariantly (method syntax), so a class whose handlers take
 * richer event types (the DOM's `MessageEvent`, `ws`'s `WebSocket.MessageEvent`) is accepted:
 * `class PrivateCa extends WebSocket {…}` passes as the `WebSocket` option without a cast.
 */
type Handler<E> = { bivariant(event: E): void }['bivariant'];

/** The events the client reads from a WebSocket (a subset of the DOM's). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ readonly data: unknown }> | null;
  onclose: Handler<{ readonly code: number; readonly reason: string }> | null;
  onerror: Handler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/**
 * A WebSocket constructor: the browser's `WebSocket`, the `ws` package's, or a test double.
 * @example const options: SessionOptions = { WebSocket: globalThis.WebSocket as unknown as WebSocketConstructor };
 */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

let installed: WebSocketConstructor | undefined;
/** Why the entry point could not install one (node.ts without `ws`); then there is no default. */
let missing: string | undefined;

/**
 * Set the WebSocket implementation sessions use when `SessionOptions.WebSocket` is not given.
 * The Node and browser entry points call it; apps rarely need to.
 * @example setDefaultWebSocket(MyWebSocket)
 */
export function setDefaultWebSocket(ctor: WebSocketConstructor | undefined): void {
  installed = ctor;
  missing = undefined;
}

/**
 * Record that the environment's WebSocket is missing and why (the Node entry without `ws`): there
 * is then no default, not even `globalThis.WebSocket`, and `new Session()` without
 * `options.WebSocket` throws with `reason`. @internal
 */
export function setMissingWebSocket(reason: string): void {
  installed = undefined;
  missing = reason;
}

/** The reason given to {@link setMissingWebSocket}, if the default WebSocket is missing. @internal */
export function missingWebSocketReason(): string | undefined {
  return missing;
}

/**
 * The WebSocket implementation a session uses by default: the installed one, else
 * `globalThis.WebSocket` (none when the entry point reported it missing).
 * @example if (!defaultWebSocket()) throw new Error('no WebSocket here')
 */
export function defaultWebSocket(): WebSocketConstructor | undefined {
  if (missing !== undefined) return undefined;
  return installed ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
}

/** `readyState` of an open socket (the same in every implementation). @internal */
export const WS_OPEN = 1;
