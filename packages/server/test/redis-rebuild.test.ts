/**
 * Resume after a node death over the Redis bus (issue 13, docs/CLUSTER.md §Resume after a node
 * death): the dead node's client resumes on another node with the same connection, rebuilt from
 * its checkpoint and the session's log: exactly the messages it had not acknowledged (nacks and
 * replies among the fan-out included, in the same positions), and its requests' ack. Three nodes
 * in this process on a private redis-server; `crash()` stops a node's bus as a SIGKILL would.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode, DEFAULT_TIMINGS, isSequenced, type ServerMessage, type WelcomeMessage } from '@parley/protocol';
import type { RedisBus } from '@parley/server';
import { testRedis } from '@parley/testkit';
import { Harness, type Joined } from './support/harness.js';
import type { RawClient } from './support/raw-client.js';

const LEASE = { leaseTtlMs: 1_500, renewEveryMs: 250 };
const TIMINGS = { ...DEFAULT_TIMINGS, reconnectWindow: 3_000 };

let h: Harness;
let sessionId: string;
beforeEach(async () => {
  await testRedis();
  h = await Harness.start({ timings: TIMINGS }, 'redis', undefined, LEASE);
  sessionId = await h.session();
});
afterEach(async () => {
  await h.stop();
});

const bus = (i: number): RedisBus => h.nodes.redisBuses[i] as RedisBus;

/** Resume `welcome`'s connection on node `i`, acknowledging `ack`. */
function resumeOn(i: number, welcome: WelcomeMessage, ack: number): RawClient {
  return h.resume(sessionId, welcome, ack, undefined, h.nodes.servers[i]);
}

/** The sequenced messages a client received, in order (position n is index n - 1). */
function sequenced(c: RawClient): ServerMessage[] {
  return c.messages.filter(isSequenced);
}

async function ackOf(a: Joined, s: number): Promise<void> {
  await a.client.nextOf('ack', 5_000, (m) => m.a >= s);
}

