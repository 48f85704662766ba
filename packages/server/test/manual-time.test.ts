/**
 * Liveness, the reconnect window and the signal rate limit on an injected clock: time moves only
 * when the test says so, so "nothing happens before the deadline" is checked at the deadline
 * instead of by waiting for it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness, type Joined } from './support/harness.js';
import { ManualClock } from './support/manual-clock.js';

const TIMINGS = { heartbeatInterval: 1000, heartbeatTimeout: 3000, reconnectWindow: 10_000 };

let h: Harness;
let clock: ManualClock;
let sessionId: string;
beforeEach(async () => {
  clock = new ManualClock();
  // pingEvery: the raw clients never ping by themselves; the test decides who is alive.
  h = await Harness.start({ timings: TIMINGS, clock, signalRate: { perSecond: 1, burst: 2 } });
  sessionId = await h.session();
});
afterEach(async () => {
  await h.stop();
});

/** A frame from `c` that the server has processed (its pong came back) at the current clock time. */
async function alive(c: Joined): Promise<void> {
  c.client.send({ t: 'ping', a: c.client.received });
  await c.client.nextOf('pong');
}

describe('on manual time', () => {
  it('a silent client is timed out exactly past heartbeatTimeout, a talking one is not; the window then expires', async () => {
    const { a, b, aId } = await h.pair(sessionId);
    a.client.stopPinging();
    b.client.stopPinging();
    clock.advance(2000);
    await alive(b);
    clock.advance(1000); // a silent for 3000 ms: not past the timeout yet
    await alive(b);
    expect(a.client.closed).toBeUndefined();
    expect(b.client.all('connectionReconnecting')).toEqual([]);

    clock.advance(1000); // the sweep at 4000 ms: a has been silent for more than 3000 ms
    expect((await a.client.close()).code).toBe(4001);
    expect(await b.client.nextOf('connectionReconnecting')).toEqual({ t: 'connectionReconnecting', connectionId: aId });

    // b stays alive through the window (a frame every 2000 ms); a's window ends at 10 000 ms.
    for (const step of [2000, 2000, 2000, 2000, 1999]) {
      await alive(b);
      clock.advance(step);
    }
    await alive(b);
    expect(b.client.all('connectionDestroyed')).toEqual([]);
    clock.advance(1);
    expect(await b.client.nextOf('connectionDestroyed')).toEqual({
      t: 'connectionDestroyed',
      connectionId: aId,
      reason: 'networkDisconnected',
    });
  });

  it('the signal rate limit refills with the clock, not with the wall', async () => {
    const { a } = await h.pair(sessionId);
    a.client.send({ t: 'signal', s: 1 }, { t: 'signal', s: 2 }, { t: 'signal', s: 3 });
    expect((await a.client.nextOf('nack')).code).toBe(429);
    expect((await a.client.nextOf('ack')).a).toBe(3);
    a.client.send({ t: 'signal', s: 4 });
    expect((await a.client.nextOf('nack')).r).toBe(4);
    clock.advance(1000); // one token earned
    a.client.send({ t: 'signal', s: 5 });
    expect((await a.client.nextOf('ack', 3000, (m) => m.a === 5)).a).toBe(5);
    expect(a.client.all('nack').map((m) => m.r)).toEqual([3, 4]);
  });
});
