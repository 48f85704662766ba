/**
 * The Redis cluster under faults (nodes as `parley serve --redis` processes, a private
 * redis-server): a node killed (SIGKILL) or drained (SIGTERM), Redis going away and coming back
 * (empty too). redis-cluster.test.ts has the cluster end to end without faults. docs/CLUSTER.md.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Session } from '@parley/client';
import { recordEvents, redisTraces, waitFor, type ParleyProcess } from '@parley/testkit';
import { seesOthers, T } from './support-opentok.js';
import { DEAD_NODE_BOUND_MS, joinCluster, SignalFlow, startCluster } from './support/cluster.js';
import { idOf, readyz, useCluster } from './support/cluster-fixture.js';

const cx = useCluster();

/** The nodes holding a lease (`parley:nodes`). */
async function nodeIds(url: string): Promise<string[]> {
  const r = new Redis(url);
  try {
    return await r.zrange('parley:nodes', '0', '-1');
  } finally {
    r.disconnect();
  }
}

describe('a node dies or drains', () => {
  it('SIGKILL while everyone signals: its clients resume on another node with the same connectionId, nothing lost, doubled or reordered either way; a client that does not come back is declared gone within the bound; nothing of the node is left', async () => {
    cx.nodes = await startCluster(cx.redis, 3);
    const [a, b, c] = cx.nodes as [ParleyProcess, ParleyProcess, ParleyProcess];
    const sessionId = await cx.createSession(b);
    const people = await cx.joinAll(sessionId, [
      ['alice', a],
      ['dave', a],
      ['bob', b],
      ['carol', c],
    ]);
    const bob = people.get('bob') as Session;
    // A client that knows only node A: it cannot come back.
    const ghost = await joinCluster(sessionId, [a.url], 'ghost');
    cx.sessions.push(ghost);
    await seesOthers(bob, 4);
    const ids = [...people.values()].map(idOf);
    const ghostId = idOf(ghost);
    const bobSees = recordEvents(bob, ['connectionDestroyed', 'connectionReconnecting', 'connectionReconnected']);
    const moved = ['alice', 'dave'].map((name) =>
      waitFor(
        (resolve, reject) => {
          const s = people.get(name) as Session;
          s.on('sessionReconnected', () => {
            resolve();
          });
          s.on('sessionDisconnected', ({ reason }) => {
            reject(new Error(`${name} ended (${reason}) instead of resuming`));
          });
        },
        DEAD_NODE_BOUND_MS,
        `${name} resumed`,
      ),
    );
    const ghostGone = waitFor<string>(
      (resolve) =>
        bob.on('connectionDestroyed', ({ connection, reason }) => {
          if (connection.connectionId === ghostId) resolve(reason);
        }),
      DEAD_NODE_BOUND_MS,
      'the ghost declared gone',
    );
    const nodesBefore = await nodeIds(cx.redis.url);
    const flow = new SignalFlow(people);
    const sent: Promise<void>[] = [];
    const round = (): void => {
      for (const name of people.keys()) sent.push(flow.send(name));
    };
    // Signals in flight from everyone (the killed node's clients too) when the node dies.
    for (let i = 0; i < 10; i++) round();
    const killedAt = Date.now();
    await a.kill('SIGKILL');
    for (let i = 0; i < 10; i++) round();
    await Promise.all(moved);
    for (let i = 0; i < 10; i++) round();
    await Promise.all(sent);
    await flow.complete(20_000);
    expect(flow.checker.counts()).toMatchObject({ sent: 120, lost: 0, duplicated: 0, reordered: 0 });
    expect([...people.values()].map(idOf)).toEqual(ids);
    expect(await ghostGone).toBe('networkDisconnected');
    expect(Date.now() - killedAt).toBeLessThan(DEAD_NODE_BOUND_MS);
    // Only the ghost left; a moved client was unseen, or seen reconnecting and then reconnected.
    const idsOf = (name: string): string[] =>
      bobSees.events
        .filter((e) => e.name === name)
        .map((e) => (e.event as { connection: { connectionId: string } }).connection.connectionId);
    expect(idsOf('connectionDestroyed')).toEqual([ghostId]);
    const back = new Set(idsOf('connectionReconnected'));
    for (const id of idsOf('connectionReconnecting')) expect(id === ghostId || back.has(id)).toBe(true);
    // Nothing of the dead node in Redis but the reaper's election key, which expires by itself.
    const nodesAfter = await nodeIds(cx.redis.url);
    const dead = nodesBefore.filter((id) => !nodesAfter.includes(id));
    expect(dead).toHaveLength(1);
    const left = await redisTraces(cx.redis.url, dead[0] as string);
    expect(left.every((k) => k.endsWith(':reap'))).toBe(true);
  }, 90_000);
  it('SIGTERM (drain): its clients resume on another node; their peers see nothing', async () => {
    cx.nodes = await startCluster(cx.redis, 2);
    const [a, b] = cx.nodes as [ParleyProcess, ParleyProcess];
    const sessionId = await cx.createSession(a);
    const people = await cx.joinAll(sessionId, [
      ['alice', a],
      ['bob', b],
    ]);
    const [alice, bob] = [...people.values()] as [Session, Session];
    const ids = [idOf(alice), idOf(bob)];
    const bobSees = recordEvents(bob, ['connectionDestroyed', 'sessionDisconnected', 'sessionReconnecting']);
    const flow = new SignalFlow(people);
    const sent: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) sent.push(flow.send('bob'));
    const aliceBack = waitFor(
      (resolve) => {
        alice.on('sessionReconnected', () => {
          resolve();
        });
      },
      15_000,
      'alice resumed',
    );
    const stopped = a.kill('SIGTERM');
    for (let i = 0; i < 10; i++) sent.push(flow.send('bob'));
    await aliceBack;
    expect((await stopped).code).toBe(0);
    for (let i = 0; i < 10; i++) sent.push(flow.send('alice'));
    await Promise.all(sent);
    await flow.complete(15_000);
    expect(flow.checker.counts()).toMatchObject({ sent: 30, lost: 0, duplicated: 0, reordered: 0 });
    expect([idOf(alice), idOf(bob)]).toEqual(ids);
    expect(bobSees.names()).toEqual([]);
    expect(await readyz(b)).toBe(200);
  });
});

