/**
 * The probes: `/healthz` answers while the process serves; `/readyz` is 200 when ready, 503 with a
 * JSON reason while draining (through `drainDelay`, while connected clients are still served) and
 * while the session bus reports itself not ready (`SessionBus.health`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '@parley/protocol';
import { InMemoryBus, type BusHealth } from '@parley/server';
import { Harness } from './support/harness.js';

async function probe(url: string): Promise<{ status: number; body: unknown; cache: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json(), cache: res.headers.get('cache-control') };
}

/** An in-memory bus whose readiness the test sets, as a Redis bus reports an unreachable Redis. */
class ProbedBus extends InMemoryBus {
  state: BusHealth = { ready: true };
  health(): BusHealth {
    return this.state;
  }
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('/healthz and /readyz', () => {
  it('both 200 while serving; /readyz turns 503 "draining" as soon as close() starts, members still served through drainDelay, then closed', async () => {
    h = await Harness.start({ drainDelay: 3000 });
    const base = h.server.url;
    expect(await probe(`${base}/healthz`)).toEqual({ status: 200, body: { status: 'ok' }, cache: 'no-store' });
    expect(await probe(`${base}/readyz`)).toEqual({ status: 200, body: { status: 'ready' }, cache: 'no-store' });
    const sessionId = await h.session();
    const { a, b, bId } = await h.pair(sessionId);

    const closing = h.server.close();
    const ready = await probe(`${base}/readyz`);
    expect(ready).toEqual({
      status: 503,
      body: { message: 'not ready: draining', reason: 'draining' },
      cache: 'no-store',
    });
    expect((await probe(`${base}/healthz`)).status).toBe(200);
    // Still serving during the delay: a signal goes through.
    a.client.send({ t: 'signal', s: 1, type: 'during', data: 'x', to: bId });
    await b.client.nextOf('signal');
    expect(a.client.closed).toBeUndefined();
    // Then the drain itself: the member is closed with 4013 and the listener goes away.
    await closing;
    expect((await a.client.close()).code).toBe(CloseCode.ServerShutdown);
    await expect(fetch(`${base}/readyz`)).rejects.toThrow();
  });

  it('a drain without delay: the clients are closed with 4013 and the probes stop with the listener', async () => {
    h = await Harness.start();
    const sessionId = await h.session();
    const { a } = await h.pair(sessionId);
    await h.server.close();
    const closed = await a.client.close();
    expect(closed.code).toBe(CloseCode.ServerShutdown);
    await expect(fetch(`${h.server.url}/readyz`)).rejects.toThrow();
  });

  it("503 with the bus's reason while the bus is not ready, 200 again once it is", async () => {
    const bus = new ProbedBus();
    h = await Harness.start({ bus });
    const base = h.server.url;
    expect((await probe(`${base}/readyz`)).status).toBe(200);
    bus.state = { ready: false, reason: 'redis unreachable' };
    expect(await probe(`${base}/readyz`)).toMatchObject({
      status: 503,
      body: {
        message: 'not ready: session bus not ready: redis unreachable',
        reason: 'session bus not ready: redis unreachable',
      },
    });
    expect((await probe(`${base}/healthz`)).status).toBe(200);
    bus.state = { ready: true };
    expect(await probe(`${base}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready' } });
  });
});
