/**
 * The Node entry's WebSocket: the `ws` package, an optional peer dependency so that browser users
 * (whose bundlers pick `browser.ts`) never install it. Loaded with a synchronous `require` rather
 * than `import` so that a missing `ws` does not fail the import of `@parley/client` itself (an app
 * may import it under Node for types, constants or server-side rendering) and so that the module
 * has no top-level await, which would break `require('@parley/client')` (Node's require(esm)).
 */
import { setDefaultWebSocket, setMissingWebSocket, type WebSocketConstructor } from './websocket.js';

/** What `new Session()` says under Node when `ws` is not installed and no `options.WebSocket` is given. */
export const WS_MISSING_MESSAGE =
  '@parley/client needs the "ws" package under Node.js and it is not installed: run `npm install ws` ' +
  '(or pass options.WebSocket)';

/**
 * Install `ws` as the default WebSocket, or, when it is not installed, record why there is none so
 * that `new Session()` fails with {@link WS_MISSING_MESSAGE}. Any other failure to load `ws` is
 * rethrown: a broken install should not pass for a missing one.
 * @param load - `() => require('ws')` (a parameter so a test can simulate a missing package)
 * @example installNodeWebSocket(() => createRequire(import.meta.url)('ws'));
 */
export function installNodeWebSocket(load: () => unknown): void {
  let loaded: unknown;
  try {
    loaded = load();
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code !== 'MODULE_NOT_FOUND') throw err;
    setMissingWebSocket(WS_MISSING_MESSAGE);
    return;
  }
  // `require('ws')` is the WebSocket class itself, which also carries itself as `.WebSocket`.
  const ctor = (loaded as { WebSocket?: unknown } | null)?.WebSocket ?? loaded;
  if (typeof ctor !== 'function') throw new TypeError('the "ws" package does not export a WebSocket class');
  // ws's handler properties take its own event classes; structurally they carry what WebSocketLike reads.
  setDefaultWebSocket(ctor as WebSocketConstructor);
}
