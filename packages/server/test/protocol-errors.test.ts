import { MAX_CLIENT_FRAME_BYTES } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUS_KINDS } from '@parley/testkit';
import { Harness } from './support/harness.js';

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

  async function victimAndBystander() {
    const bad = await h.join(sessionId);
    const ok = await h.join(sessionId);
    await bad.client.nextOf('connectionCreated');
    return { bad, ok };
  }

  /** The bystander is unaffected: it sees the offender leave and can still signal. */
  async function bystanderUnaffected(ok: Awaited<ReturnType<typeof h.join>>, badId: string) {
    expect(await ok.client.nextOf('connectionDestroyed')).toMatchObject({ connectionId: badId });
    ok.client.send({ t: 'signal', s: 1, data: 'still here' });
    expect((await ok.client.nextOf('signal')).data).toBe('still here');
    expect(ok.client.closed).toBeUndefined();
  }

  describe('malformed input closes only the offender', () => {
    for (const [name, frame, reason] of [
      ['a frame that is not JSON', '{nope', /not JSON/],
      ['a message that is not an object', '[1,2]', /not a JSON object/],
      ['an unknown message type', '{"t":"hello"}', /unknown message type/],
      ['a field of the wrong type', '{"t":"signal","s":"one"}', /"s"/],
      [
        'more than 256 messages in a frame',
        Array.from({ length: 257 }, () => '{"t":"ack","a":0}').join('\n'),
        /257 messages/,
      ],
    ] as const) {
      it(`${name} → 4002 with a reason`, async () => {
        const { bad, ok } = await victimAndBystander();
        bad.client.send(frame);
        expect(await bad.client.close()).toMatchObject({ code: 4002, reason: expect.stringMatching(reason) as string });
        await bystanderUnaffected(ok, bad.welcome.connection.connectionId);
      });
    }

    it('a binary frame → 4002', async () => {
      const { bad, ok } = await victimAndBystander();
      bad.client.ws.send(Buffer.from('{"t":"ping","a":0}'));
      expect(await bad.client.close()).toMatchObject({ code: 4002, reason: 'binary frames are not allowed' });
      await bystanderUnaffected(ok, bad.welcome.connection.connectionId);
    });

    it('a frame over 256 KiB → 1009 (and the connection may resume)', async () => {
      const { bad, ok } = await victimAndBystander();
      bad.client.send({ t: 'signal', s: 1, data: 'x'.repeat(MAX_CLIENT_FRAME_BYTES) });
      expect((await bad.client.close()).code).toBe(1009);
      expect(await ok.client.nextOf('connectionReconnecting')).toMatchObject({
        connectionId: bad.welcome.connection.connectionId,
      });
      const resumed = h.resume(sessionId, bad.welcome, 0);
      expect(await resumed.nextOf('resumed')).toMatchObject({ ack: 0, next: 1 });
    });
  });
});
