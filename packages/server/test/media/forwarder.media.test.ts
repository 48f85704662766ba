/**
 * The selective forwarding unit with real WebRTC (werift peers on loopback): forwarding, key-frame
 * requests, NACKs answered from the producer's cache, and cleanup. Run inside a loopback-only
 * network namespace: unshare -n sh -c 'ip link set lo up && npx vitest run <this file>'.
 */
import { describe, expect, it } from 'vitest';
import { createForwarder, type ForwarderEvent } from '@parley/server';
import { waitFor } from '@parley/testkit';
import { DEADLINE, eventOf, forwarderSuite, packets, plis, publisher, subscriber } from './forwarder-peers.js';

const { cleanup, forwarder } = forwarderSuite('werift');

describe('forwarder (werift in a worker thread)', () => {
  it('forwards a publisher to two subscribers, audio and video, with their own SSRCs', async () => {
    const f = forwarder();
    await f.createRouter('s1');
    const { producerIds } = await publisher(f, cleanup, 's1');
    const a = await subscriber(f, cleanup, 's1', 'sub-a', producerIds);
    const b = await subscriber(f, cleanup, 's1', 'sub-b', producerIds);
    await Promise.all([
      packets(a.sub, 'video', 30),
      packets(a.sub, 'audio', 20),
      packets(b.sub, 'video', 30),
      packets(b.sub, 'audio', 20),
    ]);
    expect(a.sub.received.video.ssrc).not.toBe(b.sub.received.video.ssrc);
    const s = await f.stats();
    expect(s).toMatchObject({ routers: 1, transports: 3, producers: 2, consumers: 4 });
    expect(s.packetsOut).toBeGreaterThan(s.packetsIn);
  });

  it('asks the publisher for a key frame when a subscriber joins, also a late one', async () => {
    const f = forwarder();
    await f.createRouter('s1');
    const { pub, producerIds } = await publisher(f, cleanup, 's1');
    const first = await subscriber(f, cleanup, 's1', 'sub-a', producerIds);
    await packets(first.sub, 'video', 5);
    await plis(pub, 1);
    const before = pub.pliCount;
    const late = await subscriber(f, cleanup, 's1', 'sub-late', producerIds);
    await plis(pub, before + 1);
    await packets(late.sub, 'video', 5);
    expect(pub.pliCount).toBeGreaterThan(before);
    expect((await f.stats()).keyFrameRequests).toBeGreaterThanOrEqual(2);
  });

  it("relays a subscriber's PLI to the publisher, merging the ones that come within 350 ms", async () => {
    const f = forwarder();
    await f.createRouter('s1');
    const { pub, producerIds } = await publisher(f, cleanup, 's1');
    const { sub } = await subscriber(f, cleanup, 's1', 'sub-a', producerIds);
    await packets(sub, 'video', 5);
    await plis(pub, 1); // the one asked for the subscriber's join
    const before = (await f.stats()).keyFrameRequests;
    const atPublisher = pub.pliCount;
    // Three PLIs at once (a decoder that lost a picture repeats it): one key frame serves them.
    await Promise.all([sub.pliVideo(), sub.pliVideo(), sub.pliVideo()]);
    await plis(pub, atPublisher + 1);
    const after = (await f.stats()).keyFrameRequests;
    expect(after).toBeGreaterThan(before);
    expect(after - before).toBeLessThanOrEqual(2); // at once, or once at the end of the 350 ms gap
  });

  it("answers a subscriber's NACK from the producer's packet cache", async () => {
    const f = forwarder();
    await f.createRouter('s1');
    const { producerIds } = await publisher(f, cleanup, 's1');
    const { sub } = await subscriber(f, cleanup, 's1', 'sub-a', producerIds);
    await packets(sub, 'video', 20);
    const seq = [...sub.received.video.seen][5] as number; // a packet it got: pretend it was lost
    const outOfCache = (seq + 30_000) & 0xffff; // a number the cache cannot hold now
    await sub.nackVideo([seq, outOfCache]);
    await waitFor(
      (resolve) =>
        sub.onPacket(() => {
          if (sub.received.video.duplicates > 0) resolve();
        }),
      DEADLINE,
      'the retransmission',
    );
    // The worker answered the NACK in one step, so its counters already show it.
    const s = await f.stats();
    expect(s.nackMisses).toBeGreaterThanOrEqual(1);
    expect(s.nacksIn).toBeGreaterThanOrEqual(1);
    expect(s.retransmitted).toBeGreaterThanOrEqual(1);
  });

  it('closes the consumers and subscription transports when the publisher leaves: the router is empty', async () => {
    const f = forwarder();
    await f.createRouter('s1');
    const { producerIds } = await publisher(f, cleanup, 's1');
    const a = await subscriber(f, cleanup, 's1', 'sub-a', producerIds);
    await subscriber(f, cleanup, 's1', 'sub-b', producerIds);
    await packets(a.sub, 'video', 5);
    const closed: ForwarderEvent[] = [];
    const allClosed = waitFor(
      (resolve) =>
        f.onEvent((e) => {
          closed.push(e);
          if (closed.filter((x) => x.type === 'transport-closed').length === 3) resolve();
        }),
      DEADLINE,
      'three transports closed',
    );
    await f.closeTransport('pub');
    await allClosed;
    const s = await f.stats();
    expect(s).toMatchObject({ routers: 1, transports: 0, producers: 0, consumers: 0 });
    expect(closed.filter((e) => e.type === 'consumer-closed').map((e) => 'reason' in e && e.reason)).toEqual(
      Array(4).fill('producer-closed'),
    );
    expect(closed.filter((e) => e.type === 'transport-closed').length).toBe(3);
    await f.closeRouter('s1');
    expect(await f.stats()).toMatchObject({ routers: 0, transports: 0 });
  });

  it('closes only the consumers of a subscriber that leaves', async () => {
    const f = forwarder();
    await f.createRouter('s1');
    const { producerIds } = await publisher(f, cleanup, 's1');
    const a = await subscriber(f, cleanup, 's1', 'sub-a', producerIds);
    const b = await subscriber(f, cleanup, 's1', 'sub-b', producerIds);
    await packets(a.sub, 'video', 5);
    const gone = eventOf(f, (e) => e.type === 'transport-closed' && e.transportId === 'sub-a', 'sub-a closed');
    await f.closeTransport('sub-a');
    await gone;
    expect(await f.stats()).toMatchObject({ transports: 2, producers: 2, consumers: 2 });
    const n = b.sub.received.video.packets;
    await packets(b.sub, 'video', n + 10); // the other subscriber still gets media
    await f.closeRouter('s1');
    expect(await f.stats()).toMatchObject({ routers: 0, transports: 0, producers: 0, consumers: 0 });
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    const f = forwarder();
    await f.createRouter('s1');
    await expect(f.publish('s1', 't', 'not sdp')).rejects.toMatchObject({ reason: 'bad-sdp' });
    await expect(f.publish('nope', 't', 'v=0\r\n')).rejects.toMatchObject({ reason: 'not-found' });
    await expect(f.publish('s1', 't', `v=0\r\n${'a=x\r\n'.repeat(20_000)}`)).rejects.toMatchObject({
      reason: 'bad-sdp',
    });
    await expect(f.subscribe('s1', 'u', ['no-such-producer'], 'v=0\r\n')).rejects.toMatchObject({
      reason: 'not-found',
    });
    await expect(f.renegotiate('no-such-transport', 'v=0\r\n')).rejects.toMatchObject({ reason: 'not-found' });
    await expect(f.addCandidate('no-such-transport', { candidate: '' })).rejects.toMatchObject({ reason: 'not-found' });
    expect(await f.stats()).toMatchObject({ routers: 1, transports: 0, producers: 0, consumers: 0 });
  });

  it('reports a worker crash and fails pending and later requests instead of hanging', async () => {
    const f = createForwarder({ testHooks: true });
    cleanup.push(() => f.close());
    await f.createRouter('s1');
    const gone = eventOf(f, (e) => e.type === 'worker-gone', 'worker-gone');
    // The worker answers, then throws on its next tick; the crash may also overtake the answer.
    await (f as unknown as { crashForTest(): Promise<void> }).crashForTest().catch((err: unknown) => {
      expect(err).toMatchObject({ reason: 'worker-gone' });
    });
    const e = await gone;
    expect(e).toMatchObject({ type: 'worker-gone' });
    await expect(f.stats()).rejects.toMatchObject({ reason: 'worker-gone' });
  });
});
