import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUS_KINDS, V1_SERVER_MESSAGE_TYPES } from '@parley/testkit';
import { CloseCode } from '@parley/protocol';
import { Harness } from './support/harness.js';
import type { RawClient } from './support/raw-client.js';

/** Every message type the client received, decoded from the raw frames (not from the current decoder's types). */
function typesSeen(client: RawClient): Set<string> {
  const types = new Set<string>();
  for (const frame of client.frames) {
    for (const line of frame.split('\n')) types.add((JSON.parse(line) as { t: string }).t);
  }
  return types;
}

describe.each(BUS_KINDS)('over the %s bus', (bus) => {
  let h: Harness;
  let sessionId: string;
  beforeEach(async () => {
    h = await Harness.start({}, bus);
    sessionId = await h.session();
  });
  afterEach(async () => {
    await h.stop();
  });

  describe('capabilities in the handshake and welcome', () => {
    it('welcome.caps echoes what the client declared and the server has; unknown names are ignored', async () => {
      const { welcome } = await h.join(sessionId, { caps: ['reply'] });
      expect(welcome.caps).toEqual(['reply']);
      const raw = h.raw(
        `${h.server.wsUrl}?v=1&apiKey=${h.server.projects[0]?.apiKey}&sessionId=${encodeURIComponent(sessionId)}` +
          `&token=${encodeURIComponent(h.token(sessionId))}&caps=hologram,reply`,
      );
      expect((await raw.nextOf('welcome')).caps).toEqual(['reply']);
    });

    it('a client that declares nothing is granted nothing (welcome.caps is empty)', async () => {
      const old = await h.join(sessionId);
      expect(old.welcome.caps).toEqual([]);
      expect(JSON.parse(old.client.frames[0] as string)).toMatchObject({ t: 'welcome', caps: [] });
    });

    it('a time request gets a sequenced reply with the server clock, written before the ack that covers it', async () => {
      const { client } = await h.join(sessionId, { caps: ['reply'] });
      const before = Date.now();
      client.send({ t: 'time', s: 1 });
      const reply = await client.nextOf('reply');
      const after = Date.now();
      expect(reply.r).toBe(1);
      const now = (reply.data as { now: number }).now;
      expect(now).toBeGreaterThanOrEqual(before);
      expect(now).toBeLessThanOrEqual(after);
      const ack = await client.nextOf('ack');
      expect(ack.a).toBe(1);
      expect(client.messages.indexOf(ack)).toBeGreaterThan(client.messages.indexOf(reply));
      expect(client.received).toBe(1); // the reply took sequence number 1
    });

    it('a time request from a connection not granted "reply" closes it with 4002; the others see it leave', async () => {
      const { a, b, aId } = await h.pair(sessionId);
      a.client.send({ t: 'time', s: 1 });
      expect(await a.client.close()).toEqual({
        code: CloseCode.ProtocolError,
        reason: 'request type time needs capability reply',
      });
      expect(await b.client.nextOf('connectionDestroyed')).toEqual({
        t: 'connectionDestroyed',
        connectionId: aId,
        reason: 'networkDisconnected',
      });
    });

    it('a reply is replayed on resume like any sequenced message, and the grant survives the resume', async () => {
      const { client, welcome } = await h.join(sessionId, { caps: ['reply'] });
      client.send({ t: 'time', s: 1 });
      const first = await client.nextOf('reply');
      await client.nextOf('ack');
      client.drop();
      const resumed = h.resume(sessionId, welcome, 0);
      expect(await resumed.nextOf('resumed')).toMatchObject({ ack: 1, next: 1 });
      expect(await resumed.nextOf('reply')).toEqual(first);
      resumed.send({ t: 'time', s: 2 });
      expect((await resumed.nextOf('reply')).r).toBe(2);
    });
  });

  describe('an old client beside a newer one in the same session', () => {
    it('the old client (no caps) stays connected and correct while the new one gets replies', async () => {
      const old = await h.join(sessionId, { data: 'old' });
      const neu = await h.join(sessionId, { data: 'new', caps: ['reply'] });
      const newId = neu.welcome.connection.connectionId;
      const oldId = old.welcome.connection.connectionId;
      await old.client.nextOf('connectionCreated');

      // The new client interleaves requests answered by `reply` with broadcast signals.
      const N = 20;
      const frame: object[] = [];
      for (let i = 0; i < N; i++) {
        frame.push({ t: 'time', s: 2 * i + 1 }, { t: 'signal', s: 2 * i + 2, type: 'n', data: String(i) });
      }
      neu.client.send(...frame);
      await neu.client.until('every reply and the final ack', () => neu.client.all('ack').some((m) => m.a === 2 * N));
      expect(neu.client.all('reply').map((m) => m.r)).toEqual(Array.from({ length: N }, (_, i) => 2 * i + 1));

      // The old client got every signal, exactly once and in order, and nothing it does not know.
      await old.client.until(`${N} signals`, () => old.client.all('signal').length === N);
      expect(old.client.all('signal')).toEqual(
        Array.from({ length: N }, (_, i) => ({ t: 'signal', from: newId, type: 'n', data: String(i) })),
      );
      for (const t of typesSeen(old.client)) expect(V1_SERVER_MESSAGE_TYPES.has(t)).toBe(true);
      expect(typesSeen(neu.client).has('reply')).toBe(true);

      // ...and it still works: its acknowledgement is accepted and its own signal reaches the new client.
      old.client.ack();
      old.client.send({ t: 'signal', s: 1, data: 'from old' });
      expect(await neu.client.nextOf('signal', 3000, (m) => m.from === oldId)).toEqual({
        t: 'signal',
        from: oldId,
        data: 'from old',
      });
      expect((await old.client.nextOf('ack')).a).toBe(1);
      expect(old.client.closed).toBeUndefined();
      expect(neu.client.closed).toBeUndefined();
      for (const t of typesSeen(old.client)) expect(V1_SERVER_MESSAGE_TYPES.has(t)).toBe(true);
    });
  });
});
