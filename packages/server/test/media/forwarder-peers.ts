/**
 * Helpers of the forwarder tests: synthetic werift peers (../../src/media/synthetic) connected
 * to a forwarder of either implementation, one at a time, and waits on their counters.
 */
import { afterEach, expect } from 'vitest';
import { createForwarder, type ForwarderEvent, type ForwarderImpl, type MediaForwarder } from '@parley/server';
import { SyntheticPublisher, SyntheticSubscriber } from '@parley/server/media-peers';
import { waitFor } from '@parley/testkit';

export const DEADLINE = 15_000;

/** Test-scoped cleanups, run in reverse by the caller's afterEach. */
export type Cleanups = (() => Promise<unknown>)[];

function forwarderOf(impl: ForwarderImpl, cleanup: Cleanups): ReturnType<typeof createForwarder> {
  const f = createForwarder({ impl, testHooks: true });
  cleanup.push(() => f.close());
  return f;
}

/**
 * The set-up of a test file of one forwarder implementation: its cleanups (run, last first,
 * after each test) and a way to start a forwarder (with test hooks) that they close.
 */
export function forwarderSuite(impl: ForwarderImpl): {
  cleanup: Cleanups;
  forwarder: () => ReturnType<typeof createForwarder>;
} {
  const cleanup: Cleanups = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
  });
  return { cleanup, forwarder: () => forwarderOf(impl, cleanup) };
}

export function eventOf(
  f: MediaForwarder,
  pred: (e: ForwarderEvent) => boolean,
  label: string,
): Promise<ForwarderEvent> {
  return waitFor<ForwarderEvent>(
    (resolve) =>
      f.onEvent((e) => {
        if (pred(e)) resolve(e);
      }),
    DEADLINE,
    label,
  );
}

/**
 * Resolves when the forwarder reports the transport connected. The helpers below connect one peer
 * at a time: werift's DTLS client (the synthetic peers') can break its own handshake when a
 * retransmission crosses it on a very busy machine; browsers' DTLS stacks do not.
 */
export function connected(f: MediaForwarder, transportId: string): Promise<ForwarderEvent> {
  return eventOf(
    f,
    (e) => e.type === 'transport-state' && e.transportId === transportId && e.state === 'connected',
    `transport ${transportId} connected`,
  );
}

export async function publisher(
  f: MediaForwarder,
  cleanup: Cleanups,
  routerId: string,
  transportId = 'pub',
): Promise<{ pub: SyntheticPublisher; producerIds: string[] }> {
  const pub = new SyntheticPublisher();
  cleanup.push(() => pub.close());
  const up = connected(f, transportId);
  const { answer, producers } = await f.publish(routerId, transportId, await pub.offer());
  await pub.accept(answer);
  await up;
  // Only its first frame is a key frame: a key frame that comes by itself serves (and drops) a
  // request waiting for the end of the forwarder's gap, and the tests count the requests.
  pub.start({ videoBps: 300_000, keyFrameEvery: 1_000_000 });
  expect(producers.map((p) => p.kind).sort()).toEqual(['audio', 'video']);
  return { pub, producerIds: producers.map((p) => p.producerId) };
}

export async function subscriber(
  f: MediaForwarder,
  cleanup: Cleanups,
  routerId: string,
  transportId: string,
  producerIds: string[],
): Promise<{ sub: SyntheticSubscriber; consumerIds: string[] }> {
  const sub = new SyntheticSubscriber();
  cleanup.push(() => sub.close());
  const up = connected(f, transportId);
  const { answer, consumers } = await f.subscribe(routerId, transportId, producerIds, await sub.offer());
  await sub.accept(answer);
  await up;
  return { sub, consumerIds: consumers.map((c) => c.consumerId) };
}

export function packets(sub: SyntheticSubscriber, kind: 'audio' | 'video', n: number): Promise<void> {
  return waitFor(
    (resolve) => {
      if (sub.received[kind].packets >= n) resolve();
      return sub.onPacket(() => {
        if (sub.received[kind].packets >= n) resolve();
      });
    },
    DEADLINE,
    () => `${n} ${kind} packets (got ${sub.received[kind].packets})`,
  );
}

/** Resolves once the publisher has received `n` PLIs. */
export function plis(pub: SyntheticPublisher, n: number): Promise<void> {
  return waitFor(
    (resolve) => {
      if (pub.pliCount >= n) resolve();
      return pub.video.sender.onPictureLossIndication.subscribe(() => {
        if (pub.pliCount >= n) resolve();
      }).unSubscribe;
    },
    DEADLINE,
    () => `${n} PLIs at the publisher (got ${pub.pliCount})`,
  );
}
