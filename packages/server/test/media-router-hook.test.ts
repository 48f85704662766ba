/**
 * The MediaRouter seam (media/router-hook.ts) as the core drives it in a routed session: the
 * calls, their order, the request completing only when the router answers, a refusal undoing the
 * operation, and the forwarder's own steps reaching the client; in a Redis cluster, every call
 * reaching the session's forwarder node (media/cluster-router.ts) and that node's death. The
 * router here is a recording stand-in for the forwarder (which is tested on its own); what is
 * under test is the core.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TIMINGS, SessionErrorCode, type MediaPayload, type StreamInfo } from '@parley/protocol';
import type { MediaRouter, MediaRouterHost } from '@parley/server';
import { Harness } from './support/harness.js';

const CAPS = ['reply', 'streams'] as const;

class RecordingRouter implements MediaRouter {
  readonly calls: string[] = [];
  refusePublish = false;
  /** Subscriptions wait for ever (a forwarder that has not answered yet). */
  holdSubscribe = false;
  closed = 0;
  constructor(readonly host: MediaRouterHost) {}
  onPublish(_s: string, stream: StreamInfo): Promise<void> {
    this.calls.push(`publish ${stream.name}`);
    return this.refusePublish ? Promise.reject(new Error('no room')) : Promise.resolve();
  }
  onUnpublish(): Promise<void> {
    this.calls.push('unpublish');
    return Promise.resolve();
  }
  onSubscribe(_s: string, sub: { subscriberId: string }): Promise<void> {
    this.calls.push(`subscribe ${sub.subscriberId}`);
    return this.holdSubscribe ? new Promise<void>(() => undefined) : Promise.resolve();
  }
  onUnsubscribe(_s: string, sub: { subscriberId: string }): Promise<void> {
    this.calls.push(`unsubscribe ${sub.subscriberId}`);
    return Promise.resolve();
  }
  onNegotiation(sessionId: string, from: string, payload: MediaPayload): Promise<void> {
    this.calls.push(`media ${payload.subscriberId ?? 'upload'} ${payload.sdp?.type ?? 'candidate'}`);
    if (payload.sdp?.type === 'offer')
      this.host.send(sessionId, from, { ...payload, sdp: { type: 'answer', sdp: 'v=0 answer' } });
    return Promise.resolve();
  }
  onLeave(): Promise<void> {
    this.calls.push('leave');
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
}

describe('a routed session drives the media router', () => {
  let h: Harness;
  let router: RecordingRouter | undefined;
  let sessionId: string;
  beforeEach(async () => {
    h = await Harness.start({
      mediaRouter: (host) => (router = new RecordingRouter(host)),
    });
    sessionId = await h.session(); // the harness creates sessions routed
  });
  afterEach(async () => {
    await h.stop();
  });

  it('publish, upload, subscribe, negotiation and leave reach the router; its answers reach the client', async () => {
    const alice = await h.join(sessionId, { caps: CAPS });
    expect(alice.welcome.mediaMode).toBe('routed');
    alice.client.send({ t: 'publish', s: 1, name: 'cam', hasAudio: true, hasVideo: true, videoType: 'camera' });
    const { streamId } = (await alice.client.nextOf('reply')).data as unknown as StreamInfo;
    alice.client.send({ t: 'media', s: 2, streamId, subscriberId: null, sdp: { type: 'offer', sdp: 'v=0 up' } });
    expect(await alice.client.nextOf('media')).toMatchObject({
      from: null,
      subscriberId: null,
      sdp: { type: 'answer' },
    });

    const bob = await h.join(sessionId, { caps: CAPS });
    bob.client.send(
      { t: 'subscribe', s: 1, streamId, subscriberId: 's1' },
      { t: 'media', s: 2, streamId, subscriberId: 's1', sdp: { type: 'offer', sdp: 'v=0 down' } },
    );
    expect(await bob.client.nextOf('media')).toMatchObject({ from: null, subscriberId: 's1', sdp: { type: 'answer' } });
    // Relayed steps never reach the publisher in a routed session.
    expect(alice.client.messages.filter((m) => m.t === 'media')).toHaveLength(1);
    bob.client.send({ t: 'unsubscribe', s: 3, streamId, subscriberId: 's1' });
    await bob.client.nextOf('ack', 3000, (a) => a.a === 3);
    alice.client.send({ t: 'bye' });
    await bob.client.nextOf('connectionDestroyed');
    expect(router?.calls).toEqual([
      'publish cam',
      'media upload offer',
      'subscribe s1',
      'media s1 offer',
      'unsubscribe s1',
      'unpublish',
      'leave',
    ]);
  });

  it("a router's refusal is the request's nack (1500) and the stream is gone again", async () => {
    const alice = await h.join(sessionId, { caps: CAPS });
    const bob = await h.join(sessionId, { caps: CAPS });
    if (router) router.refusePublish = true;
    alice.client.send({ t: 'publish', s: 1, name: 'cam', hasAudio: true, hasVideo: true, videoType: 'camera' });
    const nack = await alice.client.nextOf('nack');
    expect(nack.code).toBe(SessionErrorCode.UnableToPublish);
    expect(nack.message).toContain('no room');
    await bob.client.nextOf('streamDestroyed');
    const late = await h.join(sessionId, { caps: CAPS });
    expect(late.welcome.streams).toEqual([]);
  });

  it('closes the router once when the server stops', async () => {
    await h.stop();
    await h.stop();
    expect(router?.closed).toBe(1);
  });
});

