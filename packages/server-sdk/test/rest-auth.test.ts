import { createHmac } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import jwt from 'jsonwebtoken';
import OpenTok from 'opentok';
import { generateToken, mintRestJwt, mintSessionId, verifyRestJwt } from '@parley/server-sdk';

const API_KEY = '123456';
const SECRET = 'secret';
const NOW = 1796000139;

/** What opentok@2.23.2's generateJwt sends: {iss, ist, iat, exp: iat + 300}, HS256 via jsonwebtoken. */
function officialRestJwt(overrides: Record<string, unknown> = {}, secret = SECRET, iat = NOW): string {
  return jwt.sign({ iss: API_KEY, ist: 'project', iat, exp: iat + 300, ...overrides }, secret, {});
}

function craft(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

const verify = (token: string | undefined, nowSeconds = NOW) => verifyRestJwt(token, API_KEY, SECRET, { nowSeconds });

describe('mintRestJwt', () => {
  it("is byte-identical to the official SDK's REST JWT for the same second", () => {
    expect(mintRestJwt(API_KEY, SECRET, NOW)).toBe(officialRestJwt());
  });

  it('reproduces the X-OPENTOK-AUTH captured from the official SDK (opentok@2.23.2 lib/generateJwt.js)', () => {
    expect(mintRestJwt(API_KEY, SECRET, NOW)).toBe(
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiIxMjM0NTYiLCJpc3QiOiJwcm9qZWN0IiwiaWF0IjoxNzk2MDAwMTM5LCJleHAiOjE3OTYwMDA0Mzl9.2cNkF-l6H0JZa7awOMEV24pJKI8ir2TGmUMG6ewDiq4',
    );
  });

  it('uses the current time by default and passes its own verification', () => {
    const token = mintRestJwt(API_KEY, SECRET);
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      iat: number;
      exp: number;
    };
    expect(Math.abs(payload.iat - Date.now() / 1000)).toBeLessThan(2);
    expect(payload.exp - payload.iat).toBe(300);
    expect(verifyRestJwt(token, API_KEY, SECRET)).toEqual({ ok: true });
  });

  it('rejects a bad key or secret with a TypeError', () => {
    expect(() => mintRestJwt('', SECRET)).toThrow(TypeError);
    expect(() => mintRestJwt(API_KEY, undefined as unknown as string)).toThrow(
      'apiSecret must be a string, got undefined',
    );
  });
});

