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
import wrtc from '@roamhq/wrtc';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RELAYED_SUBSCRIBERS } from '@parley/protocol';
import {
  Publisher,
  Session,
  SessionErrorCode,
  type ParleyError,
  type SessionOptions,
  type Stream,
  type Subscriber,
} from '@parley/client';
import { nextEmitted, nextEvent, recordEvents, waitFor, type EventSource, type FaultProxy } from '@parley/testkit';
import { API_KEY, SHORT_TIMINGS, startHarness, type Harness } from './harness.js';

const webrtc = wrtc as unknown as NonNullable<SessionOptions['webrtc']>;
const T = 15_000;

/** A fake camera: a VP8-encodable I420 frame pushed every 33 ms until stopped. */
function camera(): { track: MediaStreamTrack; stop(): void } {
  const source = new wrtc.nonstandard.RTCVideoSource();
  const width = 320;
  const height = 240;
  const data = new Uint8Array(width * height * 1.5).fill(128);
  let n = 0;
  const timer = setInterval(() => {
    data[n++ % data.length] = n & 0xff; // change something, so the encoder has work
    source.onFrame({ width, height, data });
  }, 33);
  const track = source.createTrack();
  return {
    track,
    stop() {
      clearInterval(timer);
      track.stop();
    },
  };
}

/** Counts the decoded frames of a remote video track. */
function frames(track: MediaStreamTrack): {
  readonly count: number;
  atLeast(n: number, ms: number): Promise<void>;
  stop(): void;
} {
  const sink = new wrtc.nonstandard.RTCVideoSink(track);
  let count = 0;
  const waiters = new Set<() => void>();
  sink.onframe = () => {
    count++;
    for (const w of [...waiters]) w();
  };
  return {
    get count() {
      return count;
    },
    atLeast(n, ms) {
      const target = count + n;
      return waitFor(
        (resolve) => {
          const check = (): void => {
            if (count >= target) resolve();
          };
          waiters.add(check);
          check();
          return () => waiters.delete(check);
        },
        ms,
        () => `${n} more decoded frames (have ${count}, want ${target})`,
      );
    },
    stop() {
      sink.stop();
    },
  };
}

const events = (x: Publisher | Subscriber): EventSource => x as unknown as EventSource;

describe('relayed media between Node clients (wrtc)', () => {
  let h: Harness;
  const cleanups: (() => void)[] = [];

  afterEach(async () => {
    for (const c of cleanups.splice(0)) c();
    await h.cleanup();
  });

  async function join(proxied = false): Promise<{ session: Session; proxy: FaultProxy | undefined }> {
    const node = h.nodes.next();
    const proxy = proxied ? await h.proxy(node) : undefined;
    const url = proxy === undefined ? node.url : proxy.url(node.url);
    const session = new Session(API_KEY, h.sessionId, undefined, { url, webrtc });
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
  async function subscribe(
    bob: Session,
    stream: Stream,
  ): Promise<{ subscriber: Subscriber; video: ReturnType<typeof frames> }> {
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

    const destroyed = nextEmitted<{ reason: string }>(events(subscriber), 'destroyed', T);
    const gone = nextEvent(bob, 'streamDestroyed', T);
    await alice.unpublish(publisher);
    expect((await gone).reason).toBe('clientDisconnected');
    expect((await destroyed).reason).toBe('clientDisconnected');
    expect(subscriber.peerConnection).toBeNull();
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
