/**
 * Real media between Node clients (`@roamhq/wrtc`, real VP8 over real peer connections) in a
 * relayed session: publish, subscribe (decoded frames reach an RTCVideoSink), publishVideo off and
 * on, the relayed mesh limit, and the seed's drop/resume of a publisher. Media runs only inside a
 * loopback-only network namespace (libwebrtc picks the external interface otherwise):
 *
 *   unshare -n sh -c 'ip link set lo up && npx vitest run integration/streams.media.test.ts'
 *
 * Frames are pushed by a source timer, like a camera; the tests wait for events and frame counts
 * with deadlines and never sleep.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RELAYED_SUBSCRIBERS } from '@parley/protocol';
import { Publisher, Session, SessionErrorCode, type ParleyError, type Stream, type Subscriber } from '@parley/client';
import {
  nextEmitted,
  nextEvent,
  recordEvents,
  relayedWebRtc,
  UdpRelay,
  type EventSource,
  type FaultProxy,
} from '@parley/testkit';
import { API_KEY, SHORT_TIMINGS, startHarness, type Harness } from './harness.js';
import { camera, frames, webrtc, type FrameCounter } from './support/wrtc-media.js';

const T = 15_000;

const events = (x: Publisher | Subscriber): EventSource => x as unknown as EventSource;

describe('relayed media between Node clients (wrtc)', () => {
  let h: Harness;
  const cleanups: (() => void)[] = [];

  afterEach(async () => {
    for (const c of cleanups.splice(0)) c();
    await h.cleanup();
  });

  /** A client; `proxied`: its WebSocket through a FaultProxy; `relay`: its media through a UdpRelay. */
  async function join(proxied = false, relay?: UdpRelay): Promise<{ session: Session; proxy: FaultProxy | undefined }> {
    const node = h.nodes.next();
    const proxy = proxied ? await h.proxy(node) : undefined;
    const url = proxy === undefined ? node.url : proxy.url(node.url);
    const session = new Session(API_KEY, h.sessionId, undefined, {
      url,
      webrtc: relay === undefined ? webrtc : relayedWebRtc(webrtc, relay),
    });
    cleanups.push(() => void session.disconnect());
    await session.connect(h.token());
    return { session, proxy };
  }

  /** Alice publishes a camera; Bob sees the stream. */
  async function publishCamera(alice: Session, bob: Session): Promise<{ publisher: Publisher; stream: Stream }> {
    const cam = camera();
    cleanups.push(() => {
      cam.stop();
    });
    const publisher = new Publisher(undefined, { name: 'cam', videoTrack: cam.track });
    const created = nextEvent(bob, 'streamCreated', T);
    await alice.publish(publisher);
    return { publisher, stream: (await created).stream };
  }

  /** Bob subscribes and waits for media: returns the subscriber and its frame counter. */
  async function subscribe(bob: Session, stream: Stream): Promise<{ subscriber: Subscriber; video: FrameCounter }> {
    const subscriber = bob.subscribe(stream);
    await nextEmitted(events(subscriber), 'connected', T);
    const track = subscriber.mediaStream?.getVideoTracks()[0];
    if (track === undefined) throw new Error('connected without a video track');
    const video = frames(track);
    cleanups.push(() => {
      video.stop();
    });
    return { subscriber, video };
  }

  it('publishes and subscribes: decoded frames arrive; unpublish ends the subscription', async () => {
    h = await startHarness();
    const { session: alice } = await join();
    const { session: bob } = await join();
    expect(bob.mediaMode).toBe('relayed');
    const { publisher, stream } = await publishCamera(alice, bob);
    const { subscriber, video } = await subscribe(bob, stream);
    await video.atLeast(10, T);
    expect(bob.getSubscribersForStream(stream)).toEqual([subscriber]);
    expect(alice.getPublisherForStream(stream)).toBe(publisher);

    const destroyed = nextEmitted<{ reason: string }>(events(subscriber), 'destroyed', T);
    const gone = nextEvent(bob, 'streamDestroyed', T);
    await alice.unpublish(publisher);
    expect((await gone).reason).toBe('clientDisconnected');
    expect((await destroyed).reason).toBe('clientDisconnected');
    expect(subscriber.peerConnection).toBeNull();
    expect(bob.getSubscribersForStream(stream)).toEqual([]);
    expect(alice.getPublisherForStream(stream)).toBeUndefined();
  });

  it('publishVideo = false: streamPropertyChanged(hasVideo) and subscriberVideoDisabled(publishVideo); true brings it back', async () => {
    h = await startHarness();
    const { session: alice } = await join();
    const { session: bob } = await join();
    const { publisher, stream } = await publishCamera(alice, bob);
    const { subscriber } = await subscribe(bob, stream);
    const changed = nextEvent(bob, 'streamPropertyChanged', T);
    const disabled = nextEmitted<{ reason: string }>(events(subscriber), 'videoDisabled', T);
    publisher.publishVideo = false;
    expect(await changed).toMatchObject({ changedProperty: 'hasVideo', oldValue: true, newValue: false });
    expect((await disabled).reason).toBe('publishVideo');
    const enabled = nextEmitted<{ reason: string }>(events(subscriber), 'videoEnabled', T);
    publisher.publishVideo = true;
    expect((await enabled).reason).toBe('publishVideo');
    // The subscriber's own choice, with its own reason.
    const off = nextEmitted<{ reason: string }>(events(subscriber), 'videoDisabled', T);
    subscriber.subscribeToVideo = false;
    expect((await off).reason).toBe('subscribeToVideo');
    expect(subscriber.mediaStream?.getVideoTracks()[0]?.enabled).toBe(false);
  });

  it(`refuses subscriber ${MAX_RELAYED_SUBSCRIBERS + 1} of one stream in a relayed session with 1605`, async () => {
    h = await startHarness();
    const { session: alice } = await join();
    const { session: bob } = await join();
    const created = nextEvent(bob, 'streamCreated', T);
    await alice.publish(new Publisher(undefined, { publishAudio: false, publishVideo: false }));
    const stream = (await created).stream;
    const subs = Array.from({ length: MAX_RELAYED_SUBSCRIBERS }, () => bob.subscribe(stream));
    await Promise.all(subs.map((s) => nextEmitted(events(s), 'connected', T)));
    const extra = bob.subscribe(stream);
    const error = await nextEmitted<{ error: ParleyError }>(events(extra), 'error', T);
    expect(error.error.code).toBe(SessionErrorCode.StreamLimitExceeded);
  });

  it("rides out the publisher's drop: disconnected, then reconnected after its resume, same stream, frames again", async () => {
    h = await startHarness({ timings: SHORT_TIMINGS });
    const { session: alice, proxy } = await join(true);
    const { session: bob } = await join();
    const { stream } = await publishCamera(alice, bob);
    const { subscriber, video } = await subscribe(bob, stream);
    await video.atLeast(5, T);
    const rec = recordEvents(events(subscriber), ['disconnected', 'reconnected', 'destroyed']);
    const resumed = nextEvent(alice, 'sessionReconnected', T);
    proxy?.cut();
    await rec.waitFor('reconnected', T);
    await resumed;
    expect(rec.names()).toEqual(['disconnected', 'reconnected']);
    expect(bob.streams.get(stream.streamId)).toBe(stream);
    await video.atLeast(5, T);
  });

  it("rides out the publisher's whole network dropping (socket and media path) and coming back", async () => {
    h = await startHarness({ timings: { ...SHORT_TIMINGS, reconnectWindow: 8_000 } });
    const relay = await UdpRelay.start();
    cleanups.push(() => void relay.close());
    const { session: alice, proxy } = await join(true, relay);
    const { session: bob } = await join();
    const { stream } = await publishCamera(alice, bob);
    const { subscriber, video } = await subscribe(bob, stream);
    await video.atLeast(5, T);
    const rec = recordEvents(events(subscriber), ['disconnected', 'reconnected', 'destroyed']);
    relay.cut();
    proxy?.refuse(true);
    proxy?.cut();
    await rec.waitFor('disconnected', T);
    await relay.dropped(30, T); // about a second of video lost
    relay.restore();
    proxy?.restore();
    proxy?.refuse(false);
    await rec.waitFor('reconnected', T);
    await video.atLeast(10, T);
    expect(rec.names()).toEqual(['disconnected', 'reconnected']);
    expect(subscriber.stream.streamId).toBe(stream.streamId);
  });

  it("rides out the subscriber's own drop the same way", async () => {
    h = await startHarness({ timings: SHORT_TIMINGS });
    const { session: alice } = await join();
    const { session: bob, proxy } = await join(true);
    const { stream } = await publishCamera(alice, bob);
    const { subscriber, video } = await subscribe(bob, stream);
    await video.atLeast(5, T);
    const rec = recordEvents(events(subscriber), ['disconnected', 'reconnected', 'destroyed']);
    proxy?.cut();
    await rec.waitFor('reconnected', T);
    expect(rec.names()).toEqual(['disconnected', 'reconnected']);
    expect(subscriber.stream.streamId).toBe(stream.streamId);
    await video.atLeast(5, T);
  });

  it('ends the stream with networkDisconnected when the publisher never comes back', async () => {
    h = await startHarness({ timings: SHORT_TIMINGS });
    const { session: alice, proxy } = await join(true);
    const { session: bob } = await join();
    const { stream } = await publishCamera(alice, bob);
    const { subscriber } = await subscribe(bob, stream);
    const rec = recordEvents(events(subscriber), ['disconnected', 'reconnected', 'destroyed']);
    const gone = nextEvent(bob, 'streamDestroyed', T);
    proxy?.refuse(true);
    proxy?.cut();
    expect((await gone).reason).toBe('networkDisconnected');
    expect(rec.names()).toEqual(['disconnected', 'destroyed']);
    expect(rec.events[1]?.event).toMatchObject({ reason: 'networkDisconnected' });
  });
});
