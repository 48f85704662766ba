/**
 * Routed media end to end: Node clients (`@roamhq/wrtc`, real VP8) publish and subscribe through
 * Parley's forwarder (werift in a worker thread, `forwarder: true`): two subscribers decode
 * frames, `/metrics` counts what was forwarded, and when the publisher unpublishes or leaves, the
 * forwarder is empty. Loopback-only
 * network namespace:
 *
 *   unshare -n sh -c 'ip link set lo up && npx vitest run integration/routed.media.test.ts'
 */
import { describe, expect, it } from 'vitest';
import { Publisher, type Session, type Stream, type Subscriber } from '@parley/client';
import {
  createForwarder,
  createServer,
  ForwarderMediaRouter,
  type ForwarderEvent,
  type MediaForwarder,
} from '@parley/server';
import { nextEmitted, nextEvent, waitFor } from '@parley/testkit';
import {
  cameraTrack,
  cleanupsAfterEach,
  decoded as decodedWith,
  metricsOf,
  sessionOf,
  subscriberEvents as events,
} from './support/wrtc-media.js';

const T = 20_000;
const PROJECT = { apiKey: '100001', apiSecret: 'routed-secret-1' };
const cleanups = cleanupsAfterEach();
const camera = (): MediaStreamTrack => cameraTrack(cleanups);
const decoded = (s: Subscriber, n: number): Promise<void> => decodedWith(s, n, cleanups, T);

