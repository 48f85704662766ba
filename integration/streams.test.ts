/**
 * Streams in signalling (capability `streams`), over both buses, without media: publish (a
 * Publisher with no tracks opens no peer connection, so nothing here needs the network namespace),
 * what others and joiners see, unpublish, property changes, roles, moderation, leaving, exactly
 * once across a resume, and the official `opentok` SDK's stream calls against live streams.
 * Media flows in streams.media.test.ts.
 */
import OpenTok from 'opentok';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ParleyError, Publisher, Session, SessionErrorCode, type Stream } from '@parley/client';
import {
  STREAM_BUS_KINDS,
  nextEmitted as nextEmittedBy,
  nextEvent,
  recordEvents,
  type EventSource,
  type FaultProxy,
} from '@parley/testkit';
import { API_KEY, API_SECRET, startHarness, type Harness } from './harness.js';
import { call, done, rejection, T } from './support-opentok.js';
import { device, noMediaWebrtc } from './support/no-media.js';

/** The next `name` event of a Publisher (typed listeners, read here as a plain event source). */
function nextEmitted<E>(source: Publisher, name: string, ms: number): Promise<E> {
  return nextEmittedBy<E>(source as unknown as EventSource, name, ms);
}

/** This file carries no media (support/no-media.ts); streams.media.test.ts sends real media. */
const webrtc = noMediaWebrtc;

