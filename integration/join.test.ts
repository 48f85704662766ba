/**
 * Joining a session end to end: the client SDK against the real server (issue 2 behaviour the
 * reconnection work builds on). Every wait has a deadline; nothing sleeps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BUS_KINDS } from '@parley/testkit';
import {
  Session,
  SessionConnectionStatus,
  SessionErrorCode,
  type Connection,
  type ParleyError,
  type SessionDelegate,
} from '@parley/client';
import { generateToken, mintSessionId, Parley } from '@parley/server-sdk';
import { nextEvent, recordEvents } from '@parley/testkit';
import {
  API_KEY,
  API_SECRET,
  closedPort,
  expiredToken,
  inbox,
  OTHER_API_KEY,
  OTHER_API_SECRET,
  startHarness,
  type Harness,
} from './harness.js';
import { rejection, seesOthers, T } from './support-opentok.js';

describe.each(BUS_KINDS)('over the %s bus', (bus) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  async function harness(extra: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
    h = await startHarness(extra, bus);
    return h;
  }

  describe('joining a session', () => {
    it('two clients: the one already there is announced after sessionConnected, the later one when it joins', async () => {
      const env = await harness();
      const alice = await env.client({ data: 'alice' });
      const aliceSeesBob = nextEvent(alice.session, 'connectionCreated', T);

      const bob = await env.client({ connect: false, data: 'bob' });
      const rec = recordEvents(bob.session, ['sessionConnected', 'connectionCreated']);
      await bob.session.connect(bob.token);
      await rec.waitFor('connectionCreated', T);

      expect(rec.names()).toEqual(['sessionConnected', 'connectionCreated']);
      const created = rec.events[1]?.event as { connection: Connection };
      expect(created.connection.connectionId).toBe(alice.id);
      expect(created.connection.data).toBe('alice');
      const { connection } = await aliceSeesBob;
      expect(connection.connectionId).toBe(bob.id);
      expect(connection.data).toBe('bob');
      expect(bob.session.connection?.data).toBe('bob');
      expect(alice.id).not.toBe(bob.id);
    });

    it('ten clients: each sees the nine others exactly once', async () => {
      const env = await harness();
      const created = new Map<Session, string[]>();
      const clients = [];
      for (let i = 0; i < 10; i++) {
        const c = await env.client({ connect: false, data: `c${i}` });
        const ids: string[] = [];
        created.set(c.session, ids);
        c.session.on('connectionCreated', ({ connection }) => ids.push(connection.connectionId));
        await c.session.connect(c.token);
        clients.push(c);
      }
      await Promise.all(clients.map((c) => seesOthers(c.session, 9)));
      for (const c of clients) {
        const ids = created.get(c.session) ?? [];
        expect(ids).toHaveLength(9);
        expect(new Set(ids).size).toBe(9);
        expect(ids).not.toContain(c.id);
      }
    });

    it('disconnect(): the others get connectionDestroyed with reason clientDisconnected', async () => {
      const env = await harness();
      const alice = await env.client();
      const bob = await env.client();
      await seesOthers(alice.session, 1);
      const destroyed = nextEvent(alice.session, 'connectionDestroyed', T);
      const bobDisconnected = nextEvent(bob.session, 'sessionDisconnected', T);
      await bob.session.disconnect();
      expect((await bobDisconnected).reason).toBe('clientDisconnected');
      const e = await destroyed;
      expect(e.connection.connectionId).toBe(bob.id);
      expect(e.reason).toBe('clientDisconnected');
      expect(alice.session.connections.size).toBe(0);
      expect(bob.session.connectionStatus).toBe(SessionConnectionStatus.NotConnected);
    });

    it('an abrupt socket close: the others see the connection destroyed with networkDisconnected once the window is over', async () => {
      const env = await harness({ timings: { heartbeatInterval: 100, heartbeatTimeout: 400, reconnectWindow: 1_000 } });
      const alice = await env.client();
      const bob = await env.client({ proxied: true });
      await seesOthers(alice.session, 1);
      const destroyed = nextEvent(alice.session, 'connectionDestroyed', T);
      const bobRec = recordEvents(bob.session, ['sessionReconnecting', 'sessionError', 'sessionDisconnected']);
      bob.proxy?.refuse(true); // the network stays down...
      bob.proxy?.cut(); // ...after the socket dies abruptly
      const e = await destroyed;
      expect(e.connection.connectionId).toBe(bob.id);
      expect(e.reason).toBe('networkDisconnected');
      await bobRec.waitFor('sessionDisconnected', T);
      expect(bobRec.names()).toEqual(['sessionReconnecting', 'sessionError', 'sessionDisconnected']);
    });

    it('a signal to everyone reaches everyone, the sender included, from the sender', async () => {
      const env = await harness();
      const [a, b, c] = [await env.client(), await env.client(), await env.client()];
      await Promise.all([a, b, c].map((x) => seesOthers(x.session, 2)));
      const got = [a, b, c].map((x) => nextEvent(x.session, 'signal', T, (s) => s.type === 'chat'));
      await a.session.signal({ type: 'chat', data: 'hello all' });
      for (const e of await Promise.all(got)) {
        expect(e.data).toBe('hello all');
        expect(e.from?.connectionId).toBe(a.id);
      }
    });

    it('a signal to one connection reaches only it', async () => {
      const env = await harness();
      const [a, b, c] = [await env.client(), await env.client(), await env.client()];
      await Promise.all([a, b, c].map((x) => seesOthers(x.session, 2)));
      const inboxes = [a, b, c].map((x) => inbox(x.session));
      const bGot = nextEvent(b.session, 'signal', T, (s) => s.type === 'private');
      await a.session.signal({ type: 'private', data: 'just you', to: b.id });
      expect((await bGot).from?.connectionId).toBe(a.id);
      // Everything a sends reaches each receiver in order, so once c and a have a later broadcast
      // they would already have had the private one.
      const marks = [a, c].map((x) => nextEvent(x.session, 'signal', T, (s) => s.type === 'marker'));
      await a.session.signal({ type: 'marker' });
      await Promise.all(marks);
      expect(inboxes[0]?.data('private')).toEqual([]);
      expect(inboxes[1]?.data('private')).toEqual(['just you']);
      expect(inboxes[2]?.data('private')).toEqual([]);
    });

    it('a burst of 400 signals sent at once reaches every receiver, the sender included, once and in order', async () => {
      // The rate limit is raised: this is about framing (the server batches one tick's messages per
      // socket into one frame), not about the limiter.
      const env = await harness({ signalRate: { perSecond: 100_000, burst: 100_000 } });
      const [a, b] = [await env.client(), await env.client()];
      await seesOthers(a.session, 1);
      const inboxes = [a, b].map((x) => inbox(x.session));
      const failures = [a, b].map((x) => recordEvents(x.session, ['sessionError']));
      const sent = Array.from({ length: 400 }, (_, i) => `b${i}`);
      const lastArrives = [a, b].map((x) => nextEvent(x.session, 'signal', T, (e) => e.data === 'b399'));
      const outcome = await Promise.all(sent.map((data) => a.session.signal({ type: 'burst', data }))).then(
        () => 'all resolved',
        (e: unknown) => String(e),
      );
      expect(outcome).toBe('all resolved');
      await Promise.all(lastArrives);
      for (const box of inboxes) expect(box.data('burst')).toEqual(sent);
      for (const rec of failures) expect(rec.events).toEqual([]);
    });

    it('a REST signal from the server SDK arrives with from null', async () => {
      const env = await harness();
      const a = await env.client();
      const got = nextEvent(a.session, 'signal', T, (s) => s.type === 'rest');
      await env.parley.signal(env.sessionId, { type: 'rest', data: 'from the backend' });
      const e = await got;
      expect(e.from).toBeNull();
      expect(e.data).toBe('from the backend');
    });

    it('status changes in order: Connecting, Connected, Disconnecting, NotConnected', async () => {
      const env = await harness();
      const a = await env.client({ connect: false });
      const statuses: SessionConnectionStatus[] = [];
      a.session.on('connectionStatusChanged', ({ status }) => statuses.push(status));
      expect(a.session.connectionStatus).toBe(SessionConnectionStatus.NotConnected);
      await a.session.connect(a.token);
      await a.session.disconnect();
      expect(statuses).toEqual([
        SessionConnectionStatus.Connecting,
        SessionConnectionStatus.Connected,
        SessionConnectionStatus.Disconnecting,
        SessionConnectionStatus.NotConnected,
      ]);
    });

    it('delegate methods and events both fire, the delegate first', async () => {
      const env = await harness();
      const calls: string[] = [];
      const delegate: SessionDelegate = {
        sessionDidConnect: () => calls.push('delegate:connect'),
        sessionConnectionCreated: () => calls.push('delegate:connectionCreated'),
        sessionReceivedSignal: (_s, type, from, data) =>
          calls.push(`delegate:signal:${type}:${data}:${from === null ? 'null' : 'conn'}`),
        sessionConnectionDestroyed: () => calls.push('delegate:connectionDestroyed'),
        sessionDidDisconnect: () => calls.push('delegate:disconnect'),
      };
      const a = await env.client({ connect: false, delegate });
      a.session.on('sessionConnected', () => calls.push('event:connect'));
      a.session.on('connectionCreated', () => calls.push('event:connectionCreated'));
      a.session.on('signal', ({ type, data }) => calls.push(`event:signal:${type}:${data}`));
      a.session.on('connectionDestroyed', () => calls.push('event:connectionDestroyed'));
      a.session.on('sessionDisconnected', () => calls.push('event:disconnect'));
      await a.session.connect(a.token);
      const b = await env.client();
      await seesOthers(a.session, 1);
      const got = nextEvent(a.session, 'signal', T);
      await b.session.signal({ type: 't', data: 'd' });
      await got;
      const gone = nextEvent(a.session, 'connectionDestroyed', T);
      await b.session.disconnect();
      await gone;
      await a.session.disconnect();
      expect(calls).toEqual([
        'delegate:connect',
        'event:connect',
        'delegate:connectionCreated',
        'event:connectionCreated',
        'delegate:signal:t:d:conn',
        'event:signal:t:d',
        'delegate:connectionDestroyed',
        'event:connectionDestroyed',
        'delegate:disconnect',
        'event:disconnect',
      ]);
    });
  });

  describe('connect errors', () => {
    /** Connect with `token`; returns the rejection, checking sessionError and the delegate saw the same code. */
    async function refused(session: Session, token: string, failures: ParleyError[]): Promise<ParleyError> {
      const event = nextEvent(session, 'sessionError', T);
      const error = await rejection(session.connect(token));
      expect((await event).error.code).toBe(error.code);
      expect(failures.at(-1)?.code).toBe(error.code);
      expect(session.connectionStatus).toBe(SessionConnectionStatus.NotConnected);
      return error;
    }

    function session(
      url: string,
      failures: ParleyError[],
      sessionId?: string,
      options: { connectRetryDelays?: number[] } = {},
    ): Session {
      return new Session(
        API_KEY,
        sessionId ?? h?.sessionId ?? '',
        { sessionDidFailWithError: (_s, e) => failures.push(e) },
        { url, ...options },
      );
    }

    it('1004 for a garbage token, a wrong signature, an expired token and a token of another project', async () => {
      const env = await harness();
      const failures: ParleyError[] = [];
      const other = await new Parley(OTHER_API_KEY, OTHER_API_SECRET, { apiUrl: env.server.url }).createSession();
      const tokens = {
        garbage: 'not-a-token',
        wrongSignature: generateToken(API_KEY, 'not-the-secret', env.sessionId),
        expired: expiredToken(env.sessionId),
        otherProject: generateToken(OTHER_API_KEY, OTHER_API_SECRET, other.sessionId),
      };
      for (const [what, token] of Object.entries(tokens)) {
        const error = await refused(session(env.server.url, failures), token, failures);
        expect(error.code, what).toBe(SessionErrorCode.AuthorizationFailure);
      }
    });

    it('1005 for a malformed session ID and for a session the server does not know', async () => {
      const env = await harness();
      const failures: ParleyError[] = [];
      const malformed = await refused(session(env.server.url, failures, 'not-a-session-id'), env.token(), failures);
      expect(malformed.code).toBe(SessionErrorCode.InvalidSession);
      const unknown = mintSessionId(API_KEY);
      const error = await refused(
        session(env.server.url, failures, unknown),
        generateToken(API_KEY, API_SECRET, unknown),
        failures,
      );
      expect(error.code).toBe(SessionErrorCode.InvalidSession);
    });

    it('1006 when the server is unreachable: refused by the network, or nothing listening', async () => {
      const env = await harness();
      const failures: ParleyError[] = [];
      const proxy = await env.proxy();
      proxy.refuse(true);
      const viaProxy = await refused(
        session(proxy.url(env.server.url), failures, undefined, { connectRetryDelays: [10] }),
        env.token(),
        failures,
      );
      expect(viaProxy.code).toBe(SessionErrorCode.ConnectionFailed);
      expect(proxy.refused).toBe(3); // the documented default: 3 attempts
      const port = await closedPort();
      const nothing = await refused(
        session(`http://127.0.0.1:${port}`, failures, undefined, { connectRetryDelays: [10] }),
        env.token(),
        failures,
      );
      expect(nothing.code).toBe(SessionErrorCode.ConnectionFailed);
    });

    it('1015 for connect() while connecting or connected', async () => {
      const env = await harness();
      const a = await env.client({ connect: false });
      const first = a.session.connect(a.token);
      expect((await rejection(a.session.connect(a.token))).code).toBe(SessionErrorCode.IllegalState);
      await first;
      expect((await rejection(a.session.connect(a.token))).code).toBe(SessionErrorCode.IllegalState);
      expect(a.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    });

    it('1027 when the session is full (maxConnectionsPerSession: 2)', async () => {
      const env = await harness({ maxConnectionsPerSession: 2 });
      await env.client();
      await env.client();
      const failures: ParleyError[] = [];
      const error = await refused(session(env.server.url, failures), env.token(), failures);
      expect(error.code).toBe(SessionErrorCode.ConnectionLimitExceeded);
    });
  });
});