describe('resume after a node death', () => {
  it('a SIGKILLed node: its client resumes on another node with the same connection, the unacknowledged messages (nack and reply among the fan-out) replayed in place, its requests acknowledged once', async () => {
    const a = await h.join(sessionId, { data: 'a', caps: ['reply'] }); // node 0
    const b = await h.join(sessionId, { data: 'b' }); // node 1
    const bId = b.welcome.connection.connectionId;
    await a.client.nextOf('connectionCreated');
    // Fan-out from b interleaved with a's nack (to nobody), reply (time) and echo.
    b.client.send({ t: 'signal', s: 1, type: 'n', data: 'b1' });
    a.client.send({ t: 'signal', s: 1, to: 'nobody', data: 'x' });
    b.client.send({ t: 'signal', s: 2, type: 'n', data: 'b2' });
    a.client.send({ t: 'time', s: 2 });
    a.client.send({ t: 'signal', s: 3, type: 'n', data: 'a3' });
    await ackOf(a, 3);
    await a.client.until('b1, b2 and the echo', () => sequenced(a.client).length >= 6, 5_000);
    // a acknowledges two messages; its node writes its checkpoint.
    a.client.send({ t: 'ack', a: 2 });
    await waitForCheckpoint(0, a, 2);
    // After the checkpoint: more fan-out and another nack, then the node dies.
    b.client.send({ t: 'signal', s: 3, type: 'n', data: 'b3' });
    a.client.send({ t: 'signal', s: 4, to: 'nobody', data: 'y' });
    a.client.send({ t: 'signal', s: 5, to: bId, data: 'a5' });
    await ackOf(a, 5);
    await a.client.until('b3', () => sequenced(a.client).some((m) => m.t === 'signal' && m.data === 'b3'), 5_000);
    await b.client.until('a5', () => b.client.messages.some((m) => m.t === 'signal' && m.data === 'a5'), 5_000);
    const before = sequenced(a.client);
    // (b's signals and a's requests interleave in whatever order Redis ran them.)
    expect(before.map((m) => m.t).sort()).toEqual(
      ['connectionCreated', 'nack', 'nack', 'reply', 'signal', 'signal', 'signal', 'signal'].sort(),
    );
    bus(0).crash();
    a.client.ws.terminate();

    const back = resumeOn(1, a.welcome, 2);
    const resumed = await back.nextOf('resumed', 5_000);
    expect(resumed).toMatchObject({ ack: 5, next: 3 });
    await back.until('the replay', () => sequenced(back).length >= before.length - 2, 5_000);
    expect(sequenced(back)).toEqual(before.slice(2));
    // The same connection carries on, both ways, exactly once.
    b.client.send({ t: 'signal', s: 4, type: 'n', data: 'b4' });
    back.send({ t: 'signal', s: 6, to: bId, data: 'a6' });
    await back.until('b4', () => sequenced(back).some((m) => m.t === 'signal' && m.data === 'b4'), 5_000);
    await b.client.until('a6', () => b.client.messages.some((m) => m.t === 'signal' && m.data === 'a6'), 5_000);
    expect(b.client.messages.filter((m) => m.t === 'signal' && m.data === 'a5')).toHaveLength(1);
    expect(b.client.messages.filter((m) => m.t === 'connectionDestroyed')).toEqual([]);
    expect(await rebuilds(1)).toEqual({ ok: 1, refused: 0 });
  });

  it('stream requests among the others (a change, and one that changes nothing) log their numbers: the rebuild knows them done, and the stream is not published twice', async () => {
    const a = await h.join(sessionId, { data: 'a', caps: ['reply', 'streams'] }); // node 0
    const b = await h.join(sessionId, { data: 'b', caps: ['streams'] }); // node 1
    const bId = b.welcome.connection.connectionId;
    await a.client.nextOf('connectionCreated');
    a.client.send({ t: 'publish', s: 1, name: 'cam', hasAudio: true, hasVideo: true, videoType: 'camera' });
    const { streamId } = (await a.client.nextOf('reply', 5_000)).data as { streamId: string };
    a.client.send({ t: 'streamUpdate', s: 2, streamId, hasVideo: false }); // one streamPropertyChanged
    a.client.send({ t: 'streamUpdate', s: 3, streamId, hasVideo: false }); // no event at all
    a.client.send({ t: 'signal', s: 4, to: bId, data: 'after' });
    await ackOf(a, 4);
    bus(0).crash();
    a.client.ws.terminate();

    const back = resumeOn(1, a.welcome, 1); // it had read connectionCreated
    expect(await back.nextOf('resumed', 5_000)).toMatchObject({ ack: 4 });
    expect(await rebuilds(1)).toEqual({ ok: 1, refused: 0 });
    expect(b.client.messages.filter((m) => m.t === 'streamCreated')).toHaveLength(1);
  });

  it('a client that resumes after the reaper parked its member: peers saw connectionReconnecting, then connectionReconnected', async () => {
    const { a, b, aId } = await h.pair(sessionId);
    b.client.send({ t: 'signal', s: 1, type: 'n', data: 'b1' });
    await a.client.until('b1', () => sequenced(a.client).length >= 2, 5_000);
    bus(0).crash();
    a.client.ws.terminate();
    expect(await b.client.nextOf('connectionReconnecting', 10_000)).toMatchObject({ connectionId: aId });
    b.client.send({ t: 'signal', s: 2, type: 'n', data: 'b2' });
    const back = resumeOn(2, a.welcome, 1);
    expect(await back.nextOf('resumed', 5_000)).toMatchObject({ ack: 0, next: 2 });
    await back.until('b1 and b2', () => sequenced(back).length >= 2, 5_000);
    expect(sequenced(back).map((m) => (m.t === 'signal' ? m.data : m.t))).toEqual(['b1', 'b2']);
    expect(await b.client.nextOf('connectionReconnected', 5_000)).toMatchObject({ connectionId: aId });
  });

  it('a resume from before what the checkpoint says was acknowledged: an explicit refusal (4010), never a guess', async () => {
    const { a, b } = await h.pair(sessionId);
    b.client.send({ t: 'signal', s: 1, type: 'n', data: 'b1' });
    await a.client.until('b1', () => sequenced(a.client).length >= 2, 5_000);
    a.client.send({ t: 'ack', a: 2 });
    await waitForCheckpoint(0, a, 2);
    bus(0).crash();
    a.client.ws.terminate();
    // The client claims to have acknowledged less than the server knows it did.
    const back = resumeOn(1, a.welcome, 1);
    expect((await back.close(5_000)).code).toBe(CloseCode.ResumeRefused);
  });

  it('past the log: a member that acknowledged everything is checkpointed where the session stands and resumes; one whose unacknowledged messages left the log is refused (4010)', async () => {
    const a = await h.join(sessionId, { data: 'a' }); // node 0
    const b = await h.join(sessionId, { data: 'b' }); // node 1
    const c = await h.join(sessionId, { data: 'c' }); // node 2
    const d = await h.join(sessionId, { data: 'd' }); // node 0
    d.client.stopPinging(); // d acknowledges nothing
    b.client.send({ t: 'signal', s: 1, data: 'old' });
    await d.client.until('old', () => sequenced(d.client).length >= 1, 5_000);
    await a.client.until('b, c, d and old', () => sequenced(a.client).length >= 4, 5_000);
    a.client.send({ t: 'ack', a: 4 });
    // More messages between b and c than the session log keeps (each one a signal or a nack).
    const cId = c.welcome.connection.connectionId;
    const bId = b.welcome.connection.connectionId;
    // (Frames of 175: a frame batches at most 256 messages.)
    const burst = (to: string, from: number) =>
      Array.from({ length: 175 }, (_, i) => ({ t: 'signal', s: from + i, to, data: 'x' }));
    for (const from of [2, 177]) {
      b.client.send(...burst(cId, from));
      c.client.send(...burst(bId, from - 1));
    }
    await Promise.all([ackOf(b, 351), ackOf(c, 350)]);
    await waitForCheckpoint(0, a, 4);
    bus(0).crash();
    a.client.ws.terminate();
    d.client.ws.terminate();
    const aBack = resumeOn(1, a.welcome, 4);
    expect(await aBack.nextOf('resumed', 5_000)).toMatchObject({ ack: 0, next: 5 });
    // (By now d's node is past its lease: the claim rebuilds at once; before, after claimTimeoutMs.)
    const dBack = resumeOn(2, d.welcome, 0);
    expect((await dBack.close(15_000)).code).toBe(CloseCode.ResumeRefused);
    expect(await rebuilds(2)).toEqual({ ok: 0, refused: 1 });
  });
});

/** Node `i`'s `parley_redis_rebuilds_total`, by result. */
async function rebuilds(i: number): Promise<Record<string, number>> {
  const family = bus(i)
    .metricFamilies()
    .find((f) => f.name === 'redis_rebuilds_total');
  const values = (await family?.read()) as { labels: { result: string }; value: number }[];
  return Object.fromEntries(values.map((v) => [v.labels.result, v.value]));
}

/** Wait until node `i` has written `member`'s checkpoint at `acked` (written at once through the test hook). */
async function waitForCheckpoint(i: number, member: Joined, acked: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    await bus(i).checkpointNow();
    const found = await bus(i).checkpointsOf(sessionId);
    if (found[member.welcome.connection.connectionId]?.startsWith(`${acked}|`) === true) return;
    if (Date.now() > deadline) throw new Error(`no checkpoint at ${acked}: ${JSON.stringify(found)}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