describe('in a Redis cluster, every call reaches the routed session forwarder node', () => {
  let h: Harness;
  const routers: RecordingRouter[] = [];
  let sessionId: string;
  beforeEach(async () => {
    routers.length = 0;
    // One router per node, in node order (the nodes are created one after another).
    h = await Harness.start(
      {
        mediaRouter: (host) => {
          const router = new RecordingRouter(host);
          routers.push(router);
          return router;
        },
        // A dead node's members are parked for their window before they leave: a short one.
        timings: { ...DEFAULT_TIMINGS, reconnectWindow: 2_000 },
      },
      'redis',
      undefined,
      { leaseTtlMs: 1_500, renewEveryMs: 250 }, // a dead node is noticed within about two seconds
    );
    sessionId = await h.session();
  });
  afterEach(async () => {
    await h.stop();
  });

  it("calls from the other nodes run on the first publisher's node; its answers and refusals reach their clients", async () => {
    const alice = await h.join(sessionId, { caps: CAPS }); // node 0: its publish elects node 0
    const bob = await h.join(sessionId, { caps: CAPS }); // node 1
    const carol = await h.join(sessionId, { caps: CAPS }); // node 2
    alice.client.send({ t: 'publish', s: 1, name: 'cam', hasAudio: true, hasVideo: true, videoType: 'camera' });
    const { streamId } = (await alice.client.nextOf('reply')).data as unknown as StreamInfo;
    bob.client.send(
      { t: 'subscribe', s: 1, streamId, subscriberId: 's1' },
      { t: 'media', s: 2, streamId, subscriberId: 's1', sdp: { type: 'offer', sdp: 'v=0 down' } },
    );
    // The answer of node 0's router reaches bob on node 1 (through the bus), before his ack.
    expect(await bob.client.nextOf('media')).toMatchObject({ from: null, subscriberId: 's1', sdp: { type: 'answer' } });
    await bob.client.nextOf('ack', 5000, (a) => a.a === 2);
    // Carol (node 2) publishes: node 0's router refuses, carol gets the nack, everyone sees the stream go.
    const router = routers[0] as RecordingRouter;
    router.refusePublish = true;
    carol.client.send({ t: 'publish', s: 1, name: 'screen', hasAudio: true, hasVideo: true, videoType: 'screen' });
    const nack = await carol.client.nextOf('nack', 5000);
    expect(nack).toMatchObject({ code: SessionErrorCode.UnableToPublish });
    expect(nack.message).toContain('no room');
    await bob.client.nextOf('streamDestroyed', 5000);
    // Bob (node 1) leaves: node 0's router hears it.
    bob.client.send({ t: 'bye' });
    await alice.client.nextOf('connectionDestroyed', 5000);
    await alice.client.until('the leave reached the router', () => router.calls.includes('leave'), 5000);
    // The refused stream's end reaches it once (from the bus), though three nodes saw it.
    expect(router.calls).toEqual([
      'publish cam',
      'subscribe s1',
      'media s1 offer',
      'publish screen',
      'unpublish',
      'leave',
    ]);
    expect(routers.slice(1).map((r) => r.calls)).toEqual([[], []]);
  });

  it("a routed request is done for a rebuild only once the forwarder answered it: the client's node dies meanwhile, and the rebuilt connection has not processed it", async () => {
    const alice = await h.join(sessionId, { caps: CAPS }); // node 0: the forwarder
    const bob = await h.join(sessionId, { caps: CAPS }); // node 1: will die
    alice.client.send({ t: 'publish', s: 1, name: 'cam', hasAudio: true, hasVideo: true, videoType: 'camera' });
    const { streamId } = (await alice.client.nextOf('reply')).data as unknown as StreamInfo;
    const forwarder = routers[0] as RecordingRouter;
    // Request 1, answered: acknowledged.
    bob.client.send({ t: 'subscribe', s: 1, streamId, subscriberId: 's1' });
    await bob.client.nextOf('ack', 5000, (a) => a.a === 1);
    // Request 2 reaches the forwarder (its script ran), which does not answer before bob's node dies.
    forwarder.holdSubscribe = true;
    bob.client.send({ t: 'subscribe', s: 2, streamId, subscriberId: 's2' });
    await bob.client.until('the forwarder has the call', () => forwarder.calls.includes('subscribe s2'), 5000);
    h.nodes.redisBuses[1]?.crash();
    bob.client.ws.terminate();
    const back = h.resume(sessionId, bob.welcome, bob.client.received, undefined, h.nodes.servers[2]);
    // Request 1 is done, request 2 is not: the client sends it again instead of taking it as done.
    expect((await back.nextOf('resumed', 10_000)).ack).toBe(1);
  });

  it("a forwarder node that dies ends the session's routed streams (also those of other nodes); the next publish elects another node", async () => {
    const alice = await h.join(sessionId, { caps: CAPS }); // node 0: the forwarder, will die
    const bob = await h.join(sessionId, { caps: CAPS }); // node 1
    const PUB = { t: 'publish', hasAudio: true, hasVideo: true, videoType: 'camera' } as const;
    alice.client.send({ ...PUB, s: 1, name: 'a' });
    await alice.client.nextOf('reply', 5000);
    bob.client.send({ ...PUB, s: 1, name: 'b' });
    const mine = (await bob.client.nextOf('reply', 5000)).data as unknown as StreamInfo;
    expect((routers[0] as RecordingRouter).calls).toEqual(['publish a', 'publish b']);

    h.nodes.redisBuses[0]?.crash();
    await bob.client.until('alice gone', () => bob.client.all('connectionDestroyed').length > 0, 10_000);
    // Bob's stream ended with his forwarder (its media went through node 0), before anything of node 0's members.
    const ends = bob.client.messages.filter((m) => m.t === 'streamDestroyed' || m.t === 'connectionDestroyed');
    expect(ends[0]).toMatchObject({ t: 'streamDestroyed', reason: 'networkDisconnected' });
    expect(ends.filter((m) => m.t === 'streamDestroyed').map((m) => m.streamId)).toContain(mine.streamId);
    expect(ends.at(-1)).toMatchObject({ t: 'connectionDestroyed', reason: 'networkDisconnected' });
    bob.client.send({ ...PUB, s: 2, name: 'again' });
    await bob.client.nextOf('reply', 5000, (m) => m.r === 2);
    expect((routers[1] as RecordingRouter).calls).toContain('publish again');
  });
});
