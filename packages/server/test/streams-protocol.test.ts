/**
 * The `streams` capability on the raw wire (PROTOCOL.md §Streams): what the server enforces
 * whatever a client sends (roles, sizes, unknown streams and subscriptions, the negotiation
 * relay), and that a connection without the capability never sees a stream message.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUS_KINDS } from '@parley/testkit';
import { CloseCode, MAX_SDP_LENGTH, SessionErrorCode, type StreamInfo } from '@parley/protocol';
import { Harness } from './support/harness.js';

const CAPS = ['reply', 'streams'] as const;
const PUBLISH = { t: 'publish', name: 'n', hasAudio: true, hasVideo: true, videoType: 'camera' } as const;

describe.each(BUS_KINDS)('over the %s bus', (bus) => {
  let h: Harness;
  let sessionId: string;
  beforeEach(async () => {
    h = await Harness.start({ iceServers: [{ urls: 'stun:stun.example.com:3478' }] }, bus);
    sessionId = await h.session();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('welcome carries the media mode (routed without a forwarder falls back to relayed), the ICE servers and the streams present', async () => {
    const alice = await h.join(sessionId, { caps: CAPS });
    expect(alice.welcome).toMatchObject({
      mediaMode: 'relayed',
      streams: [],
      iceServers: [{ urls: 'stun:stun.example.com:3478' }],
    });
    alice.client.send({ ...PUBLISH, s: 1 });
    const stream = (await alice.client.nextOf('reply')).data as unknown as StreamInfo;
    expect(stream).toMatchObject({
      connectionId: alice.welcome.connection.connectionId,
      name: 'n',
      videoDimensions: { width: 0, height: 0 },
    });
    const bob = await h.join(sessionId, { caps: CAPS });
    expect(bob.welcome.streams).toEqual([stream]);
    const old = await h.join(sessionId);
    expect(old.welcome.streams).toBeUndefined();
    expect(old.welcome.mediaMode).toBeUndefined();
  });

  it('refuses by role on the server: 1500 publish (subscriber), 1501 subscribe (publisheronly), 1530 / 1540 moderation (publisher)', async () => {
    const viewer = await h.join(sessionId, { role: 'subscriber', caps: CAPS });
    viewer.client.send({ ...PUBLISH, s: 1 });
    expect((await viewer.client.nextOf('nack')).code).toBe(SessionErrorCode.UnableToPublish);
    const only = await h.join(sessionId, { role: 'publisheronly', caps: CAPS });
    only.client.send({ t: 'subscribe', s: 1, streamId: 'x', subscriberId: 'y' });
    expect((await only.client.nextOf('nack')).code).toBe(SessionErrorCode.UnableToSubscribe);
    const pub = await h.join(sessionId, { caps: CAPS });
    pub.client.send(
      { t: 'forceUnpublish', s: 1, streamId: 'x' },
      { t: 'forceMute', s: 2, streamId: 'x' },
      { t: 'forceMute', s: 3, excludedStreamIds: [] },
      { t: 'disableForceMute', s: 4 },
    );
    await pub.client.nextOf('ack', 3000, (a) => a.a === 4);
    const codes = pub.client.messages
      .filter((m) => m.t === 'nack')
      .map((m) => m as { r: number; code: number })
      .sort((x, y) => x.r - y.r)
      .map((m) => m.code);
    expect(codes).toEqual([
      SessionErrorCode.UnableToForceUnpublish,
      SessionErrorCode.UnableToForceMute,
      SessionErrorCode.UnableToForceMute,
      SessionErrorCode.UnableToForceMute,
    ]);
  });

  it('relays negotiation only between a stream and its subscriptions; unknown names and oversized SDP are refused, nobody else sees anything', async () => {
    const alice = await h.join(sessionId, { caps: CAPS });
    const bob = await h.join(sessionId, { caps: CAPS });
    const eve = await h.join(sessionId, { caps: CAPS });
    alice.client.send({ ...PUBLISH, s: 1 });
    const { streamId } = (await alice.client.nextOf('reply')).data as unknown as StreamInfo;
    await bob.client.nextOf('streamCreated');
    bob.client.send(
      { t: 'subscribe', s: 1, streamId, subscriberId: 'sub-1' },
      { t: 'media', s: 2, streamId, subscriberId: 'sub-1', sdp: { type: 'offer', sdp: 'v=0' } },
    );
    const offer = await alice.client.nextOf('media');
    expect(offer).toMatchObject({
      from: bob.welcome.connection.connectionId,
      streamId,
      subscriberId: 'sub-1',
      sdp: { type: 'offer' },
    });
    alice.client.send({
      t: 'media',
      s: 2,
      streamId,
      subscriberId: 'sub-1',
      candidate: { candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 0 },
    });
    expect(await bob.client.nextOf('media')).toMatchObject({
      from: alice.welcome.connection.connectionId,
      candidate: { candidate: 'candidate:1' },
    });

    eve.client.send(
      { t: 'media', s: 1, streamId, subscriberId: 'sub-1', sdp: { type: 'answer', sdp: 'v=0' } },
      { t: 'media', s: 2, streamId: 'nope', subscriberId: 'sub-1', sdp: { type: 'offer', sdp: 'v=0' } },
      {
        t: 'media',
        s: 3,
        streamId,
        subscriberId: 'sub-1',
        sdp: { type: 'offer', sdp: 'x'.repeat(MAX_SDP_LENGTH + 1) },
      },
      { t: 'media', s: 4, streamId, subscriberId: null, sdp: { type: 'offer', sdp: 'v=0' } },
    );
    await eve.client.nextOf('ack', 3000, (a) => a.a === 4);
    // Nacks are written as requests complete (a size refusal at once, the others after the bus): by r.
    const codes = eve.client.messages
      .filter((m) => m.t === 'nack')
      .map((m) => m as { r: number; code: number })
      .sort((x, y) => x.r - y.r)
      .map((m) => m.code);
    expect(codes).toEqual([
      SessionErrorCode.StreamNotFound,
      SessionErrorCode.StreamNotFound,
      SessionErrorCode.NullOrInvalidParameter,
      SessionErrorCode.StreamNotFound,
    ]);
    // Unsubscribing tells the publisher (its peer for sub-1 can go).
    bob.client.send({ t: 'unsubscribe', s: 3, streamId, subscriberId: 'sub-1' });
    expect(await alice.client.nextOf('subscriptionEnded')).toMatchObject({ streamId, subscriberId: 'sub-1' });
    expect(alice.client.messages.filter((m) => m.t === 'media')).toHaveLength(1);
  });

  it('a stream request from a connection not granted "streams" closes it with 4002; an old client never sees stream messages', async () => {
    const old = await h.join(sessionId);
    const alice = await h.join(sessionId, { caps: CAPS });
    alice.client.send({ ...PUBLISH, s: 1 }, { t: 'signal', s: 2, data: 'after' });
    await old.client.nextOf('signal');
    expect(old.client.messages.map((m) => m.t)).not.toContain('streamCreated');
    old.client.send({ ...PUBLISH, s: 1 });
    expect((await old.client.close()).code).toBe(CloseCode.ProtocolError);
  });
});
