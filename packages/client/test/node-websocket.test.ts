/**
 * The Node entry with and without the `ws` package (an optional peer dependency). A missing
 * package is simulated by the loader throwing Node's MODULE_NOT_FOUND; the installed-tarball test
 * (integration/install.test.ts) checks the same with a real install that has no `ws`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SessionErrorCode } from '@parley/protocol';
import { defaultWebSocket, ParleyError, Session, setDefaultWebSocket } from '@parley/client';
import { installNodeWebSocket, WS_MISSING_MESSAGE } from '../src/node-websocket.js';
import { API_KEY, SESSION_ID } from './support/fixtures.js';

const URL = 'http://127.0.0.1:8720';
const notFound = (): never => {
  throw Object.assign(new Error("Cannot find module 'ws'"), { code: 'MODULE_NOT_FOUND' });
};

afterEach(() => {
  setDefaultWebSocket(WebSocket);
});

describe('the Node entry without ws', () => {
  it('imports, then new Session() throws 1011 saying to install ws', () => {
    installNodeWebSocket(notFound);
    expect(defaultWebSocket()).toBeUndefined();
    let thrown: unknown;
    try {
      new Session(API_KEY, SESSION_ID, undefined, { url: URL });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ParleyError);
    expect((thrown as ParleyError).code).toBe(SessionErrorCode.NullOrInvalidParameter);
    expect((thrown as ParleyError).message).toBe(WS_MISSING_MESSAGE);
    expect(WS_MISSING_MESSAGE).toContain('npm install ws');
  });

  it('does not fall back to globalThis.WebSocket, but options.WebSocket still works', () => {
    const global = globalThis as { WebSocket?: unknown };
    const before = global.WebSocket;
    global.WebSocket = WebSocket;
    try {
      installNodeWebSocket(notFound);
      expect(defaultWebSocket()).toBeUndefined();
      const session = new Session(API_KEY, SESSION_ID, undefined, {
        url: URL,
        WebSocket,
      });
      expect(session.sessionId).toBe(SESSION_ID);
    } finally {
      global.WebSocket = before;
    }
  });

  it('rethrows any other failure to load ws', () => {
    const broken = new Error('ws is broken');
    expect(() => {
      installNodeWebSocket(() => {
        throw broken;
      });
    }).toThrow(broken);
    expect(() => {
      installNodeWebSocket(() => ({ WebSocket: 42 }));
    }).toThrow(TypeError);
  });
});

describe('the Node entry with ws', () => {
  it('installs the ws WebSocket class, from its module object or the class itself', () => {
    installNodeWebSocket(notFound);
    installNodeWebSocket(() => ({ WebSocket }));
    expect(defaultWebSocket()).toBe(WebSocket);
    setDefaultWebSocket(undefined);
    installNodeWebSocket(() => WebSocket);
    expect(defaultWebSocket()).toBe(WebSocket);
  });
});