describe('verifyRestJwt', () => {
  it("accepts the official SDK's REST JWT, with or without a jti", () => {
    expect(verify(officialRestJwt())).toEqual({ ok: true });
    expect(verify(officialRestJwt({ jti: 'b7f3c1d2-0000-4000-8000-000000000000' }))).toEqual({ ok: true });
  });

  it('answers 401 "missing X-OPENTOK-AUTH header" when the header is absent or empty', () => {
    expect(verify(undefined)).toEqual({ ok: false, status: 401, message: 'missing X-OPENTOK-AUTH header' });
    expect(verify('')).toEqual({ ok: false, status: 401, message: 'missing X-OPENTOK-AUTH header' });
  });

  it('answers 403 for a JWT signed with another secret', () => {
    expect(verify(officialRestJwt({}, 'forged'))).toMatchObject({
      ok: false,
      status: 403,
      message: expect.stringContaining('signature') as string,
    });
  });

  it('answers 403 for garbage, alg none and HS512', () => {
    const payload = { iss: API_KEY, ist: 'project', iat: NOW, exp: NOW + 300 };
    expect(verify('garbage')).toMatchObject({ ok: false, status: 403 });
    expect(
      verify(
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`,
      ),
    ).toMatchObject({
      ok: false,
      status: 403,
      message: expect.stringContaining('HS256') as string,
    });
    expect(verify(jwt.sign(payload, SECRET, { algorithm: 'HS512' }))).toMatchObject({ ok: false, status: 403 });
  });

  it('answers 403 when iss is another project or not a string', () => {
    expect(verify(officialRestJwt({ iss: '654321' }))).toMatchObject({
      ok: false,
      status: 403,
      message: expect.stringContaining('iss') as string,
    });
    expect(verify(officialRestJwt({ iss: 123456 }))).toMatchObject({ ok: false, status: 403 });
  });

  it('answers 403 when ist is not "project" or is missing', () => {
    expect(verify(officialRestJwt({ ist: 'account' }))).toMatchObject({
      ok: false,
      status: 403,
      message: expect.stringContaining('ist') as string,
    });
    expect(verify(craft({ alg: 'HS256' }, { iss: API_KEY, iat: NOW, exp: NOW + 300 }))).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('answers 403 when iat or exp is missing or not a number', () => {
    expect(verify(craft({ alg: 'HS256' }, { iss: API_KEY, ist: 'project', iat: NOW }))).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(
      verify(craft({ alg: 'HS256' }, { iss: API_KEY, ist: 'project', iat: String(NOW), exp: NOW + 300 })),
    ).toMatchObject({ ok: false, status: 403 });
  });

  it('answers 401 "expired" past exp plus the 60 s skew, and accepts inside the skew', () => {
    const token = officialRestJwt();
    expect(verify(token, NOW + 300 + 60)).toEqual({ ok: true });
    const expired = verify(token, NOW + 300 + 61);
    expect(expired).toMatchObject({ ok: false, status: 401 });
    expect(!expired.ok && expired.message).toMatch(/expired/);
    expect(verifyRestJwt(token, API_KEY, SECRET, { nowSeconds: NOW + 301, skewSeconds: 0 })).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it('answers 403 for a lifetime over 300 s plus skew, or over a configured maximum', () => {
    expect(verify(officialRestJwt({ exp: NOW + 360 }))).toEqual({ ok: true });
    expect(verify(officialRestJwt({ exp: NOW + 361 }))).toMatchObject({
      ok: false,
      status: 403,
      message: expect.stringContaining('lifetime') as string,
    });
    expect(verify(officialRestJwt({ exp: NOW + 86400 }))).toMatchObject({ ok: false, status: 403 });
    expect(
      verifyRestJwt(officialRestJwt(), API_KEY, SECRET, { nowSeconds: NOW, maxLifetimeSeconds: 299 }),
    ).toMatchObject({ ok: false, status: 403 });
  });

  it('answers 403 for an iat further in the future than the skew', () => {
    expect(verify(officialRestJwt({}, SECRET, NOW + 60))).toEqual({ ok: true });
    expect(verify(officialRestJwt({}, SECRET, NOW + 61))).toMatchObject({
      ok: false,
      status: 403,
      message: expect.stringContaining('future') as string,
    });
  });

  it('throws a TypeError for caller bugs: a bad API key, secret or option', () => {
    expect(() => verifyRestJwt('x', '', SECRET)).toThrow(TypeError);
    expect(() => verifyRestJwt('x', API_KEY, '')).toThrow('apiSecret must not be empty');
    expect(() => verifyRestJwt('x', API_KEY, SECRET, { skewSeconds: Number.NaN })).toThrow(
      'skewSeconds must be a finite number',
    );
  });

  describe('a client connection token is never a REST credential, whatever its lifetime', () => {
    const sessionId = mintSessionId(API_KEY);
    const inFiveMinutes = () => Math.floor(Date.now() / 1000) + 300;
    const live = (token: string) => verifyRestJwt(token, API_KEY, SECRET);
    const refusal = { ok: false, status: 403, message: expect.stringContaining('connection token') as string };

    it('refuses our own JWT and T1 connection tokens, of every role', () => {
      for (const role of ['subscriber', 'publisher', 'moderator'] as const) {
        expect(live(generateToken(API_KEY, SECRET, sessionId, { role, expireTime: inFiveMinutes() }))).toEqual(refusal);
        expect(live(generateToken(API_KEY, SECRET, sessionId, { role, expireTime: inFiveMinutes() }, 't1'))).toEqual(
          refusal,
        );
      }
    });

    it("refuses the official SDK's JWT and T1 connection tokens", () => {
      const ot = new OpenTok(API_KEY, SECRET);
      const options = { role: 'subscriber' as const, expireTime: inFiveMinutes() };
      expect(live(ot.generateToken(sessionId, options))).toEqual(refusal);
      expect(
        live((ot.generateToken as (s: string, o: object, t1: boolean) => string)(sessionId, options, true)),
      ).toEqual(refusal);
    });

    it('refuses a REST-shaped token with any one connection claim added, or any unknown claim', () => {
      for (const claim of ['scope', 'session_id', 'role', 'nonce', 'expire_time', 'connection_data']) {
        expect(verify(officialRestJwt({ [claim]: 'x' }))).toEqual(refusal);
      }
      expect(verify(officialRestJwt({ admin: true }))).toEqual({
        ok: false,
        status: 403,
        message: 'X-OPENTOK-AUTH carries the claim "admin", which a project REST token does not have',
      });
    });

    it('still accepts the REST token the official SDK sends for its own calls', () => {
      const ot = new OpenTok(API_KEY, SECRET);
      expect(live((ot as unknown as { generateJwt(): string }).generateJwt())).toEqual({ ok: true });
    });
  });
});
