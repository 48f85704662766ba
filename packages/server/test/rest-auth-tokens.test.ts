/**
 * Issue 8, finding 1: a client connection token is never the project's REST credential. A
 * participant's token (ours or the official SDK's, JWT or T1, short-lived or not) sent as
 * X-OPENTOK-AUTH cannot create sessions, signal into another session or force anyone out of it,
 * against the real server; the official SDK's own REST calls keep working.
 */
import OpenTok from 'opentok';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateToken } from '@parley/server-sdk';
import { API_KEY, API_SECRET, Harness, type Joined } from './support/harness.js';

let h: Harness;
let ot: OpenTok;
/** The session the attacker was invited to, and the one they attack. */
let ownSession: string;
let otherSession: string;
let victim: Joined;
let bystander: Joined;

const inFiveMinutes = (): number => Math.floor(Date.now() / 1000) + 300;

/** Every connection token a participant of `ownSession` could hold, named. */
function participantTokens(): [string, string][] {
  const opts = { role: 'subscriber' as const, expireTime: inFiveMinutes() };
  const officialT1 = (ot.generateToken as (s: string, o: object, t1: boolean) => string)(ownSession, opts, true);
  return [
    ['@parley/server-sdk JWT', generateToken(API_KEY, API_SECRET, ownSession, opts)],
    ['@parley/server-sdk T1', generateToken(API_KEY, API_SECRET, ownSession, opts, 't1')],
    [
      '@parley/server-sdk moderator JWT',
      generateToken(API_KEY, API_SECRET, ownSession, { ...opts, role: 'moderator' }),
    ],
    ['opentok JWT', ot.generateToken(ownSession, opts)],
    ['opentok T1', officialT1],
  ];
}

async function refused(res: Response): Promise<{ status: number; message: unknown }> {
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await res.json()) as { message?: unknown };
  return { status: res.status, message: body.message };
}

beforeAll(async () => {
  h = await Harness.start();
  ot = new OpenTok(API_KEY, API_SECRET, { apiUrl: h.server.url });
  ownSession = await h.session();
  otherSession = await h.session();
  victim = await h.join(otherSession, { data: 'victim' });
  bystander = await h.join(otherSession, { data: 'bystander' });
  await victim.client.nextOf('connectionCreated');
});

afterAll(async () => {
  await h.stop();
});

describe('a connection token sent as X-OPENTOK-AUTH', () => {
  it('cannot create a session', async () => {
    for (const [name, token] of participantTokens()) {
      const res = await fetch(`${h.server.url}/session/create`, {
        method: 'POST',
        headers: { 'X-OPENTOK-AUTH': token, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'p2p.preference=enabled',
      });
      const answer = await refused(res);
      expect([401, 403], name).toContain(answer.status);
      expect(answer.message, name).toMatch(/connection token/);
    }
  });

  it('cannot signal into another session, nor force a member of it out; its members notice nothing', async () => {
    const base = `${h.server.url}/v2/project/${API_KEY}/session/${otherSession}`;
    const victimId = victim.welcome.connection.connectionId;
    for (const [name, token] of participantTokens()) {
      const headers = { 'X-OPENTOK-AUTH': token, 'content-type': 'application/json' };
      const body = JSON.stringify({ type: 'phish', data: name });
      for (const url of [`${base}/signal`, `${base}/connection/${victimId}/signal`]) {
        const answer = await refused(await fetch(url, { method: 'POST', headers, body }));
        expect([401, 403], `${name} ${url}`).toContain(answer.status);
        expect(answer.message, name).toMatch(/connection token/);
      }
      const kick = await refused(await fetch(`${base}/connection/${victimId}`, { method: 'DELETE', headers }));
      expect([401, 403], name).toContain(kick.status);
      expect(kick.message, name).toMatch(/connection token/);
    }

    // The official SDK's own REST calls still work; its signal is the first one anyone receives,
    // so none of the refused ones got through, and nobody was disconnected.
    await new Promise<void>((resolve, reject) => {
      ot.signal(otherSession, null, { type: 'marker', data: 'from the backend' }, (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
    for (const member of [victim, bystander]) {
      expect(await member.client.nextOf('signal')).toEqual({
        t: 'signal',
        from: null,
        type: 'marker',
        data: 'from the backend',
      });
      expect(member.client.closed).toBeUndefined();
      expect(member.client.all('connectionDestroyed')).toEqual([]);
    }
  });

  it("leaves the official SDK's session creation working", async () => {
    const sessionId = await new Promise<string>((resolve, reject) => {
      ot.createSession({ mediaMode: 'routed' }, (err, session) => {
        if (err || session === undefined) reject(err ?? new Error('no session'));
        else resolve(session.sessionId);
      });
    });
    expect(await h.server.store.getSession(sessionId)).toMatchObject({ apiKey: API_KEY });
  });
});
