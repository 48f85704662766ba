/**
 * Token hygiene against a real server: revocation by each selector (new joins refused with 4004
 * "token revoked", connected holders closed with 4012 "token revoked", everyone else unaffected),
 * the REST route's validation, and the server SDK's `revokeTokens`.
 */
import { CloseCode } from '@parley/protocol';
import { generateToken, Parley, ParleyApiError } from '@parley/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, API_SECRET, claims, Harness, signJwt, type Joined } from './support/harness.js';

const REVOKED = { code: CloseCode.ForceDisconnected, reason: 'token revoked' };
const REFUSED = { code: CloseCode.AuthenticationFailed, reason: 'token revoked' };

let h: Harness;
let parley: Parley;
beforeAll(async () => {
  h = await Harness.start();
  parley = new Parley(API_KEY, API_SECRET, { apiUrl: h.server.url });
});
afterAll(async () => {
  await h.stop();
});

/** Join with an explicit token and wait for the welcome. */
async function joinWith(sessionId: string, token: string): Promise<Joined> {
  const client = h.connect(sessionId, token);
  return { client, welcome: await client.nextOf('welcome') };
}

/** A token minted after any revocation made so far: issued two seconds ahead (a revocation's second is rounded up). */
function laterToken(sessionId: string, data: string, nonce: number): string {
  const now = Math.floor(Date.now() / 1000) + 2;
  return signJwt(claims(sessionId, { iat: now, create_time: now, connection_data: data, nonce }), API_SECRET);
}

/** `bystander` still gets signals after `gone` left: the session works for it. */
async function stillServed(sessionId: string, bystander: Joined, goneId: string): Promise<void> {
  const destroyed = await bystander.client.nextOf('connectionDestroyed', 5000, (m) => m.connectionId === goneId);
  expect(destroyed.reason).toBe('forceDisconnected');
  await parley.signal(sessionId, { type: 'still', data: 'here' });
  const signal = await bystander.client.nextOf('signal', 5000, (m) => m.type === 'still');
  expect(signal.data).toBe('here');
  expect(bystander.client.closed).toBeUndefined();
}

describe('revocation', () => {
  it('by token ID: the holder is disconnected, the token refused, the other client unaffected', async () => {
    const sessionId = await h.session();
    const revokedToken = generateToken(API_KEY, API_SECRET, sessionId, { data: 'a' });
    const a = await joinWith(sessionId, revokedToken);
    const b = await h.join(sessionId, { data: 'b' });
    await a.client.nextOf('connectionCreated');

    const result = await parley.revokeTokens({ token: revokedToken });
    expect(result).toMatchObject({ kind: 'token', disconnected: 1 });
    expect(await a.client.close(5000)).toEqual(REVOKED);
    await stillServed(sessionId, b, a.welcome.connection.connectionId);

    expect(await h.connect(sessionId, revokedToken).close(5000)).toEqual(REFUSED);
    // Another token with the same data is not this token.
    await joinWith(sessionId, generateToken(API_KEY, API_SECRET, sessionId, { data: 'a' }));
  });

  it('by connection data: every holder of that data, now and until expiry; other data unaffected', async () => {
    const sessionId = await h.session();
    const a = await h.join(sessionId, { data: 'user=1' });
    const b = await h.join(sessionId, { data: 'user=2' });
    await a.client.nextOf('connectionCreated');

    const result = await parley.revokeTokens({ connectionData: 'user=1' });
    expect(result).toMatchObject({ kind: 'data', value: 'user=1', disconnected: 1 });
    expect(await a.client.close(5000)).toEqual(REVOKED);
    await stillServed(sessionId, b, a.welcome.connection.connectionId);

    // A token minted before (or in the same second as) the revocation is refused…
    expect(await h.connect(sessionId, h.token(sessionId, { data: 'user=1' })).close(5000)).toEqual(REFUSED);
    // …one minted afterwards works.
    await joinWith(sessionId, laterToken(sessionId, 'user=1', 0.25));
  });

  it('by session: every token of that session; another session unaffected', async () => {
    const sessionId = await h.session();
    const otherSession = await h.session();
    const a = await h.join(sessionId);
    const c = await h.join(otherSession);

    const result = await parley.revokeTokens({ sessionId });
    expect(result).toMatchObject({ kind: 'session', value: sessionId, disconnected: 1 });
    expect(await a.client.close(5000)).toEqual(REVOKED);
    expect(await h.connect(sessionId, h.token(sessionId)).close(5000)).toEqual(REFUSED);

    await parley.signal(otherSession, { type: 'still', data: 'here' });
    expect((await c.client.nextOf('signal', 5000)).data).toBe('here');
    expect(c.client.closed).toBeUndefined();
    await h.join(otherSession);
  });

  it('keeps the rule until every token it can match has expired (bounded by maxTokenLifetime)', async () => {
    const tokenId = 'jti-' + String(Date.now());
    const expireTime = Math.floor(Date.now() / 1000) + 600;
    const result = await parley.revokeTokens({ tokenId, expireTime });
    expect(result.expiresAt).toBe(expireTime + 30); // the token's expiry plus the clock skew
    const bySession = await parley.revokeTokens({ sessionId: await h.session() });
    expect(bySession.expiresAt).toBe(bySession.revokedAt + 30 * 24 * 3600 + 30);
  });

  it('refuses a bad request with 400 (no selector, two selectors, empty value) and an unknown session with 404', async () => {
    const bad: unknown[] = [{}, { sessionId: 'x', tokenId: 'y' }, { connectionData: '' }, { tokenId: 7 }];
    for (const body of bad) {
      const res = await fetch(`${h.server.url}/v2/project/${API_KEY}/parley/revocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-OPENTOK-AUTH': restJwt() },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/exactly one of/);
    }
    await expect(parley.revokeTokens({ sessionId: '1_MX4xMjM0NTY3OH4' })).rejects.toMatchObject({ status: 404 });
    await expect(parley.revokeTokens({ token: 'garbage' })).rejects.toThrow(TypeError);
    const unauthenticated = await fetch(`${h.server.url}/v2/project/${API_KEY}/parley/revocations`, { method: 'POST' });
    expect(unauthenticated.status).toBe(401);
    expect(ParleyApiError).toBeDefined();
  });
});

function restJwt(): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ iss: API_KEY, ist: 'project', iat: now, exp: now + 60, jti: String(Math.random()) }, API_SECRET);
}

describe('revocation over the split bus (three nodes, one store)', () => {
  let cluster: Harness;
  beforeAll(async () => {
    cluster = await Harness.start({}, 'split');
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('disconnects holders on every node, not only the one that took the call', async () => {
    const sessionId = await cluster.session();
    const holders = [
      await cluster.join(sessionId, { data: 'user=9' }),
      await cluster.join(sessionId, { data: 'user=9' }),
      await cluster.join(sessionId, { data: 'user=9' }),
    ];
    const bystander = await cluster.join(sessionId, { data: 'user=10' });
    const api = new Parley(API_KEY, API_SECRET, { apiUrl: cluster.server.url });
    const result = await api.revokeTokens({ connectionData: 'user=9' });
    expect(result.disconnected).toBeGreaterThanOrEqual(1); // the holders on the node that answered
    // The other nodes find the rule in the shared store within their next look (every 2 s).
    for (const holder of holders) expect(await holder.client.close(10_000)).toEqual(REVOKED);
    expect(bystander.client.closed).toBeUndefined();
    const still = await cluster.join(sessionId, { data: 'user=10' });
    expect(still.welcome.connections.map((c) => c.data)).toEqual(['user=10']);
  });
});
