/**
 * The Redis cluster under faults (nodes as `parley serve --redis` processes, a private
 * redis-server): a node killed (SIGKILL) or drained (SIGTERM), Redis going away and coming back
 * (empty too). redis-cluster.test.ts has the cluster end to end without faults. docs/CLUSTER.md.
 */
import { describe, expect, it } from 'vitest';
import type { Session } from '@parley/client';
import { recordEvents, waitFor, type ParleyProcess } from '@parley/testkit';
import { seesOthers, T } from './support-opentok.js';
import { DEAD_NODE_BOUND_MS, joinCluster, SignalFlow, startCluster } from './support/cluster.js';
import { idOf, readyz, useCluster } from './support/cluster-fixture.js';

const cx = useCluster();

describe('a node dies or drains', () => {
  it('SIGKILL: a client that does not come back is declared gone within the bound; a client that moves resumes with nothing lost or ends explicitly, never with a gap; the others carry on', async () => {
    cx.nodes = await startCluster(cx.redis, 2);
    const [a, b] = cx.nodes as [ParleyProcess, ParleyProcess];
    const sessionId = await cx.createSession(b);
    const people = await cx.joinAll(sessionId, [
      ['alice', a],
      ['bob', b],
      ['carol', b],
    ]);
    const [alice, bob, carol] = [...people.values()] as [Session, Session, Session];
    // A client that knows only node A: it cannot come back.
    const ghost = await joinCluster(sessionId, [a.url], 'ghost');
    cx.sessions.push(ghost);
    await seesOthers(bob, 3);
    const flow = new SignalFlow(
      new Map([
        ['bob', bob],
        ['carol', carol],
      ]),
    );
    const aliceGot: number[] = [];
    alice.on('signal', ({ type, data }) => {
      if (type === 'n' && data?.startsWith('bob:') === true) aliceGot.push(Number(data.slice(4)));
    });
    const sent: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) sent.push(flow.send('bob'), flow.send('carol'));
    await Promise.all(sent);
    await flow.complete(T);
    const aliceOutcome = waitFor<string>(
      (resolve) => {
        alice.on('sessionReconnected', () => {
          resolve('resumed');
        });
        alice.on('sessionDisconnected', ({ reason }) => {
          resolve(`ended:${reason}`);
        });
      },
      DEAD_NODE_BOUND_MS,
      'alice resumed or ended',
    );
    const destroyed = new Map<string, string>();
    bob.on('connectionDestroyed', ({ connection, reason }) => destroyed.set(connection.connectionId, reason));
    const gone = (id: string) =>
      waitFor<string>(
        (resolve) => {
          const check = (): void => {
            const reason = destroyed.get(id);
            if (reason !== undefined) resolve(reason);
          };
          check();
          return bob.on('connectionDestroyed', check);
        },
        DEAD_NODE_BOUND_MS,
        `${id} declared gone`,
      );
    const [aliceId, ghostId] = [idOf(alice), idOf(ghost)];
    const ghostGone = gone(ghostId);
    const killedAt = Date.now();
    await a.kill('SIGKILL');
    // Bob and carol keep talking while A is dead.
    for (let i = 0; i < 10; i++) sent.push(flow.send('bob'), flow.send('carol'));
    await Promise.all(sent);
    await flow.complete(15_000);
    expect(flow.checker.counts()).toMatchObject({ sent: 40, lost: 0, duplicated: 0, reordered: 0 });
    expect(await ghostGone).toBe('networkDisconnected');
    expect(Date.now() - killedAt).toBeLessThan(DEAD_NODE_BOUND_MS);
    const outcome = await aliceOutcome;
    // What alice received is bob's numbers in order without a hole (nothing silently skipped).
    expect(aliceGot).toEqual(Array.from({ length: aliceGot.length }, (_, i) => i + 1));
    if (outcome === 'resumed') {
      await waitFor(
        (resolve) => {
          const check = () => {
            if (aliceGot.length === 20) resolve();
          };
          check();
          alice.on('signal', check);
        },
        15_000,
        "alice has all of bob's signals",
      );
      expect(aliceGot).toHaveLength(20);
    } else {
      // The explicit failure path: the others are told she left.
      expect(outcome).toMatch(/^ended:/);
      expect(await gone(aliceId)).toBe('networkDisconnected');
    }
    expect(destroyed.has(idOf(carol))).toBe(false);
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
