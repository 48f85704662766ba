/**
 * ForwarderMediaRouter's bookkeeping against a stand-in forwarder whose worker answers when the
 * test says so: a stream is known from the moment onPublish is called, so a subscription that
 * arrives while the worker is still making the session's router is accepted (the others get
 * streamCreated before the worker has answered), and a router the worker could not make leaves
 * nothing behind.
 */
import { describe, expect, it } from 'vitest';
import type { StreamInfo } from '@parley/protocol';
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
    const router = new ForwarderMediaRouter(HOST, () => forwarder);
    const published = router.onPublish('s1', STREAM);
    settle(new Error('worker gone'));
    await expect(published).rejects.toThrow('worker gone');
    await expect(router.onSubscribe('s1', SUB)).rejects.toThrow('is not in the forwarder');
  });
});
