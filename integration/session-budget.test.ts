/**
 * The per-session signal budget is one budget for the session, wherever its senders are
 * (PROTOCOL.md §Flow control; docs/CLUSTER.md §The session budget): three senders, one on each
 * of three nodes of a Redis cluster (a real redis-server), share one pair of token buckets kept
 * in Redis, exactly as three senders on one node share the node's. What it refuses is refused
 * with 429 (never counted towards 4029) and reaches nobody.
 *
 * The figures do not depend on timing: the buckets refill at 0.01 per second (one token in
 * 100 s), so within the test only the burst can be spent. The refill itself is checked by
 * retrying until a signal passes (a stepped check, with a deadline).
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionConnectionStatus, SessionErrorCode, type ParleyError } from '@parley/client';
import { encodeMessage, type SessionSignalBudget } from '@parley/protocol';
import { nextEvent, recordEvents, testRedis, waitFor, type BusKind } from '@parley/testkit';
import { inbox, startHarness, type Client, type Harness } from './harness.js';
import { seesOthers, T } from './support-opentok.js';

/** Rates so low that nothing refills during a test: only the burst counts. */
const SLOW = 0.01;
/** Generous: the session budget binds first. */
const BIG = 1e9;

/** The buses whose session budget is one for the session (the split test bus counts it per node). */
const ONE_BUDGET: readonly BusKind[] = ['memory', 'redis'];

