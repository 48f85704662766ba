/**
 * The Store contract, run over the embedded SQLite store and the cluster's Redis store (a private
 * redis-server): both must answer the same, so the REST API and the token checks cannot tell them
 * apart. Then what only the Redis store does: several nodes see one store, and Redis trouble
 * (down, or back empty) is survived.
 */
import { startRedisServer, waitFor, type RedisServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/store/redis-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { SessionRecord, Store } from '../src/store/store.js';

let redis: RedisServer;
let prefixes = 0;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

/** Each test gets its own key prefix, so the tests share one redis-server without seeing each other. */
const openRedis = () => RedisStore.connect(redis.url, { prefix: `t${++prefixes}:` });

const session = (sessionId: string, createdAt = 5): SessionRecord => ({
  sessionId,
  apiKey: '123456',
  mediaMode: 'routed',
  archiveMode: 'manual',
  location: '10.0.0.1',
  e2ee: true,
  createdAt,
});

const STORES: [string, () => Promise<Store>][] = [
  ['sqlite', () => Promise.resolve(new SqliteStore(':memory:'))],
  ['redis', openRedis],
];

describe.each(STORES)('the Store contract over %s', (_name, open) => {
  it('revocation rules: found for tokens issued at or before them, merged when repeated, listed until they expire', async () => {
    const store = await open();
    // Times near the real clock: Redis expires a rule's key at its expiresAt.
    const t = Math.floor(Date.now() / 1000);
    const holder = { apiKey: 'k', sessionId: 's', data: 'd', tokenId: 't', issuedAt: t };
    await store.putRevocation({ apiKey: 'k', kind: 'data', value: 'd', revokedAt: t, expiresAt: t + 100 }, t);
    expect(await store.findRevocation(holder, t + 50)).toMatchObject({ kind: 'data', value: 'd', revokedAt: t });
    expect(await store.findRevocation({ ...holder, issuedAt: t + 1 }, t + 50)).toBeUndefined();
    expect(await store.findRevocation({ ...holder, apiKey: 'other' }, t + 50)).toBeUndefined();
    expect(await store.findRevocation({ ...holder, data: 'e' }, t + 50)).toBeUndefined();
    expect(await store.findRevocation({ ...holder, issuedAt: undefined }, t + 50)).toBeDefined();
    expect(await store.findRevocation(holder, t + 100)).toBeUndefined(); // expired
    await store.putRevocation({ apiKey: 'k', kind: 'data', value: 'd', revokedAt: t + 20, expiresAt: t + 200 }, t + 20);
    expect(await store.findRevocation({ ...holder, issuedAt: t + 10 }, t + 150)).toMatchObject({ revokedAt: t + 20 });
    await store.putRevocation(
      { apiKey: 'k', kind: 'token', value: 't2', revokedAt: t + 30, expiresAt: t + 300 },
      t + 30,
    );
    expect((await store.listRevocations(t + 25, t + 250)).map((r) => r.value)).toEqual(['t2']);
    expect((await store.listRevocations(t, t + 150)).map((r) => r.value)).toEqual(['d', 't2']);
    expect(await store.listRevocations(t + 31, t + 250)).toEqual([]);
    expect(await store.listRevocations(0, t + 300)).toEqual([]);
    await store.close();
  });

  it('a project is stored, read back, and its secret replaced without changing createdAt', async () => {
    const store = await open();
    expect(await store.getProject('123456')).toBeUndefined();
    await store.putProject({ apiKey: '123456', apiSecret: 'one', createdAt: 100 });
    expect(await store.getProject('123456')).toEqual({ apiKey: '123456', apiSecret: 'one', createdAt: 100 });
    await store.putProject({ apiKey: '123456', apiSecret: 'two', createdAt: 999 });
    expect(await store.getProject('123456')).toEqual({ apiKey: '123456', apiSecret: 'two', createdAt: 100 });
    await store.close();
  });

  it('projects are listed oldest first, then by API key', async () => {
    const store = await open();
    expect(await store.listProjects()).toEqual([]);
    await store.putProject({ apiKey: 'b', apiSecret: 's', createdAt: 2 });
    await store.putProject({ apiKey: 'c', apiSecret: 's', createdAt: 1 });
    await store.putProject({ apiKey: 'a', apiSecret: 's', createdAt: 2 });
    expect((await store.listProjects()).map((p) => p.apiKey)).toEqual(['c', 'a', 'b']);
    await store.close();
  });

  it('a session is stored once and read back field for field; a second create of the same ID fails', async () => {
    const store = await open();
    expect(await store.getSession('1_x')).toBeUndefined();
    await store.createSession(session('1_x'));
    expect(await store.getSession('1_x')).toEqual(session('1_x'));
    await store.createSession({ ...session('2_y'), e2ee: false, mediaMode: 'relayed', location: '' });
    expect(await store.getSession('2_y')).toEqual({
      ...session('2_y'),
      e2ee: false,
      mediaMode: 'relayed',
      location: '',
    });
    await expect(store.createSession(session('1_x', 7))).rejects.toThrow();
    expect(await store.getSession('1_x')).toEqual(session('1_x'));
    await store.close();
  });

  it('close is safe to call twice', async () => {
    const store = await open();
    await store.close();
    await store.close();
  });
});

describe('the Redis store across nodes and through Redis trouble', () => {
  it('what one node writes, another reads', async () => {
    const prefix = `shared${++prefixes}:`;
    const a = await RedisStore.connect(redis.url, { prefix });
    const b = await RedisStore.connect(redis.url, { prefix });
    await a.putProject({ apiKey: '777', apiSecret: 's', createdAt: 1 });
    await a.createSession(session('1_shared'));
    expect(await b.getProject('777')).toEqual({ apiKey: '777', apiSecret: 's', createdAt: 1 });
    expect(await b.getSession('1_shared')).toEqual(session('1_shared'));
    await expect(b.createSession(session('1_shared'))).rejects.toThrow(/already exists/);
    await Promise.all([a.close(), b.close()]);
  });

  it('an unreachable Redis at start is a clear error', async () => {
    await expect(RedisStore.connect('redis://127.0.0.1:1', { commandTimeout: 500 })).rejects.toThrow(
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/,
    );
  });

  it('while Redis is down, reads answer from what the node has seen; when it comes back empty, the node writes it back', async () => {
    const errors: Error[] = [];
    let refilledNow = (): void => undefined;
    const store = await RedisStore.connect(redis.url, {
      onError: (e) => errors.push(e),
      onRefilled: () => {
        refilledNow();
      },
      commandTimeout: 500,
    });
    await store.putProject({ apiKey: '4242', apiSecret: 'kept', createdAt: 3 });
    await store.createSession(session('1_kept'));
    await redis.kill();
    expect(await store.getProject('4242')).toEqual({ apiKey: '4242', apiSecret: 'kept', createdAt: 3 });
    expect(await store.getSession('1_kept')).toEqual(session('1_kept'));
    expect(await store.listProjects()).toEqual([{ apiKey: '4242', apiSecret: 'kept', createdAt: 3 }]);
    await expect(store.createSession(session('1_new'))).rejects.toThrow();
    expect(errors.length).toBeGreaterThan(0);

    const refilled = waitFor(
      (resolve) => {
        refilledNow = resolve;
      },
      15_000,
      'the store to refill Redis',
    );
    await redis.restart({ empty: true });
    // The node refills the empty Redis when it reconnects: another node then reads the same.
    await refilled;
    const other = await RedisStore.connect(redis.url);
    expect(await other.getProject('4242')).toEqual({ apiKey: '4242', apiSecret: 'kept', createdAt: 3 });
    expect(await other.getSession('1_kept')).toEqual(session('1_kept'));
    await store.createSession(session('1_after'));
    expect(await other.getSession('1_after')).toEqual(session('1_after'));
    await Promise.all([store.close(), other.close()]);
  });
});
