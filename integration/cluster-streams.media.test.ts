/**
 * Real media across the nodes of a Redis cluster (issues 11 and 13): two nodes in this process
 * (`createServer({ redis })`, each its own Redis bus and store handle) on a private redis-server;
 * Node clients (`@roamhq/wrtc`, real VP8) publish on one node and subscribe on the other.
 * Relayed: the negotiation crosses the bus, media goes between the clients. Routed: every stream
 * of the session goes through the forwarder of one node (the node of its first routed publish),
 * also a stream published on the other node; the other node's forwarder stays empty (each node has
 * its own media address, so the clients of the other node reach the forwarder's). Loopback-only
 * network namespace:
 *
 *   unshare -n sh -c 'ip link set lo up && PARLEY_TEST_TIER=media npx vitest run integration/cluster-streams.media.test.ts'
 */
import { describe, expect, it } from 'vitest';
import { Publisher, type Session, type Subscriber } from '@parley/client';
import {
  createForwarder,
  createServer,
  ForwarderMediaRouter,
  type MediaForwarder,
  type ParleyServer,
} from '@parley/server';
import { nextEmitted, nextEvent, testRedis, waitFor } from '@parley/testkit';
import {
  cameraTrack,
  cleanupsAfterEach,
  decoded as decodedWith,
  sessionOf,
  subscriberEvents as events,
} from './support/wrtc-media.js';

const T = 20_000;
const PROJECT = { apiKey: '100002', apiSecret: 'cluster-media-secret-1' };
const cleanups = cleanupsAfterEach();
const camera = (): MediaStreamTrack => cameraTrack(cleanups);
const decoded = (s: Subscriber, n: number): Promise<void> => decodedWith(s, n, cleanups, T);

/** Node i's media address: its forwarder binds it and announces it in its ICE candidates. */
const mediaAddress = (i: number): string => `127.0.0.${2 + i}`;

interface Node {
  readonly server: ParleyServer;
  router(): ForwarderMediaRouter;
  forwarder(): MediaForwarder;
  /** The SDP answers this node's forwarder sent (to clients of any node). */
  readonly answers: string[];
}

/** Two nodes of one cluster, each with its own forwarder; a session of the given media mode. */
async function start(mediaMode: 'relayed' | 'routed'): Promise<{
  readonly nodes: readonly [Node, Node];
  readonly join: (node: Node) => Promise<Session>;
}> {
  const { url } = await testRedis();
  const nodes: Node[] = [];
  for (let i = 0; i < 2; i++) {
    let router: ForwarderMediaRouter | undefined;
    let forwarder: MediaForwarder | undefined;
    const answers: string[] = [];
    const server = await createServer({
      port: 0,
      redis: url,
      projects: [PROJECT],
      mediaRouter: (host) =>
        (router = new ForwarderMediaRouter(
          {
            ...host,
            send: (sessionId, connectionId, payload) => {
              if (payload.sdp?.type === 'answer') answers.push(payload.sdp.sdp);
              host.send(sessionId, connectionId, payload);
            },
          },
          () => {
            // Each node its own media address (127.0.0.2, .3: loopback), as on separate machines.
            forwarder = createForwarder({ mediaAddress: mediaAddress(i) });
            return forwarder;
          },
        )),
    });
    cleanups.push(() => server.close());
    nodes.push({
      server,
      answers,
      router: () => {
        if (router === undefined) throw new Error('no media router');
        return router;
      },
      forwarder: () => {
        if (forwarder === undefined) throw new Error('no forwarder yet');
        return forwarder;
      },
    });
  }
  const [a, b] = nodes as [Node, Node];
  const join = await sessionOf(PROJECT, a.server.url, mediaMode, cleanups);
  return { nodes: [a, b], join: (node) => join(node.server.url) };
}

