/**
 * Node.js entry point: everything from `index.ts`, with the `ws` package as the WebSocket.
 * @example
 * import { Session } from '@parley/client'; // resolves here under Node
 * const session = new Session(apiKey, sessionId, undefined, { url: 'http://127.0.0.1:8720' });
 */
import { WebSocket } from 'ws';
import { setDefaultWebSocket, type WebSocketConstructor } from './websocket.js';

// ws's handler properties take its own event classes; structurally they carry what WebSocketLike reads.
setDefaultWebSocket(WebSocket as unknown as WebSocketConstructor);

export * from './index.js';
