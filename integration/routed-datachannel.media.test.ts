/**
 * Routed media through the datachannel forwarder (libdatachannel in a child process, server
 * options `forwarder: true, forwarderImpl: 'datachannel'`) with Node clients (`@roamhq/wrtc`,
 * real VP8 and Opus): libwebrtc publishes into libdatachannel, and two libwebrtc subscribers
 * decode its frames; unpublishing leaves the forwarder empty. Loopback-only network namespace:
 * `npm test -- integration/routed-datachannel.media.test.ts`.
 */
import wrtc from '@roamhq/wrtc';
import { afterEach, describe, expect, it } from 'vitest';
import { Publisher, Session, type SessionOptions, type Stream, type Subscriber } from '@parley/client';
import { createServer } from '@parley/server';
import { generateToken, Parley } from '@parley/server-sdk';
import { nextEmitted, nextEvent, waitFor, type EventSource } from '@parley/testkit';

const webrtc = wrtc as unknown as NonNullable<SessionOptions['webrtc']>;
const T = 20_000;
const API_KEY = '100001';
const API_SECRET = 'routed-dc-secret-1';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A fake camera: an I420 frame every 33 ms, changing so the encoder has work. */
function camera(): MediaStreamTrack {
  const source = new wrtc.nonstandard.RTCVideoSource();
  const data = new Uint8Array(320 * 240 * 1.5).fill(128);
  let n = 0;
  const timer = setInterval(() => {
    data[n++ % data.length] = n & 0xff;
    source.onFrame({ width: 320, height: 240, data });
  }, 33);
  const track = source.createTrack();
  cleanups.push(() => {
    clearInterval(timer);
    track.stop();
  });
  return track;
}

/** Resolves after `n` decoded frames of a subscriber's video. */
function decoded(subscriber: Subscriber, n: number): Promise<void> {
  const track = subscriber.mediaStream?.getVideoTracks()[0];
  if (track === undefined) throw new Error('no video track');
  const sink = new wrtc.nonstandard.RTCVideoSink(track);
  cleanups.push(() => {
    sink.stop();
  });
  let count = 0;
  return waitFor(
    (resolve) => {
      sink.onframe = () => {
        if (++count >= n) resolve();
      };
    },
    T,
    () => `${n} decoded frames (have ${count})`,
  );
}

async function metric(server: { metrics(): Promise<string> }, name: string): Promise<number | undefined> {
  const line = (await server.metrics()).split('\n').find((l) => l.startsWith(`parley_${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('routed media through the datachannel forwarder (wrtc clients)', () => {
  it('two libwebrtc subscribers decode a libwebrtc publisher through libdatachannel; unpublish empties it', async () => {
    const server = await createServer({
      port: 0,
      dataDir: ':memory:',
      projects: [{ apiKey: API_KEY, apiSecret: API_SECRET }],
      forwarder: true,
      forwarderImpl: 'datachannel',
    });
    cleanups.push(() => server.close());
    const { sessionId } = await new Parley(API_KEY, API_SECRET, { apiUrl: server.url }).createSession({
      mediaMode: 'routed',
    });
    const join = async (): Promise<Session> => {
      const session = new Session(API_KEY, sessionId, undefined, { url: server.url, webrtc });
      cleanups.push(() => {
        void session.disconnect();
      });
      await session.connect(generateToken(API_KEY, API_SECRET, sessionId));
      return session;
    };
    const alice = await join();
    const bob = await join();
    const carol = await join();
    expect(bob.mediaMode).toBe('routed');
    const created = [nextEvent(bob, 'streamCreated', T), nextEvent(carol, 'streamCreated', T)];
    const publisher = new Publisher(undefined, { name: 'cam', videoTrack: camera(), publishAudio: false });
    await alice.publish(publisher);
    const [forBob, forCarol] = (await Promise.all(created)).map((e) => e.stream) as [Stream, Stream];
    const subs = [bob.subscribe(forBob), carol.subscribe(forCarol)];
    const events = (x: Subscriber): EventSource => x as unknown as EventSource;
    await Promise.all(subs.map((s) => nextEmitted(events(s), 'connected', T)));
    await Promise.all(subs.map((s) => decoded(s, 10)));
    expect(await metric(server, 'forwarder_objects{kind="consumers"}')).toBe(2);
    expect(await metric(server, 'forwarder_objects{kind="transports"}')).toBe(3);
    expect(await metric(server, 'forwarder_keyframe_requests_total')).toBeGreaterThanOrEqual(1);
    expect(await metric(server, 'forwarded_packets_total')).toBeGreaterThanOrEqual(20);

    const destroyed = subs.map((s) => nextEmitted<{ reason: string }>(events(s), 'destroyed', T));
    await alice.unpublish(publisher);
    for (const d of destroyed) expect((await d).reason).toBe('clientDisconnected');
    await waitFor(
      (resolve) => {
        const poll = async (): Promise<void> => {
          while ((await metric(server, 'forwarder_objects{kind="transports"}')) !== 0)
            await new Promise((r) => setImmediate(r));
          resolve();
        };
        void poll();
      },
      T,
      'the forwarder empty',
    );
  });
});
