/**
 * Property-based tests of the token parsers (fast-check): `verifyToken`, `peekToken` and
 * `verifyRestJwt` never throw on arbitrary or mutated input and refuse it with one of their
 * documented reasons; a token minted with any valid options verifies to exactly those options.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CONNECTION_DATA_LENGTH, ROLES } from '@parley/protocol';
import { generateToken, mintRestJwt, mintSessionId, peekToken, verifyRestJwt, verifyToken } from '@parley/server-sdk';
import { mutate, prng } from '@parley/testkit';
import { TokenRejection } from '../src/verify-token.js';

const API_KEY = '123456';
const SECRET = 'secret-0123456789';
const sessionId = mintSessionId(API_KEY);
const REASONS = new Set<string>(Object.values(TokenRejection));
const RUNS = { numRuns: 300 };
const now = (): number => Math.floor(Date.now() / 1000);

/** Every kind of token input: text, base64-ish text, and the two formats mutated. */
const tokenInput = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.base64String({ maxLength: 300 }).map((s) => `T1==${s}`),
  fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((p) => p.join('.').replace(/[+/=]/g, '-')),
  fc
    .tuple(fc.constantFrom<'jwt' | 't1'>('jwt', 't1'), fc.integer())
    .map(([format, seed]) => mutate(prng(seed), generateToken(API_KEY, SECRET, sessionId, { data: 'd=1' }, format))),
);

describe('verifyToken', () => {
  it('never throws on arbitrary or mutated tokens, and refuses them with a documented reason', () => {
    fc.assert(
      fc.property(tokenInput, fc.integer({ min: 0, max: 120 }), (token, skew) => {
        const result = verifyToken(token, SECRET, { clockToleranceSeconds: skew });
        if (!result.ok) expect(REASONS.has(result.reason)).toBe(true);
        else expect(result.claims.sessionId).toBe(sessionId); // a mutation that kept the signature valid
        const peeked = peekToken(token);
        if (peeked !== null) expect(['jwt', 't1']).toContain(peeked.format);
      }),
      RUNS,
    );
  });

  it('round-trips mint → verify for any valid options, in both formats', () => {
    const options = fc.record({
      role: fc.constantFrom(...ROLES),
      data: fc.string({ unit: 'grapheme', maxLength: 40 }).filter((d) => d.length <= MAX_CONNECTION_DATA_LENGTH),
      lifetime: fc.integer({ min: 60, max: 30 * 86400 }),
      layout: fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 4 }),
      format: fc.constantFrom<'jwt' | 't1'>('jwt', 't1'),
    });
    fc.assert(
      fc.property(options, ({ role, data, lifetime, layout, format }) => {
        const expireTime = now() + lifetime;
        const token = generateToken(
          API_KEY,
          SECRET,
          sessionId,
          { role, data, expireTime, initialLayoutClassList: layout },
          format,
        );
        const result = verifyToken(token, SECRET);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.claims).toMatchObject({
          sessionId,
          role,
          connectionData: data,
          expireTime,
          initialLayoutClassList: layout.join(' '),
          format,
        });
        expect(result.claims.tokenId).toMatch(/^0(\.\d+(e-\d+)?)?$/); // the nonce
        expect(verifyToken(token, `${SECRET}x`)).toEqual({ ok: false, reason: TokenRejection.Signature });
        expect(peekToken(token)).toEqual({ format, apiKey: API_KEY });
      }),
      { numRuns: 150 },
    );
  });
});

describe('verifyRestJwt', () => {
  it('never throws on arbitrary or mutated REST JWTs, and answers 401/403 with a message', () => {
    const input = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.integer().map((seed) => mutate(prng(seed), mintRestJwt(API_KEY, SECRET))),
    );
    fc.assert(
      fc.property(input, (jwt) => {
        const result = verifyRestJwt(jwt, API_KEY, SECRET);
        if (!result.ok) {
          expect([401, 403]).toContain(result.status);
          expect(result.message.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });
});