describe('media across two nodes of a Redis cluster (wrtc clients)', () => {
  it('relayed: a publisher on node A, a subscriber on node B decodes its frames', async () => {
    const { nodes, join } = await start('relayed');
    const alice = await join(nodes[0]);
    const bob = await join(nodes[1]);
    expect(bob.mediaMode).toBe('relayed');
    const created = nextEvent(bob, 'streamCreated', T);
    await alice.publish(new Publisher(undefined, { videoTrack: camera(), publishAudio: false }));
    const sub = bob.subscribe((await created).stream);
    await nextEmitted(events(sub), 'connected', T);
    await decoded(sub, 10);
    // Nothing went through a forwarder.
    for (const node of nodes) expect((await node.router().stats()).transports).toBe(0);
  });

  it("routed: streams published on either node go through the first publisher's node; its subscriber on the other node decodes both", async () => {
    const { nodes, join } = await start('routed');
    const [a, b] = nodes;
    const alice = await join(a);
    const bob = await join(b);
    const carol = await join(b);
    expect(carol.mediaMode).toBe('routed');
    const first = nextEvent(carol, 'streamCreated', T);
    await alice.publish(new Publisher(undefined, { name: 'a', videoTrack: camera(), publishAudio: false }));
    const fromAlice = (await first).stream;
    const second = nextEvent(carol, 'streamCreated', T);
    const bobs = new Publisher(undefined, { name: 'b', videoTrack: camera(), publishAudio: false });
    await bob.publish(bobs);
    const fromBob = (await second).stream;
    const subs = [carol.subscribe(fromAlice), carol.subscribe(fromBob)];
    await Promise.all(subs.map((s) => nextEmitted(events(s), 'connected', T)));
    await Promise.all(subs.map((s) => decoded(s, 10)));
    // Node A forwards both streams (two uploads, two subscriptions); node B's forwarder is empty.
    expect(await a.router().stats()).toMatchObject({ routers: 1, transports: 4, producers: 2, consumers: 2 });
    expect(await b.router().stats()).toMatchObject({ routers: 0, transports: 0, producers: 0, consumers: 0 });
    // Every answer (to alice on A, to bob and carol on B) came from A's forwarder and names A's address.
    expect(a.answers).toHaveLength(4);
    for (const sdp of a.answers) {
      expect(sdp).toMatch(new RegExp(`a=candidate:.* ${mediaAddress(0).replaceAll('.', '\\.')} `));
      expect(sdp).not.toContain(mediaAddress(1));
    }
    expect(b.answers).toEqual([]);

    // Bob (node B) unpublishes: node A's forwarder closes his upload and carol's subscription.
    const destroyed = nextEmitted<{ reason: string }>(events(subs[1] as Subscriber), 'destroyed', T);
    let closed = 0;
    const bothClosed = waitFor(
      (resolve) =>
        a.forwarder().onEvent((e) => {
          if (e.type === 'transport-closed' && ++closed === 2) resolve();
        }),
      T,
      () => `bob's upload and carol's subscription closed on node A (${closed} of 2)`,
    );
    await bob.unpublish(bobs);
    expect((await destroyed).reason).toBe('clientDisconnected');
    await bothClosed;
    expect(await a.router().stats()).toMatchObject({ routers: 1, transports: 2, producers: 1, consumers: 1 });
    await decoded(subs[0] as Subscriber, 5); // carol still decodes alice
  });

  it("routed: when the forwarder's node leaves, the session's streams end (networkDisconnected) and the next publish elects another node", async () => {
    const { nodes, join } = await start('routed');
    const [a, b] = nodes;
    const alice = await join(a);
    const bob = await join(b);
    const carol = await join(b);
    const first = nextEvent(carol, 'streamCreated', T);
    await alice.publish(new Publisher(undefined, { videoTrack: camera(), publishAudio: false })); // forwarder: node A
    await first;
    const second = nextEvent(carol, 'streamCreated', T);
    await bob.publish(new Publisher(undefined, { videoTrack: camera(), publishAudio: false }));
    const fromBob = (await second).stream;
    const firstSub = carol.subscribe(fromBob);
    await nextEmitted(events(firstSub), 'connected', T);
    await decoded(firstSub, 5);
    // Node A goes (its clients drain; its forwarder with it): bob's stream, though bob is on node B, ends.
    const ended = nextEvent(carol, 'streamDestroyed', T, (e) => e.stream.streamId === fromBob.streamId);
    await a.server.close();
    expect((await ended).reason).toBe('networkDisconnected');
    // The next routed publish elects node B, whose forwarder carries it.
    const third = nextEvent(carol, 'streamCreated', T);
    await bob.publish(new Publisher(undefined, { videoTrack: camera(), publishAudio: false }));
    const sub = carol.subscribe((await third).stream);
    await nextEmitted(events(sub), 'connected', T);
    await decoded(sub, 5);
    expect(await b.router().stats()).toMatchObject({ routers: 1, transports: 2, producers: 1, consumers: 1 });
  });
});
