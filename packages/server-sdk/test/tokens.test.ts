import { createHmac } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import OpenTok from 'opentok';
import jwt from 'jsonwebtoken';
import { generateToken, mintSessionId, peekToken, verifyToken, type TokenOptions } from '@parley/server-sdk';

const API_KEY = '123456';
const SECRET = 'secret';
const ROLES = ['publisher', 'subscriber', 'publisheronly', 'moderator'] as const;
const official = new OpenTok(API_KEY, SECRET);
const now = () => Math.floor(Date.now() / 1000);

function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

/** A T1 token's head and data string, split at the first ':'. */
function decodeT1(token: string): { head: string; data: string } {
  const text = Buffer.from(token.slice(4), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return { head: text.slice(0, colon), data: text.slice(colon + 1) };
}

function t1Pairs(data: string): [string, string][] {
  return data.split('&').map((pair) => pair.split('=', 2) as [string, string]);
}

function encodeT1(head: string, data: string): string {
  return 'T1==' + Buffer.from(`${head}:${data}`, 'utf8').toString('base64');
}

function rejectionOf(token: string, secret = SECRET, nowSeconds?: number): string {
  const result = verifyToken(token, secret, nowSeconds);
  return result.ok ? 'accepted' : result.reason;
}

/** A JWT with any header and payload, HS256-signed with node:crypto (jsonwebtoken refuses odd claims). */
function craftJwt(header: Record<string, unknown>, payload: Record<string, unknown>, secret = SECRET): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const sessionId = mintSessionId(API_KEY, { relayed: true });
const FAR_FUTURE = 4102444800; // 2100-01-01

describe('generateToken produces what the official SDK produces', () => {
  const opts: TokenOptions = {
    role: 'moderator',
    data: 'name=Alice&id=42 ü:/?',
    expireTime: FAR_FUTURE,
    initialLayoutClassList: ['focus', 'full'],
  };

  it('JWT: same header, same payload keys in the same order, same values apart from nonce and times', () => {
    const ours = decodeJwt(generateToken(API_KEY, SECRET, sessionId, opts));
    const theirs = decodeJwt(official.generateToken(sessionId, { ...opts }));
    expect(ours.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(Object.keys(ours.header)).toEqual(Object.keys(theirs.header));
    expect(Object.keys(ours.payload)).toEqual([
      'iss',
      'ist',
      'iat',
      'exp',
      'session_id',
      'create_time',
      'nonce',
      'role',
      'expire_time',
      'connection_data',
      'initial_layout_class_list',
      'scope',
    ]);
    expect(Object.keys(ours.payload)).toEqual(Object.keys(theirs.payload));
    const { nonce, iat, create_time, ...rest } = ours.payload;
    const { nonce: theirNonce, iat: theirIat, create_time: theirCreate, ...theirRest } = theirs.payload;
    expect(rest).toEqual(theirRest);
    expect(typeof nonce).toBe(typeof theirNonce);
    expect(Math.abs((iat as number) - (theirIat as number))).toBeLessThanOrEqual(1);
    expect(Math.abs((create_time as number) - (theirCreate as number))).toBeLessThanOrEqual(1);
  });

  it('JWT without options: no connection_data key, role publisher, 24 h expiry, empty layout list', () => {
    const ours = decodeJwt(generateToken(API_KEY, SECRET, sessionId)).payload;
    const theirs = decodeJwt(official.generateToken(sessionId)).payload;
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    expect(ours).not.toHaveProperty('connection_data');
    expect(ours).toMatchObject({
      role: 'publisher',
      initial_layout_class_list: '',
      scope: 'session.connect',
      ist: 'project',
      iss: API_KEY,
    });
    expect((ours.exp as number) - (ours.create_time as number)).toBe(86400);
    expect(ours.exp).toBe(ours.expire_time);
  });

  it('T1: same head keys, same data-string keys in order, byte-identical escaping of every deterministic value', () => {
    const ours = decodeT1(generateToken(API_KEY, SECRET, sessionId, opts, 't1'));
    const theirs = decodeT1(official.generateToken(sessionId, { ...opts }, true));
    expect(ours.head).toMatch(/^partner_id=123456&sig=[0-9a-f]{40}$/);
    expect(t1Pairs(ours.head).map(([k]) => k)).toEqual(t1Pairs(theirs.head).map(([k]) => k));
    const drop = (pairs: [string, string][]) => pairs.filter(([k]) => k !== 'nonce' && k !== 'create_time');
    expect(t1Pairs(ours.data).map(([k]) => k)).toEqual(t1Pairs(theirs.data).map(([k]) => k));
    expect(t1Pairs(ours.data).map(([k]) => k)).toEqual([
      'session_id',
      'create_time',
      'nonce',
      'role',
      'expire_time',
      'connection_data',
      'initial_layout_class_list',
      'scope',
    ]);
    expect(drop(t1Pairs(ours.data))).toEqual(drop(t1Pairs(theirs.data)));
    expect(ours.data).toContain('initial_layout_class_list=focus%20full');
  });

  it('T1 signature is the hex HMAC-SHA1 of the data string', () => {
    const { head, data } = decodeT1(generateToken(API_KEY, SECRET, sessionId, {}, 't1'));
    expect(head.split('sig=')[1]).toBe(createHmac('sha1', SECRET).update(data).digest('hex'));
  });

  it('rounds a fractional expireTime like the official SDK', () => {
    const exp = FAR_FUTURE + 0.6;
    expect(decodeJwt(generateToken(API_KEY, SECRET, sessionId, { expireTime: exp })).payload.expire_time).toBe(
      decodeJwt(official.generateToken(sessionId, { expireTime: exp })).payload.expire_time,
    );
  });

  it('accepts a string initialLayoutClassList as is and omits empty data', () => {
    const payload = decodeJwt(
      generateToken(API_KEY, SECRET, sessionId, { initialLayoutClassList: 'a b', data: '' }),
    ).payload;
    expect(payload.initial_layout_class_list).toBe('a b');
    expect(payload).not.toHaveProperty('connection_data');
  });
});

describe('generateToken validation throws TypeErrors with the official messages', () => {
  function officialMessage(f: () => unknown): string {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('the official SDK did not throw');
  }

  it.each([
    ['an invalid role', { role: 'admin' }],
    ['an expireTime in the past', { expireTime: 1000 }],
  ] as const)('%s', (_, opts) => {
    const expected = officialMessage(() => official.generateToken(sessionId, { ...opts }));
    expect(() => generateToken(API_KEY, SECRET, sessionId, opts)).toThrow(TypeError);
    expect(() => generateToken(API_KEY, SECRET, sessionId, opts)).toThrow(expected);
  });

  it('a session of another API key, or garbage instead of a session ID', () => {
    const other = mintSessionId('654321');
    const expected = officialMessage(() => official.generateToken(other));
    expect(expected).toBe('Token cannot be generated unless the session belongs to the API Key');
    expect(() => generateToken(API_KEY, SECRET, other)).toThrow(expected);
    expect(() => generateToken(API_KEY, SECRET, 'garbage')).toThrow(expected);
  });

  it('a sessionId that is not a string', () => {
    const expected = officialMessage(() => official.generateToken(42 as unknown as string));
    expect(() => generateToken(API_KEY, SECRET, 42 as unknown as string)).toThrow(expected);
  });

  it('data over 1000 characters (the documented limit; the official SDK allows 1024)', () => {
    expect(() => generateToken(API_KEY, SECRET, sessionId, { data: 'x'.repeat(1000) })).not.toThrow();
    expect(() => generateToken(API_KEY, SECRET, sessionId, { data: 'x'.repeat(1001) })).toThrow(
      'Invalid data for token generation, must be a string with maximum length 1000',
    );
  });

  it('a layout class list over 1024 characters', () => {
    const expected = officialMessage(() =>
      official.generateToken(sessionId, { initialLayoutClassList: 'c'.repeat(1025) }),
    );
    expect(() => generateToken(API_KEY, SECRET, sessionId, { initialLayoutClassList: 'c'.repeat(1025) })).toThrow(
      expected,
    );
  });

  it('a non-numeric expireTime, an unknown format, an empty secret', () => {
    expect(() => generateToken(API_KEY, SECRET, sessionId, { expireTime: 'soon' as unknown as number })).toThrow(
      'Invalid expireTime for token generation: soon',
    );
    expect(() => generateToken(API_KEY, SECRET, sessionId, {}, 'jwe' as 'jwt')).toThrow("format must be 'jwt' or 't1'");
    expect(() => generateToken(API_KEY, '', sessionId)).toThrow('apiSecret must not be empty');
  });
});

describe('verifyToken accepts valid tokens', () => {
  it.each(['jwt', 't1'] as const)('our own %s tokens, with the claims we put in', (format) => {
    const token = generateToken(
      API_KEY,
      SECRET,
      sessionId,
      { role: 'subscriber', data: 'd=1', expireTime: FAR_FUTURE, initialLayoutClassList: ['x', 'y'] },
      format,
    );
    const result = verifyToken(token, SECRET);
    expect(result).toEqual({
      ok: true,
      claims: {
        sessionId,
        role: 'subscriber',
        connectionData: 'd=1',
        expireTime: FAR_FUTURE,
        createTime: expect.any(Number) as number,
        initialLayoutClassList: 'x y',
        scope: 'session.connect',
        format,
        tokenId: expect.stringMatching(/^0\.\d+|^0$/) as string, // the nonce, as text
        issuedAt: expect.any(Number) as number,
      },
    });
  });

  for (const t1 of [false, true]) {
    for (const role of ROLES) {
      it(`official ${t1 ? 'T1' : 'JWT'} token, role ${role}, with data and a layout class list, yields the same claims as ours`, () => {
        const opts = {
          role,
          data: 'name=Bob & co: 100%',
          expireTime: FAR_FUTURE,
          initialLayoutClassList: ['focus', 'big'],
        };
        const theirs = verifyToken(official.generateToken(sessionId, { ...opts }, t1), SECRET);
        const ours = verifyToken(generateToken(API_KEY, SECRET, sessionId, opts, t1 ? 't1' : 'jwt'), SECRET);
        expect(theirs.ok).toBe(true);
        expect(ours.ok).toBe(true);
        if (!theirs.ok || !ours.ok) return;
        const theirsOwn = {
          createTime: theirs.claims.createTime,
          issuedAt: theirs.claims.issuedAt,
          tokenId: theirs.claims.tokenId,
        };
        expect(theirs.claims).toEqual({ ...ours.claims, ...theirsOwn });
        expect(theirs.claims.tokenId).not.toBe(ours.claims.tokenId); // each token has its own nonce
        expect(Math.abs(theirs.claims.createTime! - now())).toBeLessThanOrEqual(2);
        expect(theirs.claims).toMatchObject({
          role,
          connectionData: opts.data,
          initialLayoutClassList: 'focus big',
          format: t1 ? 't1' : 'jwt',
        });
      });
    }
  }

  it('official tokens without options: role publisher, no data, empty layout list', () => {
    for (const t1 of [false, true]) {
      const result = verifyToken(official.generateToken(sessionId, undefined, t1), SECRET);
      expect(result.ok && result.claims).toMatchObject({
        sessionId,
        role: 'publisher',
        connectionData: '',
        initialLayoutClassList: '',
      });
    }
  });

  it('the JWT and T1 samples captured from the official SDK (opentok@2.23.2 generateToken, opentok-token@1.1.1)', () => {
    const jwtSample =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiIxMjM0NTYiLCJpc3QiOiJwcm9qZWN0IiwiaWF0IjoxNzk2MDAwMTI0LCJleHAiOjQxMDI0NDQ4MDAsInNlc3Npb25faWQiOiIxX01YNHhNak0wTlRaLWZqRTNNREF3TURBd01EQXdNREItY1ROV04ySlliemtyVEcweUwxQjZNRUZpUTJSRlprZG9mbEItIiwiY3JlYXRlX3RpbWUiOjE3OTYwMDAxMjQsIm5vbmNlIjowLjY2NjkwNzgyNjU3MTU3NzUsInJvbGUiOiJtb2RlcmF0b3IiLCJleHBpcmVfdGltZSI6NDEwMjQ0NDgwMCwiY29ubmVjdGlvbl9kYXRhIjoibmFtZT1BbGljZSZpZD00MiIsImluaXRpYWxfbGF5b3V0X2NsYXNzX2xpc3QiOiJmb2N1cyBmdWxsIiwic2NvcGUiOiJzZXNzaW9uLmNvbm5lY3QifQ.9qtewsgWcqDsW2DTEV60MCud9opxmatO0JlZE2dmp88';
    const t1Sample =
      'T1==cGFydG5lcl9pZD0xMjM0NTYmc2lnPThjYWVkYjYxM2FmOTRhODQ1OTAzZjVhMDdmZWYzNzNiZTM2Y2M1YjE6c2Vzc2lvbl9pZD0xX01YNHhNak0wTlRaLWZqRTNNREF3TURBd01EQXdNREItY1ROV04ySlliemtyVEcweUwxQjZNRUZpUTJSRlprZG9mbEItJmNyZWF0ZV90aW1lPTE3OTYwMDAxMjQmbm9uY2U9MC40OTcyMzcyODc3OTM2MDY0MyZyb2xlPW1vZGVyYXRvciZleHBpcmVfdGltZT00MTAyNDQ0ODAwJmNvbm5lY3Rpb25fZGF0YT1uYW1lJTNEQWxpY2UlMjZpZCUzRDQyJmluaXRpYWxfbGF5b3V0X2NsYXNzX2xpc3Q9Zm9jdXMlMjBmdWxsJnNjb3BlPXNlc3Npb24uY29ubmVjdA==';
    const expected = {
      sessionId: '1_MX4xMjM0NTZ-fjE3MDAwMDAwMDAwMDB-cTNWN2JYbzkrTG0yL1B6MEFiQ2RFZkdoflB-',
      role: 'moderator',
      connectionData: 'name=Alice&id=42',
      expireTime: 4102444800,
      createTime: 1796000124,
      initialLayoutClassList: 'focus full',
      scope: 'session.connect',
    };
    const issuedAt = 1796000124;
    expect(verifyToken(jwtSample, SECRET, 1796000124)).toEqual({
      ok: true,
      claims: { ...expected, format: 'jwt', tokenId: '0.6669078265715775', issuedAt },
    });
    // A T1 token's nonce is taken exactly as written in it.
    expect(verifyToken(t1Sample, SECRET, 1796000124)).toEqual({
      ok: true,
      claims: { ...expected, format: 't1', tokenId: '0.49723728779360643', issuedAt },
    });
  });
});

describe('verifyToken refuses bad tokens and says which check failed', () => {
  const good = {
    jwt: generateToken(API_KEY, SECRET, sessionId),
    t1: generateToken(API_KEY, SECRET, sessionId, {}, 't1'),
  };

  it('a JWT whose signature was altered', () => {
    const [h, p, s] = good.jwt.split('.') as [string, string, string];
    const flipped = s[0] === 'A' ? `B${s.slice(1)}` : `A${s.slice(1)}`;
    expect(rejectionOf(`${h}.${p}.${flipped}`)).toBe('token signature is invalid');
    expect(rejectionOf(`${h}.${p}.`)).toBe('token signature is invalid');
  });

  it('a JWT whose payload was altered (role upgraded) under the original signature', () => {
    const [h, p, s] = good.jwt.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...payload, role: 'moderator' })).toString('base64url');
    expect(rejectionOf(`${h}.${forged}.${s}`)).toBe('token signature is invalid');
  });

  it('tokens of both formats checked with the wrong secret', () => {
    expect(rejectionOf(good.jwt, 'other-secret')).toBe('token signature is invalid');
    expect(rejectionOf(good.t1, 'other-secret')).toBe('token signature is invalid');
    expect(rejectionOf(official.generateToken(sessionId), 'other-secret')).toBe('token signature is invalid');
  });

  it('expired tokens of both formats, including at the exact expiry second', () => {
    const exp = now() + 60;
    for (const format of ['jwt', 't1'] as const) {
      const token = generateToken(API_KEY, SECRET, sessionId, { expireTime: exp }, format);
      expect(rejectionOf(token, SECRET, exp - 1)).toBe('accepted');
      expect(rejectionOf(token, SECRET, exp)).toBe('token has expired');
      expect(rejectionOf(token, SECRET, exp + 3600)).toBe('token has expired');
    }
  });

  it('a JWT with alg "none" or HS512, even when otherwise valid', () => {
    const payload = decodeJwt(good.jwt).payload;
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${good.jwt.split('.')[1]!}.`;
    expect(rejectionOf(none)).toBe('token algorithm is not HS256');
    expect(rejectionOf(jwt.sign(payload, SECRET, { algorithm: 'HS512' }))).toBe('token algorithm is not HS256');
    expect(rejectionOf(craftJwt({ typ: 'JWT' }, payload))).toBe('token algorithm is not HS256');
  });

  it('garbage, the empty string, a non-string, an over-long string, a truncated token', () => {
    expect(rejectionOf('')).toBe('token is empty');
    expect(rejectionOf('garbage')).toBe('token is malformed');
    expect(rejectionOf('a.b.c')).toBe('token is malformed');
    expect(rejectionOf(null as unknown as string)).toBe('token is malformed');
    expect(rejectionOf('x'.repeat(9000))).toBe('token is too long');
    expect(rejectionOf(good.jwt.slice(0, good.jwt.lastIndexOf('.')))).toBe('token is malformed');
    expect(rejectionOf(good.jwt.slice(0, -5))).toBe('token signature is invalid');
    expect(rejectionOf(good.t1.slice(0, 40))).toBe('token is malformed');
    expect(rejectionOf('T1==')).toBe('token is malformed');
  });

  it('a T1 token whose data was tampered with (role upgraded) under the original signature', () => {
    const { head, data } = decodeT1(good.t1);
    expect(data).toContain('role=publisher');
    expect(rejectionOf(encodeT1(head, data.replace('role=publisher', 'role=moderator')))).toBe(
      'token signature is invalid',
    );
    expect(rejectionOf(encodeT1(head, `${data}&role=moderator`))).toBe('token signature is invalid');
  });

  it('a T1 token re-signed with a duplicated key, or without a valid sig', () => {
    const { data } = decodeT1(good.t1);
    const dup = `${data}&role=moderator`;
    const sig = createHmac('sha1', SECRET).update(dup).digest('hex');
    expect(rejectionOf(encodeT1(`partner_id=${API_KEY}&sig=${sig}`, dup))).toBe('token is malformed');
    expect(rejectionOf(encodeT1(`partner_id=${API_KEY}&sig=zz`, data))).toBe('token is malformed');
  });

  it('a correctly signed JWT with another scope, without session_id, with a string exp, or with no expiry', () => {
    const base = decodeJwt(good.jwt).payload;
    const noSession = { ...base };
    delete noSession.session_id;
    const noExpiry = { ...base };
    delete noExpiry.exp;
    delete noExpiry.expire_time;
    expect(rejectionOf(craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...base, scope: 'session.admin' }))).toBe(
      'token scope is not session.connect',
    );
    expect(rejectionOf(craftJwt({ alg: 'HS256', typ: 'JWT' }, noSession))).toBe('token has no session_id');
    expect(rejectionOf(craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...base, exp: 'never' }))).toBe('token is malformed');
    expect(rejectionOf(craftJwt({ alg: 'HS256', typ: 'JWT' }, noExpiry))).toBe('token is malformed');
    expect(rejectionOf(craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...base, exp: now() - 10 }))).toBe('token has expired');
  });

  it('throws a TypeError only for caller bugs: an empty secret or a non-finite now', () => {
    expect(() => verifyToken(good.jwt, '')).toThrow(TypeError);
    expect(() => verifyToken(good.jwt, SECRET, Number.NaN)).toThrow('nowSeconds must be a finite number');
  });
});

describe('peekToken', () => {
  it("reads the iss of a JWT and the partner_id of a T1 token, ours and the official SDK's", () => {
    expect(peekToken(generateToken(API_KEY, SECRET, sessionId))).toEqual({ format: 'jwt', apiKey: API_KEY });
    expect(peekToken(generateToken(API_KEY, SECRET, sessionId, {}, 't1'))).toEqual({ format: 't1', apiKey: API_KEY });
    expect(peekToken(official.generateToken(sessionId))).toEqual({ format: 'jwt', apiKey: API_KEY });
    expect(peekToken(official.generateToken(sessionId, {}, true))).toEqual({ format: 't1', apiKey: API_KEY });
  });

  it('does not verify: a token signed with another secret still peeks', () => {
    expect(peekToken(new OpenTok(API_KEY, 'other').generateToken(sessionId))?.apiKey).toBe(API_KEY);
  });

  it.each([
    '',
    'garbage',
    'a.b.c',
    'a.b',
    'T1==',
    'T1==!!!',
    'T1==' + Buffer.from('no colon').toString('base64'),
    'eyJ.eyJ.x',
    '...',
  ])('returns null for %j', (token) => {
    expect(peekToken(token)).toBeNull();
  });

  it('returns null for non-strings and a JWT without iss, never throwing', () => {
    expect(peekToken(undefined as unknown as string)).toBeNull();
    expect(peekToken({} as unknown as string)).toBeNull();
    expect(peekToken(jwt.sign({ sub: 'x' }, SECRET))).toBeNull();
  });
});
