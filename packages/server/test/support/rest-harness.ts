/**
 * Mounts `createRestApi` on a plain `node:http` server on 127.0.0.1:0 with a {@link MemoryStore}
 * and a {@link FakeRealtime}: the handler tier, independent of `createServer`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRestApi } from '../../src/rest/rest-api.js';
import { FakeRealtime } from './fake-realtime.js';
import { MemoryStore } from './memory-store.js';

export const API_KEY = '123456';
export const API_SECRET = 'parley-test-secret';
export const OTHER_KEY = '654321';
export const OTHER_SECRET = 'other-secret';

export interface RestHarness {
  readonly store: MemoryStore;
  readonly realtime: FakeRealtime;
  /** `http://127.0.0.1:{port}`, no trailing slash. */
  readonly baseUrl: string;
  /** The raw request target of every request served, in order. */
  readonly requests: { method: string; url: string }[];
  close(): Promise<void>;
}

/** Start a server with two projects ({@link API_KEY} and {@link OTHER_KEY}). */
export async function startRestHarness(now?: () => number): Promise<RestHarness> {
  const store = new MemoryStore();
  await store.putProject({ apiKey: API_KEY, apiSecret: API_SECRET, createdAt: 0 });
  await store.putProject({ apiKey: OTHER_KEY, apiSecret: OTHER_SECRET, createdAt: 0 });
  const realtime = new FakeRealtime();
  const handler = createRestApi(now === undefined ? { store, realtime } : { store, realtime, now });
  const requests: { method: string; url: string }[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    store,
    realtime,
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => {
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}
