import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUS_KINDS } from '@parley/testkit';
import type { RawClient } from './support/raw-client.js';
import { Harness, SHORT_TIMINGS, type Joined } from './support/harness.js';

describe.each(BUS_KINDS)('over the %s bus', (bus) => {
  let h: Harness;
  let sessionId: string;
  beforeEach(async () => {
    h = await Harness.start({ timings: SHORT_TIMINGS, replay: { maxMessages: 20, maxBytes: 1 << 20 } }, bus);
    sessionId = await h.session();
  });
  afterEach(async () => {
    await h.stop();
  });

  async function dropAndWait(victim: Joined, peer: RawClient) {
    victim.client.drop();
    await peer.nextOf('connectionReconnecting', 3000, (m) => m.connectionId === victim.welcome.connection.connectionId);
  }

  describe('resume', () => {
    it('messages sent while the socket was down are replayed once, in order, after resumed', async () => {
      const { a, b, bId } = await h.pair(sessionId);
      b.client.send({ t: 'signal', s: 1, data: 'before' });
      await a.client.nextOf('signal');
      const position = a.client.received; // 2: connectionCreated(b), signal "before"
      await dropAndWait(a, b.client);
      b.client.send({ t: 'signal', s: 2, data: 'while away 1' }, { t: 'signal', s: 3, data: 'while away 2' });
      await b.client.nextOf('ack', 3000, (m) => m.a === 3);

      const r = h.resume(sessionId, a.welcome, position);
      expect(await r.nextOf('resumed')).toEqual({ t: 'resumed', ack: 0, next: position + 1, ...SHORT_TIMINGS });
      expect((await r.nextOf('signal')).data).toBe('while away 1');
      expect((await r.nextOf('signal')).data).toBe('while away 2');
      expect(r.messages[0]?.t).toBe('resumed');
      b.client.send({ t: 'signal', s: 4, data: 'live' });
      expect((await r.nextOf('signal')).data).toBe('live');
      expect(r.all('signal').map((m) => m.data)).toEqual(['while away 1', 'while away 2', 'live']);

      expect(await b.client.nextOf('connectionReconnected')).toEqual({
        t: 'connectionReconnected',
        connectionId: a.welcome.connection.connectionId,
      });
      expect(b.client.all('connectionDestroyed')).toEqual([]);
      expect(b.client.all('connectionCreated')).toEqual([]);
      expect(b.client.all('signal').every((m) => m.from === bId)).toBe(true);
    });

    it('a resume with an older ack replays from there; resumed.ack says which requests were processed', async () => {
      const { a, b } = await h.pair(sessionId);
      a.client.send({ t: 'signal', s: 1, data: 'mine' });
      await a.client.nextOf('ack');
      await dropAndWait(a, b.client);
      const r = h.resume(sessionId, a.welcome, 0);
      expect(await r.nextOf('resumed')).toMatchObject({ ack: 1, next: 1 });
      expect((await r.nextOf('connectionCreated')).connection.data).toBe('b');
      expect((await r.nextOf('signal')).data).toBe('mine');
      // acks are not sequenced: the one lost with the old transport is re-sent after the replay
      expect((await r.nextOf('ack')).a).toBe(1);
      expect(r.messages.map((m) => m.t)).toEqual(['resumed', 'connectionCreated', 'signal', 'ack']);
      // the client resends s=1 (it did not see the ack): dropped, then s=2 goes through
      r.send({ t: 'signal', s: 1, data: 'mine' }, { t: 'signal', s: 2, data: 'next' });
      expect((await r.nextOf('ack', 3000, (m) => m.a === 2)).a).toBe(2);
      await b.client.nextOf('signal', 3000, (m) => m.data === 'next');
      expect(b.client.all('signal').map((m) => m.data)).toEqual(['mine', 'next']);
    });

    it('a resume while the old socket is still open replaces it with 4006', async () => {
      const { a, b } = await h.pair(sessionId);
      const r = h.resume(sessionId, a.welcome, a.client.received);
      await r.nextOf('resumed');
      expect((await a.client.close()).code).toBe(4006);
      b.client.send({ t: 'signal', s: 1, data: 'to the new one' });
      expect((await r.nextOf('signal')).data).toBe('to the new one');
      expect(b.client.all('connectionReconnecting')).toEqual([]);
    });

    it('refused with 4010: wrong key, unknown connection, ack outside what the server holds', async () => {
      const { a, b } = await h.pair(sessionId);
      await dropAndWait(a, b.client);
      const wrongKey = h.resume(sessionId, a.welcome, 0, 'A'.repeat(22));
      expect(await wrongKey.close()).toEqual({ code: 4010, reason: 'wrong resume key' });
      const unknown = h.resume(
        sessionId,
        { ...a.welcome, connection: { ...a.welcome.connection, connectionId: 'nope' } },
        0,
      );
      expect(await unknown.close()).toEqual({ code: 4010, reason: 'unknown connection' });
      const ahead = h.resume(sessionId, a.welcome, 99);
      expect(await ahead.close()).toMatchObject({ code: 4010, reason: expect.stringMatching(/ack 99/) as string });
      // none of that hurt the held connection
      const ok = h.resume(sessionId, a.welcome, a.client.received);
      await ok.nextOf('resumed');
    });

    it('a resume after an ack is refused below the acknowledged position', async () => {
      const { a, b } = await h.pair(sessionId);
      a.client.ack(); // acknowledges connectionCreated(b): position 1
      await dropAndWait(a, b.client);
      expect((await h.resume(sessionId, a.welcome, 0).close()).code).toBe(4010);
    });

    it('when the reconnect window runs out the others get networkDisconnected, and a resume is refused', async () => {
      const { a, b, aId } = await h.pair(sessionId);
      await dropAndWait(a, b.client);
      expect(await b.client.nextOf('connectionDestroyed', 3000)).toEqual({
        t: 'connectionDestroyed',
        connectionId: aId,
        reason: 'networkDisconnected',
      });
      expect((await h.resume(sessionId, a.welcome, 0).close()).code).toBe(4010);
    });

    it('a client that stops pinging is timed out (4001) and the others see connectionReconnecting', async () => {
      const { a, b, aId } = await h.pair(sessionId);
      a.client.stopPinging();
      expect((await b.client.nextOf('connectionReconnecting', 2000)).connectionId).toBe(aId);
      expect((await a.client.close()).code).toBe(4001);
    });

    it('a replay buffer overflow while away destroys the connection at once', async () => {
      const { a, b, aId } = await h.pair(sessionId);
      await dropAndWait(a, b.client);
      // addressed to a only, so the sender's own buffer (echoes) stays small
      b.client.send(...Array.from({ length: 21 }, (_, i) => ({ t: 'signal', s: i + 1, to: aId })));
      const destroyed = await b.client.nextOf('connectionDestroyed', 500);
      expect(destroyed).toEqual({ t: 'connectionDestroyed', connectionId: aId, reason: 'networkDisconnected' });
      expect((await h.resume(sessionId, a.welcome, 0).close()).code).toBe(4010);
    });

    it('a replay buffer overflow while connected (no acks) closes with 4014', async () => {
      const { a, b } = await h.pair(sessionId);
      const silent = await h.join(sessionId);
      silent.client.stopPinging(); // it never acknowledges
      const to = silent.welcome.connection.connectionId;
      b.client.send(...Array.from({ length: 21 }, (_, i) => ({ t: 'signal', s: i + 1, to })));
      expect(await silent.client.close()).toMatchObject({
        code: 4014,
        reason: expect.stringMatching(/overflow/) as string,
      });
      expect((await a.client.nextOf('connectionDestroyed')).connectionId).toBe(to);
      expect(a.client.closed).toBeUndefined();
      expect(b.client.closed).toBeUndefined();
    });

    it('after a resume, the old generation expiry never destroys the resumed connection', async () => {
      const { a, b } = await h.pair(sessionId);
      await dropAndWait(a, b.client); // expiry of generation 1 scheduled for +1000 ms
      const r = h.resume(sessionId, a.welcome, a.client.received);
      await r.nextOf('resumed');
      await b.client.nextOf('connectionReconnected');
      // Outlive the first window (1000 ms): no connectionDestroyed may arrive within 1500 ms.
      await expect(b.client.nextOf('connectionDestroyed', 1500)).rejects.toThrow(/timed out/);
      b.client.send({ t: 'signal', s: 1, data: 'still connected' });
      expect((await r.nextOf('signal')).data).toBe('still connected');
      expect(r.closed).toBeUndefined();
      expect(b.client.all('connectionDestroyed')).toEqual([]);
      expect(h.connectionCount()).toBe(2);
    });
  });
});
