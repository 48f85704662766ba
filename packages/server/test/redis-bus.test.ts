/**
 * The Redis bus under trouble (issue 13): a node that dies (its bus handle stops renewing), Redis
 * stopped and started again, Redis restarted empty, a subscription lost. Three nodes in this
 * process, each with its own RedisBus handle, on this file's private redis-server; raw clients.
 * The conformance suites (signals, join, resume, ...) run over the same bus through BUS_KINDS.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode, DEFAULT_TIMINGS } from '@parley/protocol';
import type { RedisBus } from '@parley/server';
import { redisTraces, testRedis, waitFor, type RedisServer } from '@parley/testkit';
import { Harness } from './support/harness.js';

/** Short leases: a dead node is noticed within about two seconds. */
const LEASE = { leaseTtlMs: 1_500, renewEveryMs: 250 };
/** A short reconnection window: a dead node's members wait that long (parked) for their clients. */
const TIMINGS = { ...DEFAULT_TIMINGS, reconnectWindow: 2_000 };

let h: Harness;
let redis: RedisServer;
let sessionId: string;
beforeEach(async () => {
  redis = await testRedis();
  h = await Harness.start({ timings: TIMINGS }, 'redis', undefined, LEASE);
  sessionId = await h.session();
});
afterEach(async () => {
  await h.stop();
});

function bus(i: number): RedisBus {
  return h.nodes.redisBuses[i] as RedisBus;
}

/** Resolves when every bus handle reports `ready` (or, with false, every one reports not ready). */
function allHealth(ready: boolean, ms = 10_000): Promise<void> {
  const buses = h.nodes.redisBuses;
  const holds = () => buses.every((b) => b.health().ready === ready);
  return waitFor(
    (resolve) => {
      if (holds()) {
        resolve();
        return undefined;
      }
      const stops = buses.map((b) =>
        b.onHealth(() => {
          if (holds()) resolve();
        }),
      );
      return () => {
        for (const stop of stops) stop();
      };
    },
    ms,
    `every node to report ${ready ? 'ready' : 'not ready'}`,
  );
}