describe('routed media through the forwarder (wrtc clients)', () => {
  async function start(): Promise<{
    readonly router: () => ForwarderMediaRouter;
    readonly forwarder: () => MediaForwarder;
    readonly join: () => Promise<Session>;
    readonly metrics: () => Promise<Map<string, number>>;
  }> {
    let router: ForwarderMediaRouter | undefined;
    let forwarder: MediaForwarder | undefined;
    const server = await createServer({
      port: 0,
      dataDir: ':memory:',
      projects: [PROJECT],
      mediaRouter: (host) =>
        (router = new ForwarderMediaRouter(host, () => {
          forwarder = createForwarder();
          return forwarder;
        })),
    });
    cleanups.push(() => server.close());
    const join = await sessionOf(PROJECT, server.url, 'routed', cleanups);
    return {
      metrics: () => metricsOf(server),
      forwarder: () => {
        if (forwarder === undefined) throw new Error('no forwarder yet');
        return forwarder;
      },
      router: () => {
        if (router === undefined) throw new Error('no media router');
        return router;
      },
      join: () => join(),
    };
  }

  it('two subscribers decode a publisher through the forwarder, /metrics counts it; unpublish leaves it empty', async () => {
    const { router, forwarder, join, metrics } = await start();
    const alice = await join();
    const bob = await join();
    const carol = await join();
    expect(bob.mediaMode).toBe('routed');
    const created = [nextEvent(bob, 'streamCreated', T), nextEvent(carol, 'streamCreated', T)];
    const publisher = new Publisher(undefined, { name: 'cam', videoTrack: camera(), publishAudio: false });
    await alice.publish(publisher);
    const [forBob, forCarol] = (await Promise.all(created)).map((e) => e.stream) as [Stream, Stream];
    const subs = [bob.subscribe(forBob), carol.subscribe(forCarol)];
    await Promise.all(subs.map((s) => nextEmitted(events(s), 'connected', T)));
    await Promise.all(subs.map((s) => decoded(s, 10)));
    expect(await router().stats()).toMatchObject({ routers: 1, transports: 3, producers: 1, consumers: 2 });
    const m = await metrics();
    expect(m.get('streams')).toBe(1);
    expect(m.get('stream_publishes_total')).toBe(1);
    expect(m.get('stream_subscriptions_total')).toBe(2);
    expect(m.get('media_messages_total')).toBeGreaterThanOrEqual(3); // three offers, then candidates
    expect(m.get('forwarder_objects{kind="consumers"}')).toBe(2);
    expect(m.get('forwarder_objects{kind="transports"}')).toBe(3);
    // 20 frames decoded: packets came in and went out to both subscribers, with their bytes.
    expect(m.get('forwarder_received_packets_total')).toBeGreaterThan(0);
    expect(m.get('forwarder_received_bytes_total')).toBeGreaterThan(0);
    expect(m.get('forwarded_packets_total')).toBeGreaterThanOrEqual(20);
    expect(m.get('forwarded_bytes_total')).toBeGreaterThan(m.get('forwarded_packets_total') ?? 0);
    expect(m.get('forwarder_keyframe_requests_total')).toBeGreaterThanOrEqual(1);
    expect(m.has('forwarder_retransmissions_total')).toBe(true);

    const destroyed = subs.map((s) => nextEmitted<{ reason: string }>(events(s), 'destroyed', T));
    const routerClosed = waitFor(
      (resolve) =>
        forwarder().onEvent((e) => {
          if (e.type === 'router-closed') resolve();
        }),
      T,
      'the router closed',
    );
    await alice.unpublish(publisher);
    for (const d of destroyed) expect((await d).reason).toBe('clientDisconnected');
    await routerClosed;
    const stats = await router().stats();
    expect(stats).toMatchObject({ routers: 0, transports: 0, producers: 0, consumers: 0 });
    expect((await metrics()).get('forwarder_objects{kind="transports"}')).toBe(0);
  });

  it('a late subscriber makes the forwarder ask the publisher for a key frame, and decodes promptly', async () => {
    const { join, metrics } = await start();
    const alice = await join();
    const bob = await join();
    const created = nextEvent(bob, 'streamCreated', T);
    await alice.publish(new Publisher(undefined, { videoTrack: camera(), publishAudio: false }));
    const bobSub = bob.subscribe((await created).stream);
    await nextEmitted(events(bobSub), 'connected', T);
    // Two seconds in, the stream's only unrequested key frame (its first) is long gone: a late
    // subscriber decodes nothing until the publisher sends a new one.
    await decoded(bobSub, 60);
    const before = (await metrics()).get('forwarder_keyframe_requests_total') ?? 0;
    const carol = await join();
    const stream = carol.streams.values().next().value as Stream;
    const subscribedAt = performance.now();
    const carolSub = carol.subscribe(stream);
    await nextEmitted(events(carolSub), 'connected', T);
    await decoded(carolSub, 1);
    const firstFrameMs = performance.now() - subscribedAt;
    expect((await metrics()).get('forwarder_keyframe_requests_total')).toBeGreaterThan(before);
    expect(firstFrameMs).toBeLessThan(10_000); // typically well under a second
  });

  it('a subscriber that leaves closes only its own consumer', async () => {
    const { router, forwarder, join } = await start();
    const alice = await join();
    const bob = await join();
    const carol = await join();
    const created = [nextEvent(bob, 'streamCreated', T), nextEvent(carol, 'streamCreated', T)];
    await alice.publish(new Publisher(undefined, { videoTrack: camera(), publishAudio: false }));
    const [forBob, forCarol] = (await Promise.all(created)).map((e) => e.stream) as [Stream, Stream];
    const bobSub = bob.subscribe(forBob);
    const carolSub = carol.subscribe(forCarol);
    await Promise.all([bobSub, carolSub].map((s) => nextEmitted(events(s), 'connected', T)));
    await decoded(carolSub, 5);
    const closed = waitFor<ForwarderEvent>(
      (resolve) =>
        forwarder().onEvent((e) => {
          if (e.type === 'transport-closed') resolve(e);
        }),
      T,
      "bob's transport closed",
    );
    void bob.disconnect();
    expect(await closed).toMatchObject({ reason: 'requested' });
    expect(await router().stats()).toMatchObject({ routers: 1, transports: 2, producers: 1, consumers: 1 });
    await decoded(carolSub, 5); // carol still decodes
  });
});
