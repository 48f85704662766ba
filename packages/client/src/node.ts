/**
 * Node.js entry point: everything from `index.ts`, with the `ws` package as the WebSocket when it
 * is installed (see node-websocket.ts for why it is optional and loaded with `require`).
 * @example
 * import { Session } from '@parley/client'; // resolves here under Node
 * const session = new Session(apiKey, sessionId, undefined, { url: 'http://127.0.0.1:8720' });
 */
import { createRequire } from 'node:module';
import { installNodeWebSocket } from './node-websocket.js';

installNodeWebSocket(() => createRequire(import.meta.url)('ws'));

export * from './index.js';
