/**
 * The seed's drop and resume in a routed session, through Parley's forwarder (werift in a worker
 * thread), with Node clients (`@roamhq/wrtc`, real VP8). Each dropping client reaches the server
 * through its own FaultProxy (its WebSocket) and its own UdpRelay (its media path to the
 * forwarder), so a test cuts its socket, its media path, or both (a real network drop):
 *
 * - the publisher's socket, or its whole network, drops and comes back: its subscribers report
 *   disconnected then reconnected (ICE restart after the resume), frames decode again, the stream
 *   and its ID are the same, and the forwarder holds the same objects as before;
 * - the publisher's media path alone drops: its upload restarts ICE, frames decode again;
 * - a subscriber's own network drops: the same pair on that subscriber only;
 * - the publisher never comes back: its stream ends with networkDisconnected and the forwarder is
 *   empty.
 *
 * Loopback-only network namespace (`npm test -- integration/routed-reconnect.media.test.ts`):
 *
 *   unshare -n sh -c 'ip link set lo up && PARLEY_TEST_TIER=media npx vitest run integration/routed-reconnect.media.test.ts'
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Publisher, Session, type Stream, type Subscriber } from '@parley/client';
import { createForwarder, ForwarderMediaRouter, type MediaForwarder } from '@parley/server';
import {
  nextEmitted,
  nextEvent,
  recordEvents,
  relayedWebRtc,
  UdpRelay,
  waitFor,
  type EventSource,
  type FaultProxy,
} from '@parley/testkit';
import { API_KEY, startHarness, type Harness } from './harness.js';
import { camera, frames, webrtc, type FrameCounter } from './support/wrtc-media.js';

const T = 20_000;
/** Short liveness, so a drop is seen at once; a window long enough to come back in on a loaded machine. */
const TIMINGS = { heartbeatInterval: 100, heartbeatTimeout: 400, reconnectWindow: 8_000 } as const;

const events = (x: Publisher | Subscriber): EventSource => x as unknown as EventSource;