describe('the Redis bus', () => {
  it('a node that stops renewing its lease: its member waits for its client (peers get connectionReconnecting), then is declared gone with networkDisconnected; Redis keeps nothing of it', async () => {
    const { b, aId } = await h.pair(sessionId); // a on node 0, b on node 1
    const dead = bus(0);
    expect(await redisTraces(redis.url, dead.nodeId)).not.toEqual([]);
    dead.crash();
    expect(await b.client.nextOf('connectionReconnecting', 10_000)).toMatchObject({ connectionId: aId });
    const destroyed = await b.client.nextOf('connectionDestroyed', 10_000);
    expect(destroyed).toMatchObject({ connectionId: aId, reason: 'networkDisconnected' });
    // Only the reaper's election key names it, and it expires by itself (30 s).
    const left = await redisTraces(redis.url, dead.nodeId);
    expect(left.every((k) => k.endsWith(`n:${dead.nodeId}:reap`))).toBe(true);
    expect(Number(await redis.command('PTTL', left[0] ?? 'none'))).not.toBe(-1);
    // The survivors carry on.
    const c = await h.join(sessionId, { data: 'c' }); // node 2
    expect(c.welcome.connections.map((x) => x.data)).toEqual(['b']);
  });

  it('Redis stopped for longer than a lease, then started again: not ready meanwhile, then nothing lost or doubled', async () => {
    const { a, b, bId } = await h.pair(sessionId);
    await redis.save();
    await redis.shutdown();
    await allHealth(false);
    expect(bus(0).health().reason).toMatch(/Redis/);
    // A signal made while Redis is away waits in its node's queue.
    a.client.send({ t: 'signal', s: 1, data: 'during the outage' });
    // The outage lasts past every lease (the scenario, not a synchronisation): nobody is reaped for it.
    await new Promise((resolve) => setTimeout(resolve, 2 * LEASE.leaseTtlMs));
    await redis.start();
    await allHealth(true);
    expect((await b.client.nextOf('signal', 10_000)).data).toBe('during the outage');
    expect((await a.client.nextOf('ack', 10_000)).a).toBe(1);
    a.client.send({ t: 'signal', s: 2, data: 'after', to: bId });
    expect((await b.client.nextOf('signal', 5_000)).data).toBe('after');
    expect(b.client.all('signal').map((m) => m.data)).toEqual(['during the outage', 'after']);
    expect(a.client.all('connectionDestroyed')).toEqual([]);
    expect(b.client.all('connectionDestroyed')).toEqual([]);
  });

  it('Redis restarted empty: every member ends with an explicit failure (4010), and new joins work', async () => {
    const { a, b } = await h.pair(sessionId);
    await redis.restart({ empty: true });
    expect((await a.client.close(10_000)).code).toBe(CloseCode.ResumeRefused);
    expect((await b.client.close(10_000)).code).toBe(CloseCode.ResumeRefused);
    const { a: a2, b: b2 } = await h.pair(sessionId);
    a2.client.send({ t: 'signal', s: 1, data: 'fresh' });
    expect((await b2.client.nextOf('signal', 5_000)).data).toBe('fresh');
  });

  it('a session subscription lost without a word is noticed and repaired: everything arrives, in order', async () => {
    const { a, b } = await h.pair(sessionId);
    await bus(1).dropSubscription(sessionId);
    a.client.send(...[1, 2, 3].map((s) => ({ t: 'signal', s, data: `m${s}` })));
    await b.client.until('three signals', () => b.client.all('signal').length >= 3, 10_000);
    expect(b.client.all('signal').map((m) => m.data)).toEqual(['m1', 'm2', 'm3']);
    a.client.send({ t: 'signal', s: 4, data: 'm4' });
    await b.client.until('the fourth', () => b.client.all('signal').length === 4, 5_000);
  });

  it('subscription connections killed by Redis: resubscribed, and the gap filled from the session log', async () => {
    const { a, b } = await h.pair(sessionId);
    a.client.send({ t: 'signal', s: 1, data: 'before' });
    await b.client.nextOf('signal', 5_000);
    await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
    a.client.send(...[2, 3].map((s) => ({ t: 'signal', s, data: `m${s}` })));
    await b.client.until('both signals', () => b.client.all('signal').length >= 3, 10_000);
    expect(b.client.all('signal').map((m) => m.data)).toEqual(['before', 'm2', 'm3']);
  });

  it('a node a member moved away from is fenced: its announce, signal and leave for that member change nothing', async () => {
    const a = await h.join(sessionId, { data: 'a' }); // node 0
    const b = await h.join(sessionId, { data: 'b' }); // node 1
    const aId = a.welcome.connection.connectionId;
    await a.client.nextOf('connectionCreated');
    // a moves to node 2 (its client resumed there); node 0 still runs, as a zombie would.
    const moved = h.resume(sessionId, a.welcome, a.client.received, undefined, h.nodes.servers[2]);
    await moved.nextOf('resumed');
    const seen = b.client.messages.length;
    // Node 0's operations go to Redis in order: the signal's answer comes after the others ran.
    const zombie = bus(0);
    zombie.announce(sessionId, { kind: 'connectionReconnecting', connectionId: aId }, aId);
    zombie.leave(sessionId, aId, 'networkDisconnected');
    const refused = await new Promise((resolve) => {
      zombie.signal(sessionId, { kind: 'signal', from: aId, type: 'z', data: 'zombie' }, null, resolve);
    });
    expect(refused).toBe('connection-not-found');
    // a is still a member, on node 2: its signal is the next thing b gets.
    moved.send({ t: 'signal', s: 1, type: 'n', data: 'after' });
    const next = await b.client.nextOf('signal');
    expect(next.data).toBe('after');
    expect(b.client.messages.slice(seen).map((m) => m.t)).toEqual(['signal']);
  });

  it('the session limit is the cluster-wide count', async () => {
    await h.stop();
    h = await Harness.start({ maxConnectionsPerSession: 2 }, 'redis', undefined, LEASE);
    sessionId = await h.session();
    await h.pair(sessionId); // nodes 0 and 1
    const third = h.connect(sessionId, h.token(sessionId)); // node 2, which holds nobody yet
    expect((await third.close(5_000)).code).toBe(CloseCode.ConnectionLimitExceeded);
  });
});
