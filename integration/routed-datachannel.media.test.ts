/**
 * Routed media through the datachannel forwarder (libdatachannel in a child process, server
 * options `forwarder: true, forwarderImpl: 'datachannel'`) with Node clients (`@roamhq/wrtc`,
 * real VP8 and Opus): libwebrtc publishes into libdatachannel, and two libwebrtc subscribers
 * decode its frames; unpublishing leaves the forwarder empty. Loopback-only network namespace:
 * `npm test -- integration/routed-datachannel.media.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { Publisher, type Stream } from '@parley/client';
import { createServer } from '@parley/server';
import { nextEmitted, nextEvent, waitFor } from '@parley/testkit';
import {
  cameraTrack,
  cleanupsAfterEach,
  decoded,
  metricsOf,
  sessionOf,
  subscriberEvents as events,
} from './support/wrtc-media.js';

const T = 20_000;
const PROJECT = { apiKey: '100001', apiSecret: 'routed-dc-secret-1' };
const cleanups = cleanupsAfterEach();

async function metric(server: { metrics(): Promise<string> }, name: string): Promise<number | undefined> {
  return (await metricsOf(server)).get(name);
}

describe('routed media through the datachannel forwarder (wrtc clients)', () => {
  it('two libwebrtc subscribers decode a libwebrtc publisher through libdatachannel; unpublish empties it', async () => {
    const server = await createServer({
      port: 0,
      dataDir: ':memory:',
      projects: [PROJECT],
      forwarder: true,
      forwarderImpl: 'datachannel',
    });
    cleanups.push(() => server.close());
    const join = await sessionOf(PROJECT, server.url, 'routed', cleanups);
    const alice = await join();
    const bob = await join();
    const carol = await join();
    expect(bob.mediaMode).toBe('routed');
    const created = [nextEvent(bob, 'streamCreated', T), nextEvent(carol, 'streamCreated', T)];
    const publisher = new Publisher(undefined, { name: 'cam', videoTrack: cameraTrack(cleanups), publishAudio: false });
    await alice.publish(publisher);
    const [forBob, forCarol] = (await Promise.all(created)).map((e) => e.stream) as [Stream, Stream];
    const subs = [bob.subscribe(forBob), carol.subscribe(forCarol)];
    await Promise.all(subs.map((s) => nextEmitted(events(s), 'connected', T)));
    await Promise.all(subs.map((s) => decoded(s, 10, cleanups, T)));
    expect(await metric(server, 'forwarder_objects{kind="consumers"}')).toBe(2);
    expect(await metric(server, 'forwarder_objects{kind="transports"}')).toBe(3);
    // (Key-frame requests depend on whether the subscriptions connect before the publisher's first
    // key frame: they are asserted with synthetic peers in
    // packages/server/test/media/datachannel-forwarder.media.test.ts.)
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
