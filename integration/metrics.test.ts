/**
 * `/metrics` after a scripted session: the counters match, exactly, what the script did (joins,
 * signals in and out, a resume, a refused join, rate-limit hits), parsed from the Prometheus text
 * format the endpoint serves; and the endpoint's own rules (bearer token, one registry per server).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SessionErrorCode, type ParleyError } from '@parley/client';
import { createServer, type ParleyServer } from '@parley/server';
import { nextEvent, parseMetrics, waitFor } from '@parley/testkit';
import { startHarness, type Harness } from './harness.js';
import { closeRaw, get, peer, rawJoin } from './support/guard.js';
import { T } from './support-opentok.js';

async function scrape(url: string): Promise<Map<string, number>> {
  const res = await get(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(String(res.headers['content-type'])).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(res.text);
}

let h: Harness | undefined;
const servers: ParleyServer[] = [];
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('/metrics', () => {
  it('counts exactly what a scripted session did', async () => {
    h = await startHarness({
      trustProxy: 1,
      signalRate: { perSecond: 0.001, burst: 4 },
      connectionLimits: { perIpBurst: 1, perIpPerSecond: 0.01 },
    });
    const alice = await h.client({ data: 'alice', proxied: true });
    const bob = await h.client({ data: 'bob' });
    await peer(alice.session, bob.id);
    // 3 broadcasts from alice (each reaches alice's echo and bob: 2 out each).
    const bobGot = nextEvent(bob.session, 'signal', T, (s) => s.type === 'b3');
    for (const type of ['b1', 'b2', 'b3']) await alice.session.signal({ type });
    await bobGot;
    // 1 directed from bob to alice (1 out).
    const aliceGot = nextEvent(alice.session, 'signal', T, (s) => s.type === 'd1');
    await bob.session.signal({ type: 'd1', to: await peer(bob.session, alice.id) });
    await aliceGot;
    // Alice's 5th signal is over her burst of 4: one signal_rate hit, nothing delivered.
    const bobGotB4 = nextEvent(bob.session, 'signal', T, (s) => s.type === 'b4');
    await alice.session.signal({ type: 'b4' });
    await bobGotB4;
    const refusal = await alice.session.signal({ type: 'b5' }).catch((e: unknown) => e as ParleyError);
    expect(refusal).toMatchObject({ code: SessionErrorCode.RateLimitExceeded });
    // A resume: alice's transport is cut; the SDK resumes through the proxy.
    const resumed = nextEvent(alice.session, 'sessionReconnected', T);
    alice.proxy?.cut();
    await resumed;
    // A refused join (bad token) and a per-address rate-limit hit.
    const bad = await rawJoin(h, {}, 'T1==garbage');
    if (bad.kind !== 'open') throw new Error('a bad token is refused after the upgrade');
    await waitFor(
      (resolve) =>
        bad.ws.once('close', () => {
          resolve();
        }),
      T,
      'the refused join to close',
    );
    const first = await rawJoin(h, { 'X-Forwarded-For': '203.0.113.9' });
    const second = await rawJoin(h, { 'X-Forwarded-For': '203.0.113.9' });
    expect(second).toMatchObject({ kind: 'refused', status: 429 });
    if (first.kind === 'open') await closeRaw(first.ws);

    const m = await scrape(h.server.url);
    expect(m.get('parley_joins_total')).toBe(3); // alice, bob, the admitted raw join
    expect(m.get('parley_signals_in_total')).toBe(5); // b1 b2 b3 d1 b4
    expect(m.get('parley_signals_out_total')).toBe(3 * 2 + 1 + 2);
    expect(m.get('parley_resumes_total')).toBe(1);
    expect(m.get('parley_resumes_failed_total')).toBe(0);
    expect(m.get('parley_refused_joins_total{reason="authentication"}')).toBe(1);
    expect(m.get('parley_refused_joins_total{reason="address_limit"}')).toBe(1);
    expect(m.get('parley_refused_joins_total{reason="session_full"}')).toBe(0);
    expect(m.get('parley_rate_limited_total{limit="signal_rate"}')).toBe(1);
    expect(m.get('parley_rate_limited_total{limit="ip_connect_rate"}')).toBe(1);
    expect(m.get('parley_rate_limited_total{limit="flood"}')).toBe(0);
    expect(m.get('parley_backpressure_closes_total{code="4014"}')).toBe(0);
    expect(m.get('parley_backpressure_closes_total{code="4015"}')).toBe(0);
    expect(m.get('parley_sessions')).toBe(1);
    expect(m.get('parley_connections')).toBeGreaterThanOrEqual(2);
    expect(m.get('parley_messages_written_total')).toBeGreaterThan(9);
    expect(m.get('parley_replay_buffer_bytes')).toBeGreaterThanOrEqual(0);
    // prom-client's process collectors, on this server's own registry.
    expect(m.get('parley_nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(m.get('parley_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('with a token: 401 without it or with another, 200 with it; two servers in one process, one registry each', async () => {
    const a = await createServer({ port: 0, dataDir: ':memory:', metrics: { token: 'scrape-secret' } });
    servers.push(a);
    const b = await createServer({ port: 0, dataDir: ':memory:', metrics: { enabled: false } });
    servers.push(b);
    const none = await get(`${a.url}/metrics`);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text)).toEqual({ message: 'metrics need Authorization: Bearer <token>' });
    expect((await get(`${a.url}/metrics`, { Authorization: 'Bearer wrong' })).status).toBe(401);
    const ok = await get(`${a.url}/metrics`, { Authorization: 'Bearer scrape-secret' });
    expect(ok.status).toBe(200);
    expect(parseMetrics(ok.text).get('parley_connections')).toBe(0);
    // Disabled: the path is not served (the REST API's 404), but the text is still available to the embedder.
    expect((await get(`${b.url}/metrics`)).status).toBe(404);
    expect(parseMetrics(await b.metrics()).get('parley_joins_total')).toBe(0);
  });
});