describe('Redis trouble', () => {
  it('Redis down for 10 s: no crash, /readyz says so, traffic resumes with nothing lost; Redis back empty: an explicit failure, then new sessions work', async () => {
    cx.nodes = await startCluster(cx.redis, 2);
    const [a, b] = cx.nodes as [ParleyProcess, ParleyProcess];
    const sessionId = await cx.createSession(a);
    const people = await cx.joinAll(sessionId, [
      ['alice', a],
      ['bob', b],
    ]);
    const flow = new SignalFlow(people);
    await Promise.all([flow.send('alice'), flow.send('bob')]);
    await flow.complete(T);

    await cx.redis.save(); // an outage of a Redis that keeps its data (RDB), then the empty case below
    await cx.redis.shutdown();
    await waitFor(
      (resolve) => {
        const poll = (): void => {
          void Promise.all(cx.nodes.map(readyz)).then((codes) => {
            if (codes.every((c) => c === 503)) resolve();
            else setImmediate(poll);
          });
        };
        poll();
      },
      15_000,
      '/readyz 503 on both nodes',
    );
    // Signals sent while Redis is away wait for it (in order).
    const sent = Promise.all([flow.send('alice'), flow.send('bob'), flow.send('alice')]);
    // The outage lasts 10 s (the fault's length, not a wait for something to happen).
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    await cx.redis.start();
    await sent;
    await flow.complete(20_000);
    expect(flow.checker.counts()).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    await waitFor(
      (resolve) => {
        const poll = (): void => {
          void Promise.all(cx.nodes.map(readyz)).then((codes) => {
            if (codes.every((c) => c === 200)) resolve();
            else setImmediate(poll);
          });
        };
        poll();
      },
      15_000,
      '/readyz 200 again',
    );

    // Redis back empty: the members it held cannot be resumed without a gap, so they fail explicitly.
    const ended = [...people.values()].map((s) =>
      waitFor(
        (resolve) =>
          s.on('sessionDisconnected', () => {
            resolve();
          }),
        30_000,
        'an explicit end',
      ),
    );
    await cx.redis.restart({ empty: true });
    await Promise.all(ended);
    for (const n of cx.nodes) expect(n.output()).not.toMatch(/uncaught|unhandled/i);
    // The nodes refilled the project; a new session works across both.
    const again = await cx.createSession(b);
    const fresh = await cx.joinAll(again, [
      ['carol', a],
      ['dave', b],
    ]);
    const flow2 = new SignalFlow(fresh);
    await Promise.all([flow2.send('carol'), flow2.send('dave')]);
    await flow2.complete(T);
    expect(flow2.checker.counts()).toMatchObject({ lost: 0, duplicated: 0 });
  }, 120_000);
});
