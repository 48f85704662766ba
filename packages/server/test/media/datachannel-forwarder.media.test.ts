/**
 * The datachannel forwarder (libdatachannel through node-datachannel, in a child process) with
 * real WebRTC (werift peers on loopback): forwarding with per-subscriber SSRCs, key-frame
 * requests, NACKs answered natively, cleanup, bad input, and a crashed host. Run inside a
 * loopback-only network namespace: `npm test -- <this file>`.
 */
import { describe, expect, it } from 'vitest';
import type { ForwarderEvent } from '@parley/server';
import { waitFor } from '@parley/testkit';
import { DEADLINE, eventOf, forwarderSuite, packets, plis, publisher, subscriber } from './forwarder-peers.js';

const { cleanup, forwarder } = forwarderSuite('datachannel');

describe('forwarder (libdatachannel in a child process)', () => {
  it('forwards a publisher to two subscribers with their own SSRCs, asks for key frames, answers NACKs', async () => {
    const f = forwarder();
    expect(f.hostPid).toBeGreaterThan(0);
    await f.createRouter('s1');
    const { pub, producerIds } = await publisher(f, cleanup, 's1');
    const a = await subscriber(f, cleanup, 's1', 'sub-a', producerIds);
    await plis(pub, 1);
    const before = pub.pliCount;
    const b = await subscriber(f, cleanup, 's1', 'sub-b', producerIds);
    await plis(pub, before + 1); // the late subscriber needs a key frame too
    await Promise.all([
      packets(a.sub, 'video', 30),
      packets(a.sub, 'audio', 20),
      packets(b.sub, 'video', 30),
      packets(b.sub, 'audio', 20),
    ]);
    expect(a.sub.received.video.ssrc).not.toBe(b.sub.received.video.ssrc);
    // A NACK for a packet it got: the forwarder's responder resends it from its cache.
    await a.sub.nackVideo([[...a.sub.received.video.seen][5] as number]);
    await waitFor(
      (resolve) => {
        if (a.sub.received.video.duplicates > 0) resolve();
        return a.sub.onPacket(() => {
          if (a.sub.received.video.duplicates > 0) resolve();
        });
      },
      DEADLINE,
      'the retransmission',
    );
    const s = await f.stats();
    expect(s).toMatchObject({ routers: 1, transports: 3, producers: 2, consumers: 4 });
    // Every packet the subscribers got (retransmissions aside) was counted as forwarded.
    const got = [a, b].reduce(
      (n, { sub }) => n + sub.received.video.packets + sub.received.audio.packets - sub.received.video.duplicates,
      0,
    );
    expect(s.packetsOut).toBeGreaterThanOrEqual(got);
    expect(s.keyFrameRequests).toBeGreaterThanOrEqual(2);
  });

  it('closes the subscriptions when the publisher leaves, and only its own when a subscriber leaves', async () => {
    const f = forwarder();
    await f.createRouter('s1');
    const { producerIds } = await publisher(f, cleanup, 's1');
    const a = await subscriber(f, cleanup, 's1', 'sub-a', producerIds);
    const b = await subscriber(f, cleanup, 's1', 'sub-b', producerIds);
    await packets(a.sub, 'video', 5);
    const aGone = eventOf(f, (e) => e.type === 'transport-closed' && e.transportId === 'sub-a', 'sub-a closed');
    await f.closeTransport('sub-a');
    await aGone;
    expect(await f.stats()).toMatchObject({ transports: 2, producers: 2, consumers: 2 });
    await packets(b.sub, 'video', b.sub.received.video.packets + 10); // the other one still gets media
    const closed: ForwarderEvent[] = [];
    const allClosed = waitFor(
      (resolve) =>
        f.onEvent((e) => {
          closed.push(e);
          if (closed.filter((x) => x.type === 'transport-closed').length === 2) resolve();
        }),
      DEADLINE,
      'two transports closed',
    );
    await f.closeTransport('pub');
    await allClosed;
    expect(closed.filter((e) => e.type === 'consumer-closed').map((e) => 'reason' in e && e.reason)).toEqual(
      Array(2).fill('producer-closed'),
    );
    await f.closeRouter('s1');
    expect(await f.stats()).toMatchObject({ routers: 0, transports: 0, producers: 0, consumers: 0 });
  });

  it('refuses bad input and an ICE restart with a clear error and changes nothing', async () => {
    const f = forwarder();
    await f.createRouter('s1');
    await expect(f.publish('s1', 't', 'not sdp')).rejects.toMatchObject({ reason: 'bad-sdp' });
    await expect(f.publish('s1', 't', 'v=0\r\n')).rejects.toMatchObject({ reason: 'bad-sdp' });
    await expect(f.publish('nope', 't', 'v=0\r\n')).rejects.toMatchObject({ reason: 'not-found' });
    await expect(f.subscribe('s1', 'u', ['no-such-producer'], 'v=0\r\n')).rejects.toMatchObject({
      reason: 'not-found',
    });
    await expect(f.addCandidate('no-such-transport', { candidate: '' })).rejects.toMatchObject({ reason: 'not-found' });
    const { pub } = await publisher(f, cleanup, 's1');
    await expect(f.renegotiate('pub', await pub.offer())).rejects.toMatchObject({ reason: 'bad-request' });
    expect(await f.stats()).toMatchObject({ routers: 1, transports: 1, producers: 2, consumers: 0 });
  });

  it('reports a crashed forwarder process and fails later requests instead of hanging', async () => {
    const f = forwarder();
    await f.createRouter('s1');
    const gone = eventOf(f, (e) => e.type === 'worker-gone', 'worker-gone');
    await f.crashForTest().catch((err: unknown) => {
      expect(err).toMatchObject({ reason: 'worker-gone' });
    });
    expect(await gone).toMatchObject({ type: 'worker-gone' });
    await expect(f.stats()).rejects.toMatchObject({ reason: 'worker-gone' });
  });
});
