/**
 * `/metrics` families of the stream requests and of the buses (issue 12): stream counts after a
 * scripted publish / subscribe / negotiate / unsubscribe / unpublish on the raw wire (checked
 * exactly), and a Redis-bus node's round trip, readiness and a repaired lost subscription.
 * Forwarded packets are counted in integration/routed.media.test.ts (real media).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamInfo } from '@parley/protocol';
import type { ParleyServer, RedisBus } from '@parley/server';
import { parseMetrics, testRedis } from '@parley/testkit';
import { Harness } from './support/harness.js';

const CAPS = ['reply', 'streams'] as const;
const PUBLISH = { t: 'publish', name: 'n', hasAudio: true, hasVideo: true, videoType: 'camera' } as const;

/** `name{labels}` → value, for every sample line of the text exposition (`parley_` removed). */
async function scrape(server: ParleyServer): Promise<Map<string, number>> {
  return parseMetrics(await server.metrics(), 'parley_');
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('stream metrics', () => {
  it('count publishes, subscriptions and negotiation messages exactly; the gauges follow what is open', async () => {
    h = await Harness.start();
    const sessionId = await h.session();
    const alice = await h.join(sessionId, { caps: CAPS });
    const bob = await h.join(sessionId, { caps: CAPS });
    const before = await scrape(h.server);
    expect(before.get('streams')).toBe(0);
    expect(before.get('stream_publishes_total')).toBe(0);

    alice.client.send({ ...PUBLISH, s: 1 }, { ...PUBLISH, s: 2 });
    await alice.client.until('two replies', () => alice.client.all('reply').length === 2);
    const { streamId } = alice.client.all('reply')[0]?.data as unknown as StreamInfo;
    bob.client.send(
      { t: 'subscribe', s: 1, streamId, subscriberId: 'sub-1' },
      { t: 'media', s: 2, streamId, subscriberId: 'sub-1', sdp: { type: 'offer', sdp: 'v=0' } },
      { t: 'media', s: 3, streamId, subscriberId: 'sub-1', candidate: { candidate: 'candidate:1', sdpMid: '0' } },
    );
    await bob.client.nextOf('ack', 5000, (a) => a.a === 3);
    // A refused subscription (unknown stream) counts nothing.
    bob.client.send({ t: 'subscribe', s: 4, streamId: 'nope', subscriberId: 'sub-2' });
    await bob.client.nextOf('nack', 5000, (n) => n.r === 4);
    const open = await scrape(h.server);
    expect(open.get('streams')).toBe(2);
    expect(open.get('stream_subscribers')).toBe(1);
    expect(open.get('stream_publishes_total')).toBe(2);
    expect(open.get('stream_subscriptions_total')).toBe(1);
    expect(open.get('media_messages_total')).toBe(2);

    bob.client.send({ t: 'unsubscribe', s: 5, streamId, subscriberId: 'sub-1' });
    await bob.client.nextOf('ack', 5000, (a) => a.a === 5);
    alice.client.send({ t: 'unpublish', s: 3, streamId });
    await alice.client.nextOf('ack', 5000, (a) => a.a === 3);
    const after = await scrape(h.server);
    expect(after.get('streams')).toBe(1);
    expect(after.get('stream_subscribers')).toBe(0);
    expect(after.get('stream_publishes_total')).toBe(2);
    expect(after.get('stream_subscriptions_total')).toBe(1);
    const other = (alice.client.all('reply')[1]?.data as unknown as StreamInfo).streamId;
    alice.client.send({ t: 'unpublish', s: 4, streamId: other });
    await alice.client.nextOf('ack', 5000, (a) => a.a === 4);
    expect((await scrape(h.server)).get('streams')).toBe(0);
  });
});

describe('Redis bus metrics', () => {
  it('report readiness, the lease round trip, operations, and a lost subscription found and repaired', async () => {
    await testRedis();
    h = await Harness.start({}, 'redis', undefined, { leaseTtlMs: 1_500, renewEveryMs: 250 });
    const sessionId = await h.session();
    const { a, b } = await h.pair(sessionId);
    const node = h.nodes.servers[1] as ParleyServer;
    expect((await scrape(node)).get('redis_lost_subscriptions_total')).toBe(0);
    await (h.nodes.redisBuses[1] as RedisBus).dropSubscription(sessionId);
    a.client.send(...[1, 2, 3].map((s) => ({ t: 'signal', s, data: `m${s}` })));
    await b.client.until('three signals', () => b.client.all('signal').length >= 3, 10_000);
    expect(b.client.all('signal').map((m) => m.data)).toEqual(['m1', 'm2', 'm3']);
    const m = await scrape(node);
    expect(m.get('redis_ready')).toBe(1);
    expect(m.get('redis_lost_subscriptions_total')).toBeGreaterThanOrEqual(1);
    expect(m.get('redis_gap_fills_total')).toBeGreaterThanOrEqual(1);
    // The round trip of a lease renewal: measured (the lease renews on connect), positive, finite.
    expect(m.get('redis_round_trip_seconds')).toBeGreaterThan(0);
    expect(m.get('redis_round_trip_seconds')).toBeLessThan(60);
    // Node 0 sent at least alice's join and three signals.
    expect((await scrape(h.nodes.servers[0] as ParleyServer)).get('redis_operations_total')).toBeGreaterThanOrEqual(4);
  });
});
