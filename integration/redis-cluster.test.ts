/**
 * The Redis cluster end to end: a private redis-server and Parley nodes as separate `parley serve
 * --redis` processes. Sessions span the nodes with the same guarantees as on one node (presence,
 * signals to all and to one, one order), the REST API (the official `opentok` SDK) answers the same
 * on every node, a node killed (SIGKILL) or drained (SIGTERM) loses nothing, and Redis going away
 * (and coming back empty) is survived. docs/CLUSTER.md.
 */
import OpenTok from 'opentok';
import { describe, expect, it } from 'vitest';
import type { Session } from '@parley/client';
import { startParleyProcess, waitFor, type ParleyProcess } from '@parley/testkit';
import { API_KEY, API_SECRET } from './harness.js';
import { done, T } from './support-opentok.js';
import { SignalFlow, STEADY_CLUSTER_FLAGS, startCluster } from './support/cluster.js';
import { idOf, readyz, useCluster } from './support/cluster-fixture.js';

const cx = useCluster();

describe('a session across three parley serve processes over Redis', () => {
  it('presence, signals to all and to one in one order, and REST from any node (official SDK)', async () => {
    cx.nodes = await startCluster(cx.redis, 3, [], STEADY_CLUSTER_FLAGS);
    const [a, b, c] = cx.nodes as [ParleyProcess, ParleyProcess, ParleyProcess];
    const sessionId = await cx.createSession(a);
    const people = await cx.joinAll(sessionId, [
      ['alice', a],
      ['bob', b],
      ['carol', c],
    ]);
    const [alice, bob, carol] = [...people.values()] as [Session, Session, Session];
    expect(new Set([...people.values()].map(idOf)).size).toBe(3);

    const flow = new SignalFlow(people);
    const sent: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) for (const name of people.keys()) sent.push(flow.send(name));
    const toCarol = waitFor<string | undefined>(
      (resolve) =>
        carol.on('signal:private', ({ data }) => {
          resolve(data);
        }),
      T,
      'the signal to carol',
    );
    sent.push(alice.signal({ type: 'private', data: 'for carol', to: carol.connection ?? undefined }));
    await Promise.all(sent);
    await flow.complete(15_000);
    expect(flow.checker.counts()).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    // One order per session: every member saw the same interleaving.
    const orders = [...flow.arrivals.values()];
    for (const o of orders) expect(o).toEqual(orders[0]);
    expect(await toCarol).toBe('for carol');

    // REST through node B (the session was created on A): a signal to carol, a forceDisconnect of bob.
    const ot = new OpenTok(API_KEY, API_SECRET, { apiUrl: b.url });
    const fromRest = waitFor<string | undefined>(
      (resolve) =>
        carol.on('signal:rest', ({ data }) => {
          resolve(data);
        }),
      T,
      'the REST signal',
    );
    await done((cb) => {
      ot.signal(sessionId, idOf(carol), { type: 'rest', data: 'via B' }, cb);
    });
    expect(await fromRest).toBe('via B');
    // Bob's ID now: once his own client has handled the forced close, bob.connection is null.
    const bobId = idOf(bob);
    const bobGone = waitFor<string>(
      (resolve) =>
        alice.on('connectionDestroyed', ({ connection, reason }) => {
          if (connection.connectionId === bobId) resolve(reason);
        }),
      T,
      "bob's connectionDestroyed",
    );
    await done((cb) => {
      new OpenTok(API_KEY, API_SECRET, { apiUrl: c.url }).forceDisconnect(sessionId, bobId, cb);
    });
    expect(await bobGone).toBe('forceDisconnected');
    expect(await Promise.all(cx.nodes.map(readyz))).toEqual([200, 200, 200]);
  });
});

describe('parley serve --workers', () => {
  it('two workers behind one port share sessions through Redis; SIGTERM to the primary stops them all', async () => {
    const node = await startParleyProcess([
      '--redis',
      cx.redis.url,
      '--api-key',
      API_KEY,
      '--api-secret',
      API_SECRET,
      '--workers',
      '2',
    ]);
    cx.nodes = [node];
    const pids = /2 workers behind this port \(pids (\d+), (\d+)\)/.exec(node.output());
    expect(pids).not.toBeNull();
    const sessionId = await cx.createSession(node);
    // Connections are handed to the workers in turn: four clients land on both.
    const people = await cx.joinAll(
      sessionId,
      ['w1', 'w2', 'w3', 'w4'].map((name) => [name, node] as [string, ParleyProcess]),
    );
    const flow = new SignalFlow(people);
    const sent: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) for (const name of people.keys()) sent.push(flow.send(name));
    await Promise.all(sent);
    await flow.complete(15_000);
    expect(flow.checker.counts()).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    const exit = await node.kill('SIGTERM');
    expect(exit.code).toBe(0);
    for (const pid of [pids?.[1], pids?.[2]]) expect(() => process.kill(Number(pid), 0)).toThrow();
  });
});
