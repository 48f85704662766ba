/**
 * The limits that protect a session, hit end to end: the per-connection signal rate limit (429,
 * nothing delivered for a refused signal, nothing else disturbed) and the per-session connection
 * limit (1027, invisible to those already in). Every wait has a deadline; nothing sleeps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BUS_KINDS } from '@parley/testkit';
import { SessionConnectionStatus, SessionErrorCode, type ParleyError, type Session } from '@parley/client';
import { nextEvent, recordEvents } from '@parley/testkit';
import { inbox, startHarness, type Client, type Harness } from './harness.js';
import { rejection, seesOthers, T } from './support-opentok.js';

describe.each(BUS_KINDS)('over the %s bus', (bus) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  async function harness(extra: Parameters<typeof startHarness>[0]): Promise<Harness> {
    h = await startHarness(extra, bus);
    return h;
  }

  /** Wait until every one of `receivers` has the broadcast `type` marker sent by `sender`. */
  async function marker(sender: Session, receivers: readonly Client[], type = 'marker'): Promise<void> {
    const got = receivers.map((x) => nextEvent(x.session, 'signal', T, (s) => s.type === type));
    await sender.signal({ type });
    await Promise.all(got);
  }

  describe('signal rate limit (signalRate: 5 per second, burst 5)', () => {
    const BURST = 5;
    const SENT = 9; // 4 refusals in a row: well under the flood threshold (2 × burst)

    it('a burst: the first 5 resolve, the rest reject with 429; the others get exactly the accepted ones, in order', async () => {
      const env = await harness({ signalRate: { perSecond: 5, burst: BURST } });
      const sender = await env.client({ data: 'sender' });
      const b = await env.client({ data: 'b' });
      const c = await env.client({ data: 'c' });
      const everyone = [sender, b, c];
      await Promise.all(everyone.map((x) => seesOthers(x.session, 2)));
      const inboxes = everyone.map((x) => inbox(x.session));
      const ended = everyone.map((x) =>
        recordEvents(x.session, ['sessionError', 'sessionDisconnected', 'connectionDestroyed', 'sessionReconnecting']),
      );

      // All sent in one go (one tick), so the bucket cannot refill in between.
      const results = await Promise.allSettled(
        Array.from({ length: SENT }, (_, i) => sender.session.signal({ type: 'burst', data: String(i) })),
      );

      const accepted = results.flatMap((r, i) => (r.status === 'fulfilled' ? [String(i)] : []));
      expect(accepted).toEqual(['0', '1', '2', '3', '4']);
      for (const r of results.slice(BURST)) {
        expect(r.status).toBe('rejected');
        const error = (r as PromiseRejectedResult).reason as ParleyError;
        expect(error.code).toBe(SessionErrorCode.RateLimitExceeded);
        expect(error.code).toBe(429);
      }

      // b's marker is sent after the sender's accepted signals were fanned out (their acks came
      // first), so once everyone has it, everything the sender got through is in.
      await marker(b.session, everyone);
      for (const [i, x] of inboxes.entries()) {
        expect(x.data('burst'), `receiver ${i}`).toEqual(['0', '1', '2', '3', '4']);
        expect(
          x.received.map((s) => s.type),
          `receiver ${i}`,
        ).toEqual([...Array<string>(BURST).fill('burst'), 'marker']);
        expect(x.received.filter((s) => s.type === 'burst').every((s) => s.from === sender.id)).toBe(true);
      }

      // Nothing else broke: the others still signal each other, the sender is still connected and
      // still receives, and nobody saw an error, a drop or a departure.
      const cGot = nextEvent(c.session, 'signal', T, (s) => s.type === 'dm');
      await b.session.signal({ type: 'dm', data: 'b to c', to: c.id });
      expect((await cGot).from?.connectionId).toBe(b.id);
      await marker(c.session, everyone, 'marker2');
      expect(inboxes[0]?.data('marker2')).toHaveLength(1);
      expect(sender.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
      for (const x of everyone) expect(x.session.connections.size).toBe(2);
      expect(ended.map((r) => r.names())).toEqual([[], [], []]);
      expect(env.connectionCount()).toBe(3);
    });

    it("a rate-limited client does not spend the others' budgets: each connection has its own bucket", async () => {
      const env = await harness({ signalRate: { perSecond: 5, burst: BURST } });
      const sender = await env.client();
      const b = await env.client();
      await seesOthers(b.session, 1);
      const first = await Promise.allSettled(
        Array.from({ length: BURST + 1 }, (_, i) => sender.session.signal({ type: 's', data: String(i) })),
      );
      expect(first.map((r) => r.status)).toEqual([...Array<string>(BURST).fill('fulfilled'), 'rejected']);
      // b still has its whole burst.
      const own = await Promise.allSettled(
        Array.from({ length: BURST }, (_, i) => b.session.signal({ type: 'b', data: String(i) })),
      );
      expect(own.map((r) => r.status)).toEqual(Array<string>(BURST).fill('fulfilled'));
      expect(sender.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
      expect(b.session.connections.has(sender.id)).toBe(true);
    });
  });

  describe('connection limit (maxConnectionsPerSession: 3)', () => {
    it('the 4th connect rejects with 1027, the 3 in see nothing of it; after one leaves a new one can join', async () => {
      const env = await harness({ maxConnectionsPerSession: 3 });
      const [a, b, c] = [
        await env.client({ data: 'a' }),
        await env.client({ data: 'b' }),
        await env.client({ data: 'c' }),
      ];
      const inside = [a, b, c];
      await Promise.all(inside.map((x) => seesOthers(x.session, 2)));
      const created = inside.map((x) => {
        const ids: string[] = [];
        x.session.on('connectionCreated', ({ connection }) => ids.push(connection.connectionId));
        return ids;
      });

      const fourth = await env.client({ connect: false, data: 'fourth' });
      const failures: ParleyError[] = [];
      fourth.session.on('sessionError', ({ error }) => failures.push(error));
      const refused = await rejection(fourth.session.connect(fourth.token));
      expect(refused.code).toBe(SessionErrorCode.ConnectionLimitExceeded);
      expect(refused.code).toBe(1027);
      expect(failures.map((e) => e.code)).toEqual([1027]);
      expect(fourth.session.connectionStatus).toBe(SessionConnectionStatus.NotConnected);
      expect(env.connectionCount()).toBe(3);

      // Ordered delivery: a broadcast sent now arrives after any connectionCreated sent before it.
      await marker(a.session, inside);
      expect(created).toEqual([[], [], []]);
      for (const x of inside) expect(x.session.connections.size).toBe(2);

      // One leaves; a new one can join, and is announced (only it).
      const gone = [a, b].map((x) =>
        nextEvent(x.session, 'connectionDestroyed', T, (e) => e.connection.connectionId === c.id),
      );
      await c.session.disconnect();
      await Promise.all(gone);
      const announced = [a, b].map((x) => nextEvent(x.session, 'connectionCreated', T));
      const late = await env.client({ data: 'late' });
      for (const e of await Promise.all(announced)) {
        expect(e.connection.connectionId).toBe(late.id);
        expect(e.connection.data).toBe('late');
      }
      expect(created.slice(0, 2)).toEqual([[late.id], [late.id]]);
      expect(late.session.connections.size).toBe(2);

      // Full again: the refused client may try again, and is refused again.
      const again = await rejection(fourth.session.connect(env.token({ data: 'fourth' })));
      expect(again.code).toBe(SessionErrorCode.ConnectionLimitExceeded);
      expect(env.connectionCount()).toBe(3);
    });
  });
});
