/**
 * A drain (4016) over the Redis bus waits for requests already at the bus before it parks its
 * connections (parley-endpoint.ts #settle): a connection with a request in flight could not be
 * handed over, and its client would fail (1022) instead of resuming on another node. Redis is
 * paused (CLIENT PAUSE) so the request stays in flight for a known time.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode, DEFAULT_TIMINGS } from '@parley/protocol';
import type { ParleyServer, RedisBus } from '@parley/server';
import { testRedis, type RedisServer } from '@parley/testkit';
import { Harness } from './support/harness.js';

const LEASE = { leaseTtlMs: 1_500, renewEveryMs: 250 };

let h: Harness;
let redis: RedisServer;
let sessionId: string;
beforeEach(async () => {
  redis = await testRedis();
  h = await Harness.start(
    { drain: 'node', timings: { ...DEFAULT_TIMINGS, reconnectWindow: 5_000 } },
    'redis',
    undefined,
    LEASE,
  );
  sessionId = await h.session();
});
afterEach(async () => {
  await h.stop();
});

/** Node i's count of connections rebuilt from the log (parley_redis_rebuilds_total). */
async function rebuilds(i: number): Promise<Record<string, number>> {
  const family = (h.nodes.redisBuses[i] as RedisBus).metricFamilies().find((f) => f.name === 'redis_rebuilds_total');
  const values = (await family?.read()) as { labels: { result: string }; value: number }[];
  return Object.fromEntries(values.map((v) => [v.labels.result, v.value]));
}

describe('a drain over the Redis bus', () => {
  it('waits for a request already at the bus: its client resumes on another node, the signal delivered once and acknowledged', async () => {
    const { a, b, bId } = await h.pair(sessionId); // a on node 0, b on node 1
    const [drained, other] = h.nodes.servers as [ParleyServer, ParleyServer];
    const pauser = new Redis(redis.url);
    try {
      await pauser.call('CLIENT', 'PAUSE', '800', 'ALL');
      // The signal, then a ping in the same frame: the pong (unsequenced, never waits for the bus)
      // says the node has handled the signal, which now waits for the paused Redis.
      const pongs = a.client.all('pong').length;
      a.client.send({ t: 'signal', s: 1, to: bId, data: 'in flight' }, { t: 'ping', a: 1 });
      await a.client.until('the pong', () => a.client.all('pong').length > pongs, 5_000);
      const closed = drained.close();
      expect((await a.client.close(10_000)).code).toBe(CloseCode.NodeDraining);
      await closed;
    } finally {
      pauser.disconnect();
    }
    const back = h.resume(sessionId, a.welcome, 1, undefined, other); // a had read b's connectionCreated
    expect(await back.nextOf('resumed', 5_000)).toMatchObject({ ack: 1 });
    await b.client.until('the signal', () => b.client.messages.some((m) => m.t === 'signal'), 5_000);
    expect(b.client.messages.filter((m) => m.t === 'signal' && m.data === 'in flight')).toHaveLength(1);
    // Handed over by the park, not rebuilt from the log as for a node that died.
    expect(await rebuilds(1)).toEqual({ ok: 0, refused: 0 });
  });
});
