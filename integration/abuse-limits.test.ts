/**
 * Every abuse limit of docs/OPERATIONS.md §Abuse limits, hit end to end: what the offender gets,
 * and that two well-behaved SDK clients in the same session keep exchanging signals before,
 * during and after. The offender speaks raw WebSocket from a forwarded address (`trustProxy: 1`,
 * `X-Forwarded-For`): the SDK clients come from loopback, which the defaults leave unlimited.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '@parley/protocol';
import { mintRestJwt } from '@parley/server-sdk';
import { waitFor } from '@parley/testkit';
import { API_KEY, API_SECRET, SHORT_TIMINGS, startHarness, type Client, type Harness } from './harness.js';
import { closeRaw, rawJoin, roundTrip, type Upgrade } from './support/guard.js';
import { T } from './support-opentok.js';

const OFFENDER = { 'X-Forwarded-For': '203.0.113.9' };

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

async function setUp(extra: Parameters<typeof startHarness>[0]): Promise<{ h: Harness; alice: Client; bob: Client }> {
  h = await startHarness({ trustProxy: 1, ...extra });
  const alice = await h.client({ data: 'alice' });
  const bob = await h.client({ data: 'bob' });
  await roundTrip(alice, bob, 'before');
  return { h, alice, bob };
}

function opened(u: Upgrade) {
  if (u.kind !== 'open') throw new Error(`refused with ${u.status}: ${JSON.stringify(u.body)}`);
  return u.ws;
}

function refused(u: Upgrade) {
  if (u.kind !== 'refused') throw new Error('the upgrade was accepted');
  return u;
}

describe('per-address connection rate (connectionLimits.perIpBurst / perIpPerSecond)', () => {
  it('past the burst: 429 with a JSON message and Retry-After; the others keep signalling', async () => {
    const env = await setUp({ connectionLimits: { perIpBurst: 3, perIpPerSecond: 0.01 } });
    const admitted = [];
    for (let i = 0; i < 3; i++) admitted.push(opened(await rawJoin(env.h, OFFENDER)));
    const over = refused(await rawJoin(env.h, OFFENDER));
    expect(over.status).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(over.body).toEqual({ message: expect.stringMatching(/too many new connections from this address/) });
    // Another address is not affected by this one's bucket.
    const other = opened(await rawJoin(env.h, { 'X-Forwarded-For': '198.51.100.4' }));
    await roundTrip(env.alice, env.bob, 'after');
    for (const ws of [...admitted, other]) await closeRaw(ws);
    await roundTrip(env.alice, env.bob, 'later');
  });
});

describe('per-address open connections (connectionLimits.perIpMax)', () => {
  it('one more than the cap: 429; a slot frees when one of its sockets closes; the others keep signalling', async () => {
    const env = await setUp({ connectionLimits: { perIpMax: 2, perIpBurst: 100 } });
    const first = opened(await rawJoin(env.h, OFFENDER));
    const second = opened(await rawJoin(env.h, OFFENDER));
    const over = refused(await rawJoin(env.h, OFFENDER));
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ message: 'too many open connections from this address (at most 2)' });
    await roundTrip(env.alice, env.bob, 'during');
    await closeRaw(first);
    // The server sees the close a moment later: retry until the slot is free (each refusal is a 429).
    const third = await waitFor<Upgrade & { kind: 'open' }>(
      (resolve, reject) => {
        let stop = false;
        const attempt = async (): Promise<void> => {
          while (!stop) {
            const u = await rawJoin(env.h, OFFENDER);
            if (u.kind === 'open') return resolve(u);
            expect(u.status).toBe(429);
          }
        };
        attempt().catch(reject);
        return () => (stop = true);
      },
      T,
      'a free slot after a close',
    );
    await roundTrip(env.alice, env.bob, 'after');
    await closeRaw(second);
    await closeRaw(third.ws);
  });
});

describe('Origin allow-list (allowedOrigins)', () => {
  it('another origin gets 403; a listed origin and a client without Origin connect', async () => {
    const env = await setUp({ allowedOrigins: ['https://app.example.com'] });
    const evil = refused(await rawJoin(env.h, { Origin: 'https://evil.example' }));
    expect(evil.status).toBe(403);
    expect(evil.body).toEqual({ message: 'origin https://evil.example is not allowed to connect' });
    const good = opened(await rawJoin(env.h, { Origin: 'https://APP.example.com' }));
    await roundTrip(env.alice, env.bob, 'after');
    await closeRaw(good);
  });
});

describe('sessions per project (sessionCreation)', () => {
  it('past the burst the REST API answers 429 with Retry-After; the SDK call fails; the session in use is untouched', async () => {
    // The harness created one session already.
    const env = await setUp({ sessionCreation: { burst: 2, perSecond: 0.01 } });
    await env.h.parley.createSession();
    const res = await fetch(`${env.h.server.url}/session/create`, {
      method: 'POST',
      headers: { 'X-OPENTOK-AUTH': mintRestJwt(API_KEY, API_SECRET), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'p2p.preference=disabled',
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toEqual({ message: expect.stringMatching(/^too many sessions created for project 100001/) });
    await expect(env.h.parley.createSession()).rejects.toThrow(/429|too many sessions/);
    await roundTrip(env.alice, env.bob, 'after');
  });
});

describe('handshake timeout (httpTimeouts.headersTimeout)', () => {
  it('a TCP connection that never sends its upgrade is answered 408 and closed; the others keep signalling', async () => {
    const env = await setUp({ httpTimeouts: { headersTimeout: 300, requestTimeout: 600, checkInterval: 50 } });
    const socket = connect(env.h.server.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    await waitFor((resolve) => socket.once('close', () => resolve()), T, 'the silent connection to be closed');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('{"message":"The request was not received in time"}');
    await roundTrip(env.alice, env.bob, 'after');
  });
});

describe('a WebSocket that never sends a frame (the heartbeat, timings.heartbeatTimeout)', () => {
  it('is closed with 4001 once the heartbeat timeout passes; the others keep signalling', async () => {
    const env = await setUp({ timings: SHORT_TIMINGS });
    const silent = opened(await rawJoin(env.h, OFFENDER));
    const code = await waitFor<number>((resolve) => silent.once('close', (c) => resolve(c)), T, 'the silent socket to close');
    expect(code).toBe(CloseCode.HeartbeatTimeout);
    await roundTrip(env.alice, env.bob, 'after');
  });
});
