import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CloseCode, DEFAULT_REPLAY_BOUNDS, DEFAULT_TIMINGS, handshakeQuery, WS_PATH } from '@parley/protocol';
import { WebSocket } from 'ws';
import { generateToken, mintSessionId } from '@parley/server-sdk';
import { InMemoryBus } from '../src/bus/in-memory-bus.js';
import { ParleyEndpoint } from '../src/core/parley-endpoint.js';
import { Gateway } from '../src/gateway/gateway.js';
import { SILENT_LOGGER } from '../src/log/logger.js';
import type { Project } from '../src/store/store.js';
import { API_KEY, API_SECRET, Harness } from './support/harness.js';
import { MemoryStore } from './support/memory-store.js';
import { RawClient } from './support/raw-client.js';

/** Resolves with the error of a WebSocket that fails before it opens; rejects if it opens. */
function failedOpen(url: string): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the WebSocket opened'));
    });
    ws.on('error', (err) => {
      resolve(err);
    });
  });
}

describe('shutdown', () => {
  it('close() sends 4013 to every client, no connectionDestroyed to the ones also closing, and refuses new joins', async () => {
    const h = await Harness.start();
    const sessionId = await h.session();
    const a = await h.join(sessionId);
    const b = await h.join(sessionId);
    await a.client.nextOf('connectionCreated');
    const started = Date.now();
    const closing = h.server.close();
    // A join that starts once close() has begun: the listening socket is already closed.
    const joinUrl = `${h.server.wsUrl}?${handshakeQuery({ kind: 'join', apiKey: API_KEY, sessionId, token: h.token(sessionId) })}`;
    expect((await failedOpen(joinUrl)).code).toBe('ECONNREFUSED');
    expect(await a.client.close()).toEqual({ code: CloseCode.ServerShutdown, reason: 'server shutting down' });
    expect(await b.client.close()).toEqual({ code: CloseCode.ServerShutdown, reason: 'server shutting down' });
    await closing;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(a.client.all('connectionDestroyed')).toEqual([]);
    expect(b.client.all('connectionDestroyed')).toEqual([]);
    expect(h.server.connectionCount()).toBe(0);
    await h.server.close(); // idempotent
  });

  it("with drain: 'node', close() sends 4016 NodeDraining (resume elsewhere) instead of 4013", async () => {
    const h = await Harness.start({ drain: 'node' });
    const sessionId = await h.session();
    const a = await h.join(sessionId);
    const b = await h.join(sessionId);
    await a.client.nextOf('connectionCreated');
    const closing = h.server.close();
    const drained = { code: CloseCode.NodeDraining, reason: 'node draining, resume elsewhere' };
    expect(await a.client.close()).toEqual(drained);
    expect(await b.client.close()).toEqual(drained);
    await closing;
    expect(a.client.all('connectionDestroyed')).toEqual([]);
  });

  it('close() resolves within a bounded time even when a client never answers the close handshake', async () => {
    const h = await Harness.start();
    const sessionId = await h.session();
    const a = await h.join(sessionId);
    // A client that stops reading: pause the underlying socket so the close frame is never answered.
    (a.client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const started = Date.now();
    await h.server.close();
    expect(Date.now() - started).toBeLessThan(3500);
  });
});

/** A store whose project lookups wait until released, to hold a join inside its authentication. */
class GatedStore extends MemoryStore {
  #release: (() => void) | undefined;
  #entered: (() => void) | undefined;
  readonly entered = new Promise<void>((resolve) => (this.#entered = resolve));
  readonly #gate = new Promise<void>((resolve) => (this.#release = resolve));

  override async getProject(apiKey: string): Promise<Project | undefined> {
    this.#entered?.();
    await this.#gate;
    return super.getProject(apiKey);
  }

  release(): void {
    this.#release?.();
  }
}

describe('a join being authenticated when the drain starts', () => {
  it.each([
    ['the service (default)', undefined, CloseCode.ServerShutdown, 'server shutting down'],
    ['a node', CloseCode.NodeDraining, CloseCode.NodeDraining, 'node draining, resume elsewhere'],
  ] as const)('is refused with the drain code of %s', async (_, drainCode, code, reason) => {
    const store = new GatedStore();
    store.projects.set(API_KEY, { apiKey: API_KEY, apiSecret: API_SECRET, createdAt: 0 });
    const sessionId = mintSessionId(API_KEY);
    await store.createSession({
      sessionId,
      apiKey: API_KEY,
      mediaMode: 'routed',
      archiveMode: 'manual',
      location: '',
      e2ee: false,
      createdAt: 0,
    });
    const core = new ParleyEndpoint({
      bus: new InMemoryBus(),
      timings: DEFAULT_TIMINGS,
      replay: DEFAULT_REPLAY_BOUNDS,
      maxConnectionsPerSession: 10,
    });
    const gateway = new Gateway(core, store, SILENT_LOGGER);
    const http: Server = createHttpServer();
    http.on('upgrade', gateway.handleUpgrade);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const port = (http.address() as AddressInfo).port;
      const token = generateToken(API_KEY, API_SECRET, sessionId);
      const client = new RawClient(
        `ws://127.0.0.1:${port}${WS_PATH}?${handshakeQuery({ kind: 'join', apiKey: API_KEY, sessionId, token })}`,
      );
      await store.entered; // the gateway is checking the token
      gateway.drain(drainCode);
      store.release();
      expect(await client.close()).toEqual({ code, reason });
      expect(client.all('welcome')).toEqual([]);
    } finally {
      await core.shutdown();
      await gateway.close();
      await new Promise<void>((resolve) =>
        http.close(() => {
          resolve();
        }),
      );
    }
  });
});
