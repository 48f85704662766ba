import { request } from 'node:http';
import { generateToken, mintSessionId } from '@parley/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUS_KINDS } from '@parley/testkit';
import { API_KEY, API_SECRET, claims, Harness, OTHER_KEY, OTHER_SECRET, signJwt } from './support/harness.js';

describe.each(BUS_KINDS)('over the %s bus', (bus) => {
  let h: Harness;
  let sessionId: string;
  let otherProjectSession: string;
  beforeAll(async () => {
    h = await Harness.start({}, bus);
    sessionId = await h.session();
    otherProjectSession = await h.session(OTHER_KEY);
  });
  afterAll(async () => {
    await h.stop();
  });

  async function refused(session: string, token: string, apiKey = API_KEY) {
    const client = h.connect(session, token, apiKey);
    const closed = await client.close();
    expect(client.opened).toBe(true); // the upgrade completes; the refusal is the close code
    expect(client.messages).toEqual([]);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    return closed;
  }

  describe('a refused join completes the upgrade and closes with the code of the failed check', () => {
    it('bad signature → 4004', async () => {
      const token = generateToken(API_KEY, 'not-the-secret-0000000000000000000000000', sessionId);
      expect(await refused(sessionId, token)).toMatchObject({
        code: 4004,
        reason: expect.stringMatching(/signature/i) as string,
      });
    });

    it('expired token → 4004', async () => {
      const now = Math.floor(Date.now() / 1000);
      // Past the default 30 s clock skew (tokenClockSkew).
      const token = signJwt(claims(sessionId, { exp: now - 120, expire_time: now - 120 }), API_SECRET);
      expect(await refused(sessionId, token)).toMatchObject({
        code: 4004,
        reason: expect.stringMatching(/expir/i) as string,
      });
    });

    it('token for another session → 4004', async () => {
      const other = await h.session();
      expect(await refused(sessionId, h.token(other))).toEqual({ code: 4004, reason: 'token is for another session' });
    });

    it("API key in the query not the token's project → 4004", async () => {
      expect(await refused(sessionId, h.token(sessionId), OTHER_KEY)).toEqual({
        code: 4004,
        reason: "API key is not the token's project",
      });
    });

    it('token of an unknown project → 4004', async () => {
      const token = generateToken('99999999', API_SECRET, mintSessionId('99999999'));
      expect((await refused(sessionId, token)).code).toBe(4004);
    });

    it('garbage token → 4004', async () => {
      expect(await refused(sessionId, 'garbage')).toEqual({ code: 4004, reason: 'malformed token' });
      expect((await refused(sessionId, 'T1==bm9wZQ==')).code).toBe(4004);
    });

    it('empty token → 4004', async () => {
      expect(await refused(sessionId, '')).toEqual({ code: 4004, reason: 'missing token' });
    });

    it('connection data over 1000 characters → 4004', async () => {
      const token = signJwt(claims(sessionId, { connection_data: 'x'.repeat(1001) }), API_SECRET);
      expect(await refused(sessionId, token)).toMatchObject({
        code: 4004,
        reason: expect.stringMatching(/connection data/) as string,
      });
    });

    it('unknown role → 4004', async () => {
      const token = signJwt(claims(sessionId, { role: 'admin' }), API_SECRET);
      expect((await refused(sessionId, token)).code).toBe(4004);
    });

    it('unknown session → 4005', async () => {
      const unknown = mintSessionId(API_KEY);
      expect(await refused(unknown, h.token(unknown))).toEqual({ code: 4005, reason: 'unknown session' });
    });

    it('malformed session ID → 4005', async () => {
      expect(await refused('not a session', h.token(sessionId))).toEqual({
        code: 4005,
        reason: 'malformed session ID',
      });
      expect((await refused('', h.token(sessionId))).code).toBe(4005);
    });

    it('session of another project (token signed by this project for it) → 4005', async () => {
      const token = signJwt(claims(otherProjectSession), API_SECRET);
      expect(await refused(otherProjectSession, token)).toEqual({
        code: 4005,
        reason: 'session belongs to another project',
      });
    });

    it('a valid token of the other project joins its session', async () => {
      const client = h.connect(
        otherProjectSession,
        generateToken(OTHER_KEY, OTHER_SECRET, otherProjectSession),
        OTHER_KEY,
      );
      await client.nextOf('welcome');
    });

    it('protocol version other than 1 → 4003', async () => {
      const client = h.raw(
        `${h.server.wsUrl}?v=2&apiKey=${API_KEY}&sessionId=${sessionId}&token=${h.token(sessionId)}`,
      );
      expect(await client.close()).toEqual({ code: 4003, reason: 'unsupported protocol version 2' });
    });

    it('an upgrade on another path is answered 400 and destroyed', async () => {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = request(`${h.server.url}/elsewhere`, {
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          },
        });
        req.on('response', (res) => {
          resolve(res.statusCode);
        });
        req.on('upgrade', () => {
          reject(new Error('upgraded'));
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(400);
    });
  });
});
