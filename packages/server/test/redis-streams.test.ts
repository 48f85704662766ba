/**
 * Streams across the nodes of a Redis cluster (issues 11 and 13): three nodes in this process,
 * each with its own RedisBus handle on this file's private redis-server, raw clients spread over
 * them (join order: node 0, 1, 2, 0, ...). A stream published on one node is seen, subscribed,
 * changed, muted and ended from the others in the session's one order; the official `opentok`
 * SDK answers the same through every node; a publisher's node that dies takes its streams with
 * it (before its connections), and Redis keeps no stream state of a session that ended.
 * The stream conformance suites run over the same bus through STREAM_BUS_KINDS.
 */
import OpenTok from 'opentok';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TIMINGS, type StreamInfo } from '@parley/protocol';
import type { RedisBus } from '@parley/server';
import { testRedis, type RedisServer } from '@parley/testkit';
import { API_KEY, API_SECRET, Harness, type Joined } from './support/harness.js';

const CAPS = ['reply', 'streams'] as const;
const PUBLISH = { t: 'publish', name: 'cam', hasAudio: true, hasVideo: true, videoType: 'camera' } as const;
/** Short leases: a dead node is noticed within about two seconds. */
const LEASE = { leaseTtlMs: 1_500, renewEveryMs: 250 };
/** A dead node's members are parked for their reconnect window (they may resume elsewhere): a short one. */
const TIMINGS = { ...DEFAULT_TIMINGS, reconnectWindow: 2_000 };
const T = 10_000;

type Cb<T> = (err: Error | null, result?: T) => void;
function call<T>(fn: (cb: Cb<T>) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    fn((err, result) => {
      if (err) reject(err);
      else resolve(result);
    });
  });
}

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

/** The OpenTok SDK pointed at node i. */
function sdk(i: number): OpenTok {
  const server = h.nodes.servers[i];
  if (server === undefined) throw new Error(`no node ${i}`);
  return new OpenTok(API_KEY, API_SECRET, { apiUrl: server.url });
}

async function publish(who: Joined, s: number, name = 'cam'): Promise<StreamInfo> {
  who.client.send({ ...PUBLISH, s, name });
  return (await who.client.nextOf('reply', T, (m) => m.r === s)).data as unknown as StreamInfo;
}

const id = (j: Joined): string => j.welcome.connection.connectionId;

