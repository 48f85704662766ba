import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUS_KINDS } from '@parley/testkit';
import { Harness } from './support/harness.js';

describe.each(BUS_KINDS)('over the %s bus', (bus) => {
  let h: Harness;
  let sessionId: string;
  beforeEach(async () => {
    h = await Harness.start({ signalRate: { perSecond: 1, burst: 5 } }, bus);
    sessionId = await h.session();
  });
  afterEach(async () => {
    await h.stop();
  });

  describe('signals', () => {
    it('a broadcast reaches everyone including the sender (echo), from = sender; then ack', async () => {
      const { a, b, aId } = await h.pair(sessionId);
      a.client.send({ t: 'signal', s: 1, type: 'chat', data: 'hi' });
      expect(await a.client.nextOf('signal')).toEqual({ t: 'signal', from: aId, type: 'chat', data: 'hi' });
      expect(await a.client.nextOf('ack')).toEqual({ t: 'ack', a: 1 });
      expect(await b.client.nextOf('signal')).toEqual({ t: 'signal', from: aId, type: 'chat', data: 'hi' });
    });

    it('a signal to one connection reaches only it; an empty type means no type', async () => {
      const { a, b, aId, bId } = await h.pair(sessionId);
      const c = await h.join(sessionId, { data: 'c' });
      a.client.send({ t: 'signal', s: 1, type: '', data: 'only b', to: bId });
      expect(await b.client.nextOf('signal')).toEqual({ t: 'signal', from: aId, data: 'only b' });
      await a.client.nextOf('ack');
      // c and a got nothing: a later broadcast is the first signal they see
      a.client.send({ t: 'signal', s: 2, data: 'all' });
      expect((await c.client.nextOf('signal')).data).toBe('all');
      expect((await a.client.nextOf('signal')).data).toBe('all');
    });

    it('a signal to an unknown connection is nacked 404, before the ack that covers it', async () => {
      const { a } = await h.pair(sessionId);
      a.client.send({ t: 'signal', s: 1, data: 'x', to: 'nobody' });
      const nack = await a.client.nextOf('nack');
      expect(nack).toMatchObject({ r: 1, code: 404 });
      const iNack = a.client.messages.indexOf(nack);
      const ack = await a.client.nextOf('ack');
      expect(ack.a).toBe(1);
      expect(a.client.messages.indexOf(ack)).toBeGreaterThan(iNack);
    });

    it('an invalid type is nacked 1461 and data over 8192 characters 1413; nobody receives them', async () => {
      const { a, b } = await h.pair(sessionId);
      a.client.send(
        { t: 'signal', s: 1, type: 'bad type!' },
        { t: 'signal', s: 2, type: 'x'.repeat(129) },
        { t: 'signal', s: 3, data: 'x'.repeat(8193) },
      );
      expect((await a.client.nextOf('nack')).code).toBe(1461);
      expect((await a.client.nextOf('nack')).code).toBe(1461);
      expect((await a.client.nextOf('nack')).code).toBe(1413);
      // Over a cluster bus an ack covering 2 may share nack 3's frame (acks go last in a frame);
      // what matters is that the ack covering 3 comes after nack 3.
      expect((await a.client.nextOf('ack', 3000, (m) => m.a >= 3)).a).toBe(3);
      a.client.send({ t: 'signal', s: 4, data: 'ok' });
      expect((await b.client.nextOf('signal')).data).toBe('ok');
      expect(b.client.all('signal')).toHaveLength(1);
    });

    // Batching is per tick of the endpoint: the in-memory bus answers both signals in one tick,
    // so they share a frame; a cluster bus (split, Redis) may deliver them in two ticks, in order.
    it('two signals sent in one tick arrive in order, in one frame over the in-memory bus (write batching)', async () => {
      const { a, b } = await h.pair(sessionId);
      a.client.send({ t: 'signal', s: 1, data: 'one' }, { t: 'signal', s: 2, data: 'two' });
      await b.client.nextOf('signal', 3000, (m) => m.data === 'two');
      const signalsIn = (frames: readonly string[]): unknown[] =>
        frames
          .flatMap((f) => f.split('\n'))
          .map((p) => JSON.parse(p) as { t?: string; data?: unknown })
          .filter((m) => m.t === 'signal')
          .map((m) => m.data);
      const fromA = a.welcome.connection.connectionId;
      if (bus !== 'memory') {
        expect(signalsIn(b.client.frames)).toEqual(['one', 'two']);
        return;
      }
      expect(signalsIn(b.client.frames.slice(-1))).toEqual(['one', 'two']);
      await a.client.nextOf('ack', 3000, (m) => m.a === 2);
      const last = a.client.frames
        .at(-1)!
        .split('\n')
        .map((p) => JSON.parse(p) as unknown);
      expect(last).toEqual([
        { t: 'signal', from: fromA, data: 'one' },
        { t: 'signal', from: fromA, data: 'two' },
        { t: 'ack', a: 2 },
      ]);
    });

    it('a duplicate request is dropped (but re-acknowledged); a gap closes with 4002', async () => {
      const { a, b } = await h.pair(sessionId);
      a.client.send({ t: 'signal', s: 1, data: 'first' });
      await a.client.nextOf('ack');
      a.client.send({ t: 'signal', s: 1, data: 'dup' }, { t: 'signal', s: 2, data: 'second' });
      expect((await a.client.nextOf('ack', 3000, (m) => m.a === 2)).a).toBe(2);
      await b.client.nextOf('signal', 3000, (m) => m.data === 'second');
      expect(b.client.all('signal').map((m) => m.data)).toEqual(['first', 'second']);
      a.client.send({ t: 'signal', s: 4, data: 'gap' });
      expect(await a.client.close()).toMatchObject({ code: 4002, reason: expect.stringMatching(/s=4/) as string });
      expect((await b.client.nextOf('connectionDestroyed')).reason).toBe('networkDisconnected');
    });

    it('an ack beyond what was sent closes with 4002', async () => {
      const { a } = await h.pair(sessionId);
      a.client.send({ t: 'ack', a: 99 });
      expect((await a.client.close()).code).toBe(4002);
    });

    it('a publisheronly connection may not signal: nack 1550', async () => {
      const { b } = await h.pair(sessionId);
      const p = await h.join(sessionId, { role: 'publisheronly' });
      p.client.send({ t: 'signal', s: 1, data: 'x' });
      expect(await p.client.nextOf('nack')).toMatchObject({ r: 1, code: 1550 });
      b.client.send({ t: 'signal', s: 1, data: 'from b' });
      expect((await p.client.nextOf('signal')).data).toBe('from b'); // it still receives
    });

    it('a subscriber may signal', async () => {
      const { b } = await h.pair(sessionId);
      const s = await h.join(sessionId, { role: 'subscriber' });
      s.client.send({ t: 'signal', s: 1, data: 'sub' });
      expect((await b.client.nextOf('signal')).data).toBe('sub');
    });

    it('past the rate limit signals are nacked 429 and the other clients are fine', async () => {
      const { a, b } = await h.pair(sessionId);
      const burst = Array.from({ length: 7 }, (_, i) => ({ t: 'signal', s: i + 1, data: `m${i + 1}` }));
      a.client.send(...burst);
      const nacks = [await a.client.nextOf('nack'), await a.client.nextOf('nack')];
      expect(nacks.map((n) => [n.r, n.code])).toEqual([
        [6, 429],
        [7, 429],
      ]);
      // Acks are cumulative: a cluster bus may complete 1..5 over several answers (acks 3, then 7).
      expect((await a.client.nextOf('ack', 3000, (m) => m.a >= 7)).a).toBe(7);
      b.client.send({ t: 'signal', s: 1, data: 'b is fine' });
      expect((await a.client.nextOf('signal', 3000, (m) => m.data === 'b is fine')).from).toBe(
        b.welcome.connection.connectionId,
      );
      expect(
        b.client
          .all('signal')
          .map((m) => m.data)
          .slice(0, 5),
      ).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    });

    it('a client that keeps flooding past 2 × burst is closed with 4029', async () => {
      const { a, b } = await h.pair(sessionId);
      a.client.send(...Array.from({ length: 20 }, (_, i) => ({ t: 'signal', s: i + 1 })));
      expect((await a.client.close()).code).toBe(4029);
      expect((await b.client.nextOf('connectionDestroyed')).connectionId).toBe(a.welcome.connection.connectionId);
    });
  });

  describe('forceDisconnect', () => {
    it('a moderator disconnects another client: it gets 4012, the others forceDisconnected', async () => {
      const { a, b, bId } = await h.pair(sessionId);
      const m = await h.join(sessionId, { role: 'moderator' });
      m.client.send({ t: 'forceDisconnect', s: 1, connectionId: bId });
      expect((await b.client.close()).code).toBe(4012);
      expect(await a.client.nextOf('connectionDestroyed')).toEqual({
        t: 'connectionDestroyed',
        connectionId: bId,
        reason: 'forceDisconnected',
      });
      expect((await m.client.nextOf('connectionDestroyed')).reason).toBe('forceDisconnected');
      expect((await m.client.nextOf('ack')).a).toBe(1);
    });

    it('a publisher may not: nack 1520; an unknown target: nack 404', async () => {
      const { a, bId } = await h.pair(sessionId);
      a.client.send({ t: 'forceDisconnect', s: 1, connectionId: bId });
      expect(await a.client.nextOf('nack')).toMatchObject({ r: 1, code: 1520 });
      const m = await h.join(sessionId, { role: 'moderator' });
      m.client.send({ t: 'forceDisconnect', s: 1, connectionId: 'nobody' });
      expect(await m.client.nextOf('nack')).toMatchObject({ r: 1, code: 404 });
    });
  });
});
