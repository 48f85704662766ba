/**
 * Token lifetime bound and clock-skew tolerance at join, their option validation, and the
 * store's revocation table (persisted, expired rules pruned).
 */
import { CloseCode } from '@parley/protocol';
import { createServer } from '@parley/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseFlags, registryOptions } from '../src/cli/config/load.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { API_SECRET, claims, Harness, signJwt } from './support/harness.js';

const nowS = (): number => Math.floor(Date.now() / 1000);

describe('at join', () => {
  let h: Harness;
  let strict: Harness;
  let sessionId: string;
  let strictSession: string;
  beforeAll(async () => {
    h = await Harness.start({ maxTokenLifetime: 3600 });
    strict = await Harness.start({ tokenClockSkew: 0 });
    sessionId = await h.session();
    strictSession = await strict.session();
  });
  afterAll(async () => {
    await Promise.all([h.stop(), strict.stop()]);
  });

  const tokenWith = (session: string, over: Record<string, unknown>) => signJwt(claims(session, over), API_SECRET);
  async function welcomed(harness: Harness, session: string, token: string): Promise<void> {
    const welcome = await harness.connect(session, token).nextOf('welcome', 5000);
    expect(welcome.connection.connectionId).toBeTruthy();
  }

  it('refuses a token living longer than maxTokenLifetime with 4004 and the figures', async () => {
    const now = nowS();
    const long = tokenWith(sessionId, { exp: now + 7200, expire_time: now + 7200 });
    expect(await h.connect(sessionId, long).close(5000)).toEqual({
      code: CloseCode.AuthenticationFailed,
      reason: 'token lifetime 7200 s exceeds the maximum of 3600 s',
    });
    await welcomed(h, sessionId, tokenWith(sessionId, { exp: now + 1800, expire_time: now + 1800 }));
  });

  it('measures a token without an issue time from now', async () => {
    const now = nowS();
    const noIat = { iat: undefined, create_time: undefined };
    const long = tokenWith(sessionId, { ...noIat, exp: now + 7200, expire_time: now + 7200 });
    expect((await h.connect(sessionId, long).close(5000)).reason).toMatch(/exceeds the maximum of 3600 s/);
    await welcomed(h, sessionId, tokenWith(sessionId, { ...noIat, exp: now + 600, expire_time: now + 600 }));
  });

  it('tolerates 30 s of clock skew by default on expiry and not-before, and no more', async () => {
    const now = nowS();
    await welcomed(h, sessionId, tokenWith(sessionId, { exp: now - 10, expire_time: now - 10 }));
    await welcomed(h, sessionId, tokenWith(sessionId, { nbf: now + 10 }));
    const expired = tokenWith(sessionId, { exp: now - 60, expire_time: now - 60 });
    expect(await h.connect(sessionId, expired).close(5000)).toEqual({
      code: CloseCode.AuthenticationFailed,
      reason: 'token rejected: token has expired',
    });
    const early = tokenWith(sessionId, { nbf: now + 120 });
    expect((await h.connect(sessionId, early).close(5000)).reason).toBe('token rejected: token is not yet valid');
  });

  it('with tokenClockSkew 0, a token 10 s past its expiry is refused', async () => {
    const now = nowS();
    const expired = tokenWith(strictSession, { exp: now - 10, expire_time: now - 10 });
    expect((await strict.connect(strictSession, expired).close(5000)).reason).toBe('token rejected: token has expired');
  });
});

describe('options', () => {
  it.each([
    [{ maxTokenLifetime: 0 }, /maxTokenLifetime must be a positive integer/],
    [{ maxTokenLifetime: 1.5 }, /maxTokenLifetime must be a positive integer/],
    [{ tokenClockSkew: -1 }, /tokenClockSkew must be a whole number of seconds/],
    [{ tokenClockSkew: '30' }, /tokenClockSkew must be a whole number of seconds/],
  ])('%j is refused', async (options, message) => {
    await expect(createServer({ port: 0, dataDir: ':memory:', ...(options as object) })).rejects.toThrow(message);
  });
});

describe('the SQLite revocation table', () => {
  it('finds a rule for tokens issued at or before it, merges repeats, and prunes expired rules', async () => {
    const store = new SqliteStore(':memory:');
    const holder = { apiKey: 'k', sessionId: 's', data: 'd', tokenId: 't', issuedAt: 100 };
    await store.putRevocation({ apiKey: 'k', kind: 'data', value: 'd', revokedAt: 100, expiresAt: 200 }, 100);
    expect(await store.findRevocation(holder, 150)).toMatchObject({ kind: 'data', value: 'd' });
    expect(await store.findRevocation({ ...holder, issuedAt: 101 }, 150)).toBeUndefined();
    expect(await store.findRevocation({ ...holder, apiKey: 'other' }, 150)).toBeUndefined();
    expect(await store.findRevocation({ ...holder, data: 'e' }, 150)).toBeUndefined();
    expect(await store.findRevocation({ ...holder, issuedAt: undefined }, 150)).toBeDefined();
    expect(await store.findRevocation(holder, 200)).toBeUndefined(); // expired
    // The same rule again keeps the later revocation time and expiry.
    await store.putRevocation({ apiKey: 'k', kind: 'data', value: 'd', revokedAt: 120, expiresAt: 300 }, 120);
    expect(await store.findRevocation({ ...holder, issuedAt: 110 }, 250)).toMatchObject({ revokedAt: 120 });
    // A later write prunes what expired.
    await store.putRevocation({ apiKey: 'k', kind: 'token', value: 't2', revokedAt: 400, expiresAt: 500 }, 400);
    expect(await store.findRevocation({ ...holder, issuedAt: 0 }, 0)).toBeUndefined();
    // What other nodes read: the unexpired rules made since a time.
    expect((await store.listRevocations(300, 450)).map((r) => r.value)).toEqual(['t2']);
    expect(await store.listRevocations(401, 450)).toEqual([]);
    expect(await store.listRevocations(0, 500)).toEqual([]);
    await store.close();
  });
});

describe('the CLI settings', () => {
  const load = (args: string[], env: Record<string, string> = {}) => loadConfig(parseFlags(args), env);

  it('--max-token-lifetime and PARLEY_TOKEN_CLOCK_SKEW become the createServer options', () => {
    const options = registryOptions(load(['--max-token-lifetime', '86400'], { PARLEY_TOKEN_CLOCK_SKEW: '5' }));
    expect(options).toMatchObject({ maxTokenLifetime: 86400, tokenClockSkew: 5 });
  });

  it('a bad value names its source', () => {
    expect(() => load(['--max-token-lifetime', '0'])).toThrow(/--max-token-lifetime must be an integer/);
    expect(() => load([], { PARLEY_TOKEN_CLOCK_SKEW: '-3' })).toThrow(/PARLEY_TOKEN_CLOCK_SKEW must be an integer/);
  });
});