describe('routed media rides out drops (forwarder, wrtc clients)', () => {
  let h: Harness;
  let forwarder: MediaForwarder | undefined;
  let sessionId = '';
  const renegotiations: string[] = [];
  const renegotiationWaiters = new Set<() => void>();

  /** Resolves once the forwarder answered an ICE restart of a transport whose id ends with `suffix`. */
  function restartOf(suffix: string, ms: number): Promise<void> {
    return waitFor(
      (resolve) => {
        const check = (): void => {
          if (renegotiations.some((t) => t.endsWith(suffix))) resolve();
        };
        renegotiationWaiters.add(check);
        check();
        return () => renegotiationWaiters.delete(check);
      },
      ms,
      `an ICE restart of a transport ending in ${suffix}`,
    );
  }
  const cleanups: (() => unknown)[] = [];

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await h.cleanup();
  });

  async function start(reconnectWindow: number = TIMINGS.reconnectWindow): Promise<void> {
    forwarder = undefined;
    renegotiations.length = 0;
    h = await startHarness({
      timings: { ...TIMINGS, reconnectWindow },
      mediaRouter: (host) =>
        new ForwarderMediaRouter(host, () => {
          const f = createForwarder();
          // Counts the ICE restarts the forwarder answers (an offer on a live transport).
          const renegotiate = f.renegotiate.bind(f);
          f.renegotiate = (transportId, offer) => {
            renegotiations.push(transportId);
            for (const w of [...renegotiationWaiters]) w();
            return renegotiate(transportId, offer);
          };
          forwarder = f;
          return f;
        }),
    });
    sessionId = (await h.parley.createSession({ mediaMode: 'routed' })).sessionId;
  }

  interface Member {
    readonly session: Session;
    /** Its WebSocket to the server. */
    readonly proxy: FaultProxy;
    /** Its media path to the forwarder. */
    readonly relay: UdpRelay;
  }

  async function join(): Promise<Member> {
    const proxy = await h.proxy();
    const relay = await UdpRelay.start();
    cleanups.push(() => relay.close());
    const session = new Session(API_KEY, sessionId, undefined, {
      url: proxy.url(h.server.url),
      webrtc: relayedWebRtc(webrtc, relay),
    });
    cleanups.push(() => session.disconnect().catch(() => undefined));
    await session.connect(h.token({ sessionId }));
    expect(session.mediaMode).toBe('routed');
    return { session, proxy, relay };
  }

  /** Alice publishes a camera; each of `others` subscribes and decodes frames. */
  async function publishTo(
    alice: Session,
    others: readonly Session[],
  ): Promise<{ publisher: Publisher; stream: Stream; subs: { subscriber: Subscriber; video: FrameCounter }[] }> {
    const cam = camera();
    cleanups.push(() => {
      cam.stop();
    });
    const created = others.map((s) => nextEvent(s, 'streamCreated', T));
    const publisher = new Publisher(undefined, { name: 'cam', videoTrack: cam.track, publishAudio: false });
    const stream = await alice.publish(publisher);
    const subs = await Promise.all(
      others.map(async (s, i) => {
        const subscriber = s.subscribe((await created[i]!).stream);
        await nextEmitted(events(subscriber), 'connected', T);
        const track = subscriber.mediaStream?.getVideoTracks()[0];
        if (track === undefined) throw new Error('connected without a video track');
        const video = frames(track);
        cleanups.push(() => {
          video.stop();
        });
        await video.atLeast(5, T);
        return { subscriber, video };
      }),
    );
    return { publisher, stream, subs };
  }

  async function objects(): Promise<Record<string, number>> {
    const s = await forwarder!.stats();
    return { routers: s.routers, transports: s.transports, producers: s.producers, consumers: s.consumers };
  }

  const SUB_EVENTS = ['disconnected', 'reconnected', 'destroyed'];

  it("the publisher's socket drops: its subscribers report disconnected, then reconnected after the ICE restart; same stream, frames again", async () => {
    await start();
    const alice = await join();
    const bob = await join();
    const carol = await join();
    const { publisher, stream, subs } = await publishTo(alice.session, [bob.session, carol.session]);
    const before = await objects();
    expect(before).toEqual({ routers: 1, transports: 3, producers: 1, consumers: 2 });
    const recs = subs.map((s) => recordEvents(events(s.subscriber), SUB_EVENTS));
    const mine = recordEvents(alice.session, ['sessionReconnecting', 'sessionReconnected', 'sessionDisconnected']);
    const pub = recordEvents(events(publisher), ['streamDestroyed', 'error']);

    alice.proxy.cut();
    for (const rec of recs) await rec.waitFor('reconnected', T);
    for (const s of subs) await s.video.atLeast(10, T);
    expect(mine.names()).toEqual(['sessionReconnecting', 'sessionReconnected']);
    for (const rec of recs) expect(rec.names()).toEqual(['disconnected', 'reconnected']);
    expect(pub.names()).toEqual([]);
    expect(publisher.stream?.streamId).toBe(stream.streamId);
    expect([...bob.session.streams.keys()]).toEqual([stream.streamId]);
    expect(subs.map((s) => s.subscriber.stream.streamId)).toEqual([stream.streamId, stream.streamId]);
    expect(await objects()).toEqual(before); // the same transports, restarted: none added, none left over
  });

  it("the publisher's whole network drops (socket and media path) and comes back: the same pair, frames again", async () => {
    await start();
    const alice = await join();
    const bob = await join();
    const { stream, subs } = await publishTo(alice.session, [bob.session]);
    const [{ subscriber, video }] = subs as [{ subscriber: Subscriber; video: FrameCounter }];
    const rec = recordEvents(events(subscriber), SUB_EVENTS);
    const reconnecting = nextEvent(alice.session, 'sessionReconnecting', T);

    alice.relay.cut();
    alice.proxy.refuse(true);
    alice.proxy.cut();
    await rec.waitFor('disconnected', T);
    await reconnecting;
    await alice.relay.dropped(30, T); // about a second of video lost
    const frozen = video.count;
    alice.relay.restore();
    alice.proxy.restore();
    alice.proxy.refuse(false);
    await rec.waitFor('reconnected', T);
    await video.atLeast(10, T);
    expect(rec.names()).toEqual(['disconnected', 'reconnected']);
    expect(video.count).toBeGreaterThan(frozen);
    expect(subscriber.stream.streamId).toBe(stream.streamId);
    expect(await objects()).toEqual({ routers: 1, transports: 2, producers: 1, consumers: 1 });
  });

  it("the publisher's media path alone drops: frames stop, then come back when it is restored, same stream", async () => {
    await start();
    const alice = await join();
    const bob = await join();
    const { stream, subs } = await publishTo(alice.session, [bob.session]);
    const [{ subscriber, video }] = subs as [{ subscriber: Subscriber; video: FrameCounter }];
    const rec = recordEvents(events(subscriber), SUB_EVENTS);

    alice.relay.cut();
    await alice.relay.dropped(90, T); // about 3 s of video and the publisher's connectivity checks
    const frozen = video.count;
    alice.relay.restore();
    await video.atLeast(10, T);
    expect(video.count).toBeGreaterThan(frozen);
    // The subscriber's own path never broke and the stream never ended: no event for it.
    expect(rec.names()).toEqual([]);
    expect(bob.session.streams.get(stream.streamId)).toBe(subscriber.stream);
    expect(await objects()).toEqual({ routers: 1, transports: 2, producers: 1, consumers: 1 });
  });

  it("the publisher's media path stays dead: its upload restarts ICE by itself, and frames come back once the path is back", async () => {
    await start();
    const alice = await join();
    const bob = await join();
    const { stream, subs } = await publishTo(alice.session, [bob.session]);
    const [{ subscriber, video }] = subs as [{ subscriber: Subscriber; video: FrameCounter }];
    const rec = recordEvents(events(subscriber), SUB_EVENTS);
    alice.relay.cut();
    // libwebrtc declares a path failed after about 30 s without an answer to its checks; the
    // forwarder (ICE-lite) cannot notice, so the restart must come from the publisher.
    await restartOf('|up', 90_000);
    const frozen = video.count;
    alice.relay.restore();
    await video.atLeast(10, T);
    expect(video.count).toBeGreaterThan(frozen);
    expect(rec.names()).toEqual([]);
    expect(bob.session.streams.get(stream.streamId)).toBe(subscriber.stream);
    expect(await objects()).toEqual({ routers: 1, transports: 2, producers: 1, consumers: 1 });
  }, 150_000);

  it("a subscriber's own network drops: disconnected, then reconnected after its resume, frames again", async () => {
    await start();
    const alice = await join();
    const bob = await join();
    const carol = await join();
    const { stream, subs } = await publishTo(alice.session, [bob.session, carol.session]);
    const [bobs, carols] = subs as [
      { subscriber: Subscriber; video: FrameCounter },
      { subscriber: Subscriber; video: FrameCounter },
    ];
    const bobRec = recordEvents(events(bobs.subscriber), SUB_EVENTS);
    const carolRec = recordEvents(events(carols.subscriber), SUB_EVENTS);
    const reconnecting = nextEvent(bob.session, 'sessionReconnecting', T);

    bob.relay.cut();
    bob.proxy.refuse(true);
    bob.proxy.cut();
    await bobRec.waitFor('disconnected', T);
    await reconnecting;
    await bob.relay.dropped(30, T);
    bob.relay.restore();
    bob.proxy.restore();
    bob.proxy.refuse(false);
    await bobRec.waitFor('reconnected', T);
    await bobs.video.atLeast(10, T);
    await carols.video.atLeast(10, T);
    expect(bobRec.names()).toEqual(['disconnected', 'reconnected']);
    expect(carolRec.names()).toEqual([]); // carol's media never stopped
    expect(bobs.subscriber.stream.streamId).toBe(stream.streamId);
    expect(await objects()).toEqual({ routers: 1, transports: 3, producers: 1, consumers: 2 });
  });

  it('the publisher never comes back: its stream ends with networkDisconnected and the forwarder is empty', async () => {
    await start(2_000);
    const alice = await join();
    const bob = await join();
    const { stream, subs } = await publishTo(alice.session, [bob.session]);
    const [{ subscriber }] = subs as [{ subscriber: Subscriber; video: FrameCounter }];
    const rec = recordEvents(events(subscriber), SUB_EVENTS);
    const session = recordEvents(bob.session, ['streamDestroyed', 'connectionDestroyed']);
    const routerClosed = waitFor(
      (resolve) =>
        forwarder!.onEvent((e) => {
          if (e.type === 'router-closed') resolve();
        }),
      T,
      'the router closed',
    );

    alice.relay.cut();
    alice.proxy.refuse(true);
    alice.proxy.cut();
    await session.waitFor('connectionDestroyed', T);
    expect(session.names()).toEqual(['streamDestroyed', 'connectionDestroyed']);
    expect(session.events[0]?.event).toMatchObject({
      stream: { streamId: stream.streamId },
      reason: 'networkDisconnected',
    });
    expect(rec.names()).toEqual(['disconnected', 'destroyed']);
    expect(rec.events[1]?.event).toMatchObject({ reason: 'networkDisconnected' });
    await routerClosed;
    expect(await objects()).toEqual({ routers: 0, transports: 0, producers: 0, consumers: 0 });
    const metrics = await h.server.metrics();
    for (const kind of ['routers', 'transports', 'producers', 'consumers'])
      expect(metrics).toContain(`parley_forwarder_objects{kind="${kind}"} 0`);
  });
});
