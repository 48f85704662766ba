/**
 * Browser entry point: everything from `index.ts`, with the browser's own WebSocket.
 * Must not import anything from Node or `ws` (build-browser.mjs checks the bundle).
 * @example
 * import { Session } from '@parley/client'; // resolves here in a bundler or the browser
 * const session = new Session(apiKey, sessionId); // url defaults to location.origin
 */
import { setDefaultWebSocket, type WebSocketConstructor } from './websocket.js';

const native = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
if (native !== undefined) setDefaultWebSocket(native);

export * from './index.js';