describe.each(ONE_BUDGET)('the session signal budget over the %s bus', (bus) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  /** Three senders (round robin: one per node over Redis), every one seeing the others. */
  async function three(
    sessionSignals: SessionSignalBudget,
    signalRate?: { perSecond: number; burst: number },
  ): Promise<Client[]> {
    h = await startHarness({ sessionSignals, ...(signalRate !== undefined && { signalRate }) }, bus);
    const everyone: Client[] = [];
    for (let i = 0; i < 3; i++) everyone.push(await h.client({ data: `m${i}` }));
    await Promise.all(everyone.map((x) => seesOthers(x.session, 2)));
    return everyone;
  }

  /** Everyone sends `each` signals at once; the accepted data per sender (every refusal a 429). */
  async function burst(everyone: Client[], each: number, data: (s: number, i: number) => string): Promise<string[][]> {
    const all = everyone.map((x, s) =>
      Promise.allSettled(Array.from({ length: each }, (_, i) => x.session.signal({ type: 'b', data: data(s, i) }))),
    );
    return (await Promise.all(all)).map((results, s) =>
      results.flatMap((r, i) => {
        if (r.status === 'fulfilled') return [data(s, i)];
        expect((r.reason as ParleyError).code).toBe(SessionErrorCode.RateLimitExceeded);
        return [];
      }),
    );
  }

  /** Every member got exactly the accepted signals of each sender, in order; nobody was dropped. */
  async function delivered(everyone: Client[], ok: string[][], inboxes: ReturnType<typeof inbox>[]): Promise<void> {
    // A marker through the server (not charged: the REST API) closes the comparison.
    const marked = everyone.map((x) => nextEvent(x.session, 'signal', T, (s) => s.type === 'marker'));
    await h!.parley.signal(h!.sessionId, { type: 'marker', data: 'end' });
    await Promise.all(marked);
    for (const [i, x] of inboxes.entries()) {
      const got = x.data('b');
      for (const [s, o] of ok.entries())
        expect(
          got.filter((d) => d?.startsWith(`${s}.`)),
          `member ${i} from ${s}`,
        ).toEqual(o);
    }
    for (const x of everyone) expect(x.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
  }

  it('signals: three senders (on three nodes) share one burst of 10; the 8 past it are refused with 429 and reach nobody', async () => {
    const everyone = await three({ perSecond: SLOW, burst: 10, bytesPerSecond: BIG, byteBurst: BIG });
    const inboxes = everyone.map((x) => inbox(x.session));
    const ended = everyone.map((x) =>
      recordEvents(x.session, ['sessionError', 'sessionDisconnected', 'connectionDestroyed', 'sessionReconnecting']),
    );
    const ok = await burst(everyone, 6, (s, i) => `${s}.${i}`);
    expect(ok.flat()).toHaveLength(10);
    // Each sender's accepted ones are a prefix of what it sent (a refusal is not followed by a pass).
    for (const [s, o] of ok.entries()) expect(o).toEqual(Array.from({ length: o.length }, (_, i) => `${s}.${i}`));
    await delivered(everyone, ok, inboxes);
    // More refusals than the flood threshold's burst would allow? Never 4029: still connected.
    const more = await burst(everyone, 4, (s, i) => `${s}.x${i}`);
    expect(more.flat()).toEqual([]);
    for (const x of everyone) expect(x.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    expect(ended.map((r) => r.names())).toEqual([[], [], []]);
  });

  it('refusals by the session budget never count towards the flood close (4029): 15 in a row past a flood threshold of 10', async () => {
    // Per-connection rate: burst 5, so 4029 would come after 10 rate refusals in a row. Sent one
    // at a time (each waits for its answer), the rate bucket refills between them (1 per ms):
    // every refusal is the session budget's.
    const everyone = await three(
      { perSecond: SLOW, burst: 4, bytesPerSecond: BIG, byteBurst: BIG },
      { perSecond: 1000, burst: 5 },
    );
    const [a, b] = everyone as [Client, Client];
    const ended = recordEvents(a.session, ['sessionError', 'sessionDisconnected', 'sessionReconnecting']);
    for (let i = 0; i < 4; i++) await b.session.signal({ type: 'b', data: `1.${i}` });
    for (let i = 0; i < 15; i++) {
      const refused = await a.session.signal({ type: 'b', data: `0.${i}` }).then(
        () => null,
        (e: unknown) => e as ParleyError,
      );
      expect(refused?.code, `signal ${i}`).toBe(SessionErrorCode.RateLimitExceeded);
    }
    expect(a.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    expect(ended.names()).toEqual([]);
  });

  it('bytes: three senders share one byte burst of 5 signals; the rest are refused with 429', async () => {
    const data = (s: number, i: number): string => `${s}.${i}:`.padEnd(1000, 'z');
    // Every signal costs the same (same type, same data length, connection IDs of one length).
    const probe = (id: string): number =>
      Buffer.byteLength(encodeMessage({ t: 'signal', from: id, type: 'b', data: data(0, 0) }), 'utf8');
    const estimate = probe('x'.repeat(36));
    const everyone = await three({ perSecond: BIG, burst: 1000, bytesPerSecond: SLOW, byteBurst: 5 * estimate + 10 });
    const costs = new Set(everyone.map((x) => probe(x.id)));
    expect(costs.size).toBe(1);
    const cost = [...costs][0] as number;
    const fit = Math.floor((5 * estimate + 10) / cost);
    const inboxes = everyone.map((x) => inbox(x.session));
    const ok = await burst(everyone, 4, data);
    expect(ok.flat()).toHaveLength(fit);
    await delivered(everyone, ok, inboxes);
  });

  it('the budget refills (with the bus clock): past the burst, a later signal passes again', async () => {
    const everyone = await three({ perSecond: 20, burst: 3, bytesPerSecond: BIG, byteBurst: BIG });
    const [a] = everyone as [Client];
    await burst(everyone, 5, (s, i) => `${s}.${i}`);
    // Retry until the bucket has refilled one token (20 per second): bounded, not timed.
    await waitFor(
      (resolve, reject) => {
        let stop = false;
        const attempt = (): void => {
          if (stop) return;
          a.session.signal({ type: 'again' }).then(
            () => {
              resolve(undefined);
            },
            (e: unknown) => {
              if ((e as ParleyError).code === SessionErrorCode.RateLimitExceeded) setTimeout(attempt, 20);
              else reject(e);
            },
          );
        };
        attempt();
        return () => (stop = true);
      },
      T,
      'a signal accepted once the budget refilled',
    );
  });

  if (bus === 'redis') {
    it('the bucket lives in Redis while the session does, and goes with its last member', async () => {
      const everyone = await three({ perSecond: SLOW, burst: 10, bytesPerSecond: BIG, byteBurst: BIG });
      await (everyone[0] as Client).session.signal({ type: 'b', data: '0.0' });
      const redis = new Redis((await testRedis()).url);
      try {
        const keys = (): Promise<string[]> => redis.keys(`*s:${h!.sessionId}:b`);
        expect(await keys()).toHaveLength(1);
        await Promise.all(everyone.map((x) => x.session.disconnect()));
        await waitFor(
          (resolve) => {
            const poll = (): void => {
              void keys().then((k) => {
                if (k.length === 0) resolve();
                else setTimeout(poll, 50);
              });
            };
            poll();
          },
          T,
          'the bucket key deleted with the session',
        );
      } finally {
        redis.disconnect();
      }
    });
  }
});