describe.each(STREAM_BUS_KINDS)('streams over the %s bus', (bus) => {
  let h: Harness;
  let ot: OpenTok;
  const sessions: Session[] = [];
  /** The fault proxies of the proxied sessions, in join order. */
  const proxies: FaultProxy[] = [];

  beforeEach(async () => {
    h = await startHarness({}, bus);
    ot = new OpenTok(API_KEY, API_SECRET, { apiUrl: h.server.url });
  });

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.disconnect()));
    proxies.length = 0;
    await h.cleanup();
  });

  /** A connected session with `role`, optionally through a fault proxy. */
  async function join(role = 'publisher', proxied = false): Promise<Session> {
    const node = h.nodes.next();
    const proxy = proxied ? await h.proxy(node) : undefined;
    if (proxy !== undefined) proxies.push(proxy);
    const url = proxy === undefined ? node.url : proxy.url(node.url);
    const session = new Session(API_KEY, h.sessionId, undefined, { url, webrtc });
    sessions.push(session);
    await session.connect(h.token({ role }));
    return session;
  }

  /** Publish a stream without tracks (no peer connection is ever opened for it). */
  async function publish(session: Session, name = 'cam'): Promise<Stream> {
    return session.publish(new Publisher(undefined, { name, publishAudio: false, publishVideo: false }));
  }

  it('announces a stream to the others (never its publisher), to joiners in welcome order, and ends it on unpublish', async () => {
    const alice = await join();
    const bob = await join();
    const created = nextEvent(bob, 'streamCreated', T);
    const publisher = new Publisher(undefined, { name: 'alice-cam', videoType: 'screen' });
    const fromPublisher = nextEmitted<{ stream: Stream }>(publisher, 'streamCreated', T);
    const aliceSaw = recordEvents(alice, ['streamCreated']);
    const stream = await alice.publish(publisher);
    expect((await fromPublisher).stream).toBe(stream);
    const seen = (await created).stream;
    expect(seen).toMatchObject({
      streamId: stream.streamId,
      name: 'alice-cam',
      // Given no tracks, publish() took them from getUserMedia (the devices).
      hasAudio: true,
      hasVideo: true,
      videoType: 'screen',
      videoDimensions: { width: 640, height: 480 },
    });
    expect(seen.connection.connectionId).toBe(alice.connection?.connectionId);
    expect(bob.streams.get(stream.streamId)).toBe(seen);
    // The lookups of OpenTok.js: ours by Stream or ID; another client's stream has no Publisher here.
    expect(alice.getPublisherForStream(stream)).toBe(publisher);
    expect(alice.getPublisherForStream(stream.streamId)).toBe(publisher);
    expect(bob.getPublisherForStream(seen)).toBeUndefined();
    expect(bob.getSubscribersForStream(seen)).toEqual([]);
    expect(() => bob.getSubscribersForStream('')).toThrow(
      expect.objectContaining({ code: SessionErrorCode.NullOrInvalidParameter }),
    );

    // A joiner sees the stream after its connections, from welcome, once.
    const carol = new Session(API_KEY, h.sessionId, undefined, { url: h.nodes.next().url, webrtc });
    sessions.push(carol);
    const carolSaw = recordEvents(carol, ['sessionConnected', 'connectionCreated', 'streamCreated']);
    await carol.connect(h.token());
    await carolSaw.waitFor('streamCreated', T);
    expect(carolSaw.names()).toEqual(['sessionConnected', 'connectionCreated', 'connectionCreated', 'streamCreated']);
    expect([...carol.streams.keys()]).toEqual([stream.streamId]);

    const destroyed = nextEvent(bob, 'streamDestroyed', T);
    const ended = nextEmitted<{ reason: string }>(publisher, 'streamDestroyed', T);
    await alice.unpublish(publisher);
    expect((await destroyed).reason).toBe('clientDisconnected');
    expect((await ended).reason).toBe('clientDisconnected');
    expect(publisher.stream).toBeNull();
    expect(alice.getPublisherForStream(stream)).toBeUndefined();
    expect(bob.streams.size).toBe(0);
    expect(aliceSaw.names()).toEqual([]);
    publisher.audioTrack?.stop();
    publisher.videoTrack?.stop();
  });

  it('tells everyone a property change (publishVideo / publishAudio) with old and new values', async () => {
    const alice = await join();
    const bob = await join();
    // A track that is never sent (no subscriber): enough for the stream to announce video.
    const track = device('video');
    const withVideo = new Publisher(undefined, { videoTrack: track });
    const created = nextEvent(bob, 'streamCreated', T);
    await alice.publish(withVideo);
    const stream = (await created).stream;
    expect(stream.hasVideo).toBe(true);
    const changed = nextEvent(bob, 'streamPropertyChanged', T);
    withVideo.publishVideo = false;
    const e = await changed;
    expect(e).toMatchObject({ changedProperty: 'hasVideo', oldValue: true, newValue: false });
    expect(e.stream).toBe(stream);
    expect(stream.hasVideo).toBe(false);
    track.stop();
  });

  it('refuses what a role may not do: 1500 publish for a subscriber, 1501 subscribe for publisheronly, 1530/1540 moderation for a publisher', async () => {
    const viewer = await join('subscriber');
    const only = await join('publisheronly');
    const alice = await join();
    const seen = nextEvent(only, 'streamCreated', T);
    const stream = await publish(alice);
    const known = (await seen).stream;
    expect((await rejection(viewer.publish(new Publisher()))).code).toBe(SessionErrorCode.UnableToPublish);
    const refuse = (fn: () => unknown): number => {
      try {
        fn();
      } catch (error) {
        return (error as ParleyError).code;
      }
      return 0;
    };
    expect(refuse(() => only.subscribe(known))).toBe(SessionErrorCode.UnableToSubscribe);
    expect((await rejection(alice.forceUnpublish(stream))).code).toBe(SessionErrorCode.UnableToForceUnpublish);
    expect((await rejection(alice.forceMuteStream(stream))).code).toBe(SessionErrorCode.UnableToForceMute);
    expect((await rejection(alice.forceMuteAll())).code).toBe(SessionErrorCode.UnableToForceMute);
    expect((await rejection(alice.disableForceMute())).code).toBe(SessionErrorCode.UnableToForceMute);
  });

  it('lets a moderator force an unpublish and a mute; the publisher hears muteForced, everyone sees hasAudio go false', async () => {
    const mod = await join('moderator');
    const alice = await join();
    const audioTrack = device('audio');
    const publisher = new Publisher(undefined, { audioTrack });
    const created = nextEvent(mod, 'streamCreated', T);
    const stream = await alice.publish(publisher);
    const seen = (await created).stream;
    expect(seen.hasAudio).toBe(true);

    const forced = nextEmitted<unknown>(publisher, 'muteForced', T);
    const sessionForced = nextEvent(alice, 'muteForced', T);
    const changed = nextEvent(mod, 'streamPropertyChanged', T);
    await mod.forceMuteStream(seen);
    await forced;
    expect((await sessionForced).active).toBe(true);
    expect(publisher.publishAudio).toBe(false);
    expect(audioTrack.enabled).toBe(false);
    expect(await changed).toMatchObject({ changedProperty: 'hasAudio', oldValue: true, newValue: false });

    const gone = nextEvent(mod, 'streamDestroyed', T);
    const mine = nextEmitted<{ reason: string }>(publisher, 'streamDestroyed', T);
    await mod.forceUnpublish(stream.streamId);
    expect((await gone).reason).toBe('forceUnpublished');
    expect((await mine).reason).toBe('forceUnpublished');
    expect((await rejection(mod.forceUnpublish(stream.streamId))).code).toBe(SessionErrorCode.NotFound);
    audioTrack.stop();
  });

  it("ends a leaving publisher's streams before its connection, with the leave's reason", async () => {
    const alice = await join();
    const bob = await join();
    const seen = nextEvent(bob, 'streamCreated', T);
    const stream = await publish(alice);
    await seen;
    const rec = recordEvents(bob, ['streamDestroyed', 'connectionDestroyed']);
    await alice.disconnect();
    await rec.waitFor('connectionDestroyed', T);
    expect(rec.names()).toEqual(['streamDestroyed', 'connectionDestroyed']);
    expect(rec.events[0]?.event).toMatchObject({ reason: 'clientDisconnected', stream: { streamId: stream.streamId } });
  });

  it('delivers stream events exactly once, in order, across a resume of the receiver', async () => {
    const alice = await join();
    const bob = await join('publisher', true);
    const rec = recordEvents(bob, ['streamCreated', 'streamPropertyChanged', 'streamDestroyed', 'sessionReconnected']);
    const track = device('video');
    const publisher = new Publisher(undefined, { videoTrack: track });
    await alice.publish(publisher);
    await rec.waitFor('streamCreated', T);
    // Bob's link drops; everything below happens while he is away or resuming.
    const reconnecting = nextEvent(bob, 'sessionReconnecting', T);
    proxies[0]?.cut();
    await reconnecting;
    publisher.publishVideo = false;
    await alice.unpublish(publisher);
    await rec.waitFor('streamDestroyed', 15_000);
    await rec.waitFor('sessionReconnected', T);
    expect(rec.names().filter((n) => n !== 'sessionReconnected')).toEqual([
      'streamCreated',
      'streamPropertyChanged',
      'streamDestroyed',
    ]);
    track.stop();
  });

  it('answers the official SDK: listStreams, getStream, setStreamClassLists, forceMuteStream, forceMuteAll, disableForceMute', async () => {
    const alice = await join();
    const bob = await join();
    const audioTrack = device('audio');
    const publisher = new Publisher(undefined, { name: 'a', audioTrack });
    const stream = await alice.publish(publisher);
    const listed = await call<OpenTok.Stream[]>((cb) => {
      ot.listStreams(h.sessionId, cb);
    });
    expect(listed?.map((s) => ({ id: s.id, name: s.name, videoType: s.videoType }))).toEqual([
      { id: stream.streamId, name: 'a', videoType: 'camera' },
    ]);
    await done((cb) => {
      ot.setStreamClassLists(h.sessionId, [{ id: stream.streamId, layoutClassList: ['full', 'focus'] }], cb);
    });
    const one = await call<OpenTok.Stream>((cb) => {
      ot.getStream(h.sessionId, stream.streamId, cb);
    });
    expect(one).toMatchObject({ id: stream.streamId, name: 'a', layoutClassList: ['full', 'focus'] });

    const forced = nextEmitted<unknown>(publisher, 'muteForced', T);
    const changed = nextEvent(bob, 'streamPropertyChanged', T);
    await done((cb) => {
      ot.forceMuteStream(h.sessionId, stream.streamId, cb);
    });
    await forced;
    expect(await changed).toMatchObject({ changedProperty: 'hasAudio', newValue: false });

    // forceMuteAll holds for streams published later; disableForceMute lifts it for everyone.
    await done((cb) => {
      ot.forceMuteAll(h.sessionId, { excludedStreamIds: [] }, cb);
    });
    const later = new Publisher(undefined, { audioTrack: device('audio') });
    const laterForced = nextEmitted<unknown>(later, 'muteForced', T);
    const laterStream = await bob.publish(later);
    await laterForced;
    expect(laterStream.hasAudio).toBe(false);
    const lifted = nextEvent(alice, 'muteForced', T, (e) => !e.active);
    await done((cb) => {
      ot.disableForceMute(h.sessionId, cb);
    });
    await lifted;
    audioTrack.stop();
    later.audioTrack?.stop();
  });
});
