/**
 * ForwarderMediaRouter's bookkeeping against a stand-in forwarder whose worker answers when the
 * test says so: a stream is known from the moment onPublish is called, so a subscription that
 * arrives while the worker is still making the session's router is accepted (the others get
 * streamCreated before the worker has answered), and a router the worker could not make leaves
 * nothing behind. A subscription that arrives before its stream's onPublish waits for it (in a
 * cluster the subscriber's node may call first, and may even elect the forwarder node: the
 * ClusterMediaRouter case below, over an in-memory stand-in for the Redis node channels).
 */
import { describe, expect, it } from 'vitest';
import type { StreamInfo } from '@parley/protocol';
import { ClusterMediaRouter, type ForwarderChannel, type ForwarderMessage } from '../../src/media/cluster-router.js';
import { ForwarderMediaRouter } from '../../src/media/forwarder-router.js';
import type { MediaRouterHost } from '../../src/media/router-hook.js';
import type { MediaForwarder } from '../../src/media/types.js';

/** A forwarder whose createRouter answers only when the test settles it. */
function slowForwarder(): { forwarder: MediaForwarder; settle: (error?: Error) => void } {
  let settle: (error?: Error) => void = () => undefined;
  const forwarder = {
    onEvent: () => () => undefined,
    createRouter: () =>
      new Promise<void>((resolve, reject) => {
        settle = (error) => {
          if (error === undefined) resolve();
          else reject(error);
        };
      }),
  } as unknown as MediaForwarder;
  return {
    forwarder,
    settle: (error) => {
      settle(error);
    },
  };
}

/** A forwarder whose worker makes routers at once. */
const readyForwarder = (): MediaForwarder =>
  ({ onEvent: () => () => undefined, createRouter: () => Promise.resolve() }) as unknown as MediaForwarder;

/**
 * Node channels with the Redis script's rule (bus/redis-stream-script.ts forwarderCall): the
 * first call that may elect makes its node the forwarder node; calls for it travel there.
 */
function nodeChannels(): (nodeId: string) => ForwarderChannel {
  let forwarderNode: string | undefined;
  const listeners = new Map<string, (m: ForwarderMessage) => void>();
  const post = (node: string, message: string): void => {
    queueMicrotask(() => listeners.get(node)?.(JSON.parse(message) as ForwarderMessage));
  };
  return (nodeId) => ({
    nodeId,
    call: (_sessionId, elect, request) => {
      if (forwarderNode === undefined && !elect) return Promise.resolve('none');
      forwarderNode ??= nodeId;
      if (forwarderNode === nodeId) return Promise.resolve('here');
      post(forwarderNode, request);
      return Promise.resolve('sent');
    },
    send: post,
    listen: (handler) => listeners.set(nodeId, handler),
  });
}

const HOST = { send: () => undefined } as unknown as MediaRouterHost;
const STREAM = { streamId: 'st1', connectionId: 'pub' } as StreamInfo;
const SUB = { streamId: 'st1', subscriberId: 'sub1', connectionId: 'viewer' };

describe('ForwarderMediaRouter', () => {
  it('accepts a subscription that arrives while the worker is still making the session router', async () => {
    const { forwarder, settle } = slowForwarder();
    const router = new ForwarderMediaRouter(HOST, () => forwarder);
    const published = router.onPublish('s1', STREAM);
    await expect(router.onSubscribe('s1', SUB)).resolves.toBeUndefined();
    settle();
    await expect(published).resolves.toBeUndefined();
  });

  it('a router the worker could not make: the publish fails and the stream is not there to subscribe to', async () => {
    const { forwarder, settle } = slowForwarder();
    const router = new ForwarderMediaRouter(HOST, () => forwarder, 50);
    const published = router.onPublish('s1', STREAM);
    settle(new Error('worker gone'));
    await expect(published).rejects.toThrow('worker gone');
    await expect(router.onSubscribe('s1', SUB)).rejects.toThrow('is not in the forwarder');
  });

  it('a subscription that arrives before its stream waits for it, and is refused when the stream never comes', async () => {
    const router = new ForwarderMediaRouter(HOST, readyForwarder, 50);
    const early = router.onSubscribe('s1', SUB);
    await router.onPublish('s1', STREAM);
    await expect(early).resolves.toBeUndefined();
    await expect(router.onSubscribe('s1', { ...SUB, streamId: 'never' })).rejects.toThrow(
      'stream never is not in the forwarder',
    );
  });

  it("in a cluster, a subscriber's node that calls before the publisher's node elects the forwarder node; the publish follows it there", async () => {
    const channel = nodeChannels();
    const locals = [0, 1].map(() => new ForwarderMediaRouter(HOST, readyForwarder, 50));
    const [publisherNode, subscriberNode] = locals.map((local, i) => new ClusterMediaRouter(local, channel(`n${i}`)));
    const subscribed = subscriberNode?.onSubscribe('s1', SUB);
    await publisherNode?.onPublish('s1', STREAM);
    await expect(subscribed).resolves.toBeUndefined();
    // Both calls ran on the subscriber's node: its router has the stream, the publisher's has not.
    await expect(locals[1]?.onSubscribe('s1', { ...SUB, subscriberId: 'sub2' })).resolves.toBeUndefined();
    await expect(locals[0]?.onSubscribe('s1', SUB)).rejects.toThrow('is not in the forwarder');
  });
});