describe('streams over the Redis bus, across nodes', () => {
  it('publish on one node, seen, subscribed, changed, muted and ended from the others; REST through every node', async () => {
    const alice = await h.join(sessionId, { caps: CAPS }); // node 0
    const bob = await h.join(sessionId, { caps: CAPS }); // node 1
    const mod = await h.join(sessionId, { caps: CAPS, role: 'moderator' }); // node 2
    const stream = await publish(alice, 1);
    expect((await bob.client.nextOf('streamCreated', T)).stream).toEqual(stream);
    expect((await mod.client.nextOf('streamCreated', T)).stream).toEqual(stream);
    // A joiner (node 0) gets it with the roster.
    const carol = await h.join(sessionId, { caps: CAPS });
    expect(carol.welcome.streams).toEqual([stream]);

    // Bob (node 1) subscribes; his offer reaches alice (node 0), her answer reaches him.
    bob.client.send({ t: 'subscribe', s: 1, streamId: stream.streamId, subscriberId: 'sub-1' });
    await bob.client.nextOf('ack', T, (m) => m.a === 1);
    const offer = { type: 'offer', sdp: 'v=0 offer' } as const;
    bob.client.send({ t: 'media', s: 2, streamId: stream.streamId, subscriberId: 'sub-1', sdp: offer });
    expect(await alice.client.nextOf('media', T)).toMatchObject({ from: id(bob), subscriberId: 'sub-1', sdp: offer });
    alice.client.send({
      t: 'media',
      s: 2,
      streamId: stream.streamId,
      subscriberId: 'sub-1',
      sdp: { type: 'answer', sdp: 'v=0 answer' },
    });
    expect(await bob.client.nextOf('media', T)).toMatchObject({ from: id(alice), sdp: { type: 'answer' } });

    // A property change reaches every node.
    alice.client.send({ t: 'streamUpdate', s: 3, streamId: stream.streamId, hasVideo: false });
    for (const who of [bob, mod, carol])
      expect(await who.client.nextOf('streamPropertyChanged', T)).toMatchObject({
        streamId: stream.streamId,
        changedProperty: 'hasVideo',
        oldValue: true,
        newValue: false,
      });

    // REST through nodes 1 and 2 sees the stream published on node 0.
    const listed = await call<OpenTok.Stream[]>((cb) => {
      sdk(1).listStreams(sessionId, cb);
    });
    expect(listed?.map((s) => s.id)).toEqual([stream.streamId]);
    const got = await call<OpenTok.Stream>((cb) => {
      sdk(2).getStream(sessionId, stream.streamId, cb);
    });
    expect(got).toMatchObject({ id: stream.streamId, name: 'cam', videoType: 'camera' });

    // A forced mute through node 2's REST: the publisher (node 0) is told, everyone sees hasAudio go false.
    await call((cb) => {
      sdk(2).forceMuteStream(sessionId, stream.streamId, cb);
    });
    expect(await alice.client.nextOf('muteForced', T)).toMatchObject({ active: true, streamIds: [stream.streamId] });
    expect(await bob.client.nextOf('streamPropertyChanged', T)).toMatchObject({
      changedProperty: 'hasAudio',
      newValue: false,
    });

    // The moderator (node 2) forces a second stream of alice's out; alice unpublishes the first.
    const second = await publish(alice, 4, 'screen');
    await bob.client.nextOf('streamCreated', T, (m) => m.stream.streamId === second.streamId);
    mod.client.send({ t: 'forceUnpublish', s: 1, streamId: second.streamId });
    await mod.client.nextOf('ack', T, (m) => m.a === 1);
    expect(await bob.client.nextOf('streamDestroyed', T)).toMatchObject({
      streamId: second.streamId,
      reason: 'forceUnpublished',
    });
    alice.client.send({ t: 'unpublish', s: 5, streamId: stream.streamId });
    // Bob's subscription ends with the stream: the destroy reaches every node.
    expect(await carol.client.nextOf('streamDestroyed', T, (m) => m.streamId === stream.streamId)).toMatchObject({
      reason: 'clientDisconnected',
    });
    expect(
      await call<OpenTok.Stream[]>((cb) => {
        sdk(1).listStreams(sessionId, cb);
      }),
    ).toEqual([]);
  });

  it("a publisher's node that dies: its member is parked for the window (it may resume elsewhere), then its streams end (networkDisconnected) before its connection, and its subscriptions", async () => {
    const alice = await h.join(sessionId, { caps: CAPS }); // node 0: will die
    const bob = await h.join(sessionId, { caps: CAPS }); // node 1
    const aliceStream = await publish(alice, 1);
    const bobStream = await publish(bob, 1);
    await alice.client.until("bob's stream", () => alice.client.all('streamCreated').length > 0, T);
    alice.client.send({ t: 'subscribe', s: 2, streamId: bobStream.streamId, subscriberId: 'a-sub' });
    await alice.client.nextOf('ack', T, (m) => m.a === 2);

    (h.nodes.redisBuses[0] as RedisBus).crash();
    await bob.client.nextOf('connectionReconnecting', T);
    expect(bob.client.all('streamDestroyed')).toEqual([]); // still hers while she may come back
    await bob.client.until("alice's connection gone", () => bob.client.all('connectionDestroyed').length > 0, T);
    const seen = bob.client.messages.filter((m) =>
      ['streamDestroyed', 'subscriptionEnded', 'connectionDestroyed'].includes(m.t),
    );
    expect(seen).toEqual([
      { t: 'streamDestroyed', streamId: aliceStream.streamId, reason: 'networkDisconnected' },
      { t: 'subscriptionEnded', streamId: bobStream.streamId, subscriberId: 'a-sub' },
      { t: 'connectionDestroyed', connectionId: id(alice), reason: 'networkDisconnected' },
    ]);
    // A joiner sees only bob's stream; REST through the survivors agrees.
    const carol = await h.join(sessionId, { caps: CAPS }); // node 2
    expect(carol.welcome.streams).toEqual([bobStream]);
    const listed = await call<OpenTok.Stream[]>((cb) => {
      sdk(2).listStreams(sessionId, cb);
    });
    expect(listed?.map((s) => s.id)).toEqual([bobStream.streamId]);
  });

  it('the session takes its stream state with its last member', async () => {
    const alice = await h.join(sessionId, { caps: CAPS });
    const bob = await h.join(sessionId, { caps: CAPS });
    await publish(alice, 1);
    await publish(bob, 1);
    await call((cb) => {
      sdk(0).forceMuteAll(sessionId, {}, cb);
    });
    const r = new Redis(redis.url);
    try {
      expect((await r.keys(`*s:${sessionId}:*`)).some((k) => k.endsWith(':st'))).toBe(true);
      alice.client.send({ t: 'bye' });
      bob.client.send({ t: 'bye' });
      await Promise.all([alice.client.close(T), bob.client.close(T)]);
      await waitKeys(r, `*s:${sessionId}*`, 0);
    } finally {
      r.disconnect();
    }
  });
});

/** Resolves once Redis holds exactly `n` keys matching `pattern` (the leaves are asynchronous). */
async function waitKeys(r: Redis, pattern: string, n: number): Promise<void> {
  const deadline = Date.now() + T;
  for (;;) {
    const keys = await r.keys(pattern);
    if (keys.length === n) return;
    if (Date.now() > deadline) throw new Error(`Redis still holds ${keys.join(', ')}`);
    await r.ping(); // one round trip before looking again
  }
}
