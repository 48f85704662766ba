/**
 * Roles end to end: each role (subscriber, publisher, publisheronly, moderator) tried against
 * each action it may and may not do, over the client SDK, over a raw WebSocket (so the SERVER's
 * own enforcement is checked, not only the client's local check) and over REST (which has no
 * role: the project's credentials may do anything in the project's sessions, and nothing in
 * another project's). Every wait has a deadline; nothing sleeps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BUS_KINDS } from '@parley/testkit';
import { SessionConnectionStatus, SessionErrorCode, type Capabilities } from '@parley/client';
import { capabilitiesFor, ROLES, type NackMessage, type Role, type ServerMessage } from '@parley/protocol';
import { mintRestJwt, Parley, ParleyApiError } from '@parley/server-sdk';
import { nextEvent, recordEvents } from '@parley/testkit';
import { API_KEY, OTHER_API_KEY, OTHER_API_SECRET, startHarness, type Harness } from './harness.js';
import {
  capabilitiesOf,
  Clients,
  rawJoin,
  rejection,
  seesOthers,
  T,
  type Joined,
  type RawClient,
} from './support-opentok.js';

describe.each(BUS_KINDS)('over the %s bus', (bus) => {
  let h: Harness | undefined;
  let clients: Clients | undefined;
  const raws: RawClient[] = [];

  afterEach(async () => {
    await Promise.all(raws.splice(0).map((r) => r.close().catch(() => undefined)));
    await clients?.cleanup();
    await h?.cleanup();
    h = undefined;
    clients = undefined;
  });

  async function harness(): Promise<{ env: Harness; c: Clients }> {
    h = await startHarness({}, bus);
    const env = h;
    clients = new Clients(() => env.nextUrl(), API_KEY);
    return { env: h, c: clients };
  }

  /** A client session of the harness session, connected with a token of `role`. */
  function joinAs(env: Harness, c: Clients, role: Role, data: string = role): Promise<Joined> {
    return c.join(env.sessionId, env.token({ role, data }));
  }

  /** A raw protocol client of the harness session with a token of `role`. */
  async function rawAs(env: Harness, role: Role): Promise<RawClient> {
    const raw = await rawJoin(env.server.wsUrl, API_KEY, env.sessionId, env.token({ role, data: `raw-${role}` }));
    raws.push(raw);
    return raw;
  }

  const isNack =
    (r: number) =>
    (m: ServerMessage): m is NackMessage =>
      m.t === 'nack' && m.r === r;

  const isAck =
    (a: number) =>
    (m: ServerMessage): m is Extract<ServerMessage, { t: 'ack' }> =>
      m.t === 'ack' && m.a >= a;

  /** Types of the signals `x` receives, in order. */
  function signalTypes(x: Joined): (string | undefined)[] {
    const types: (string | undefined)[] = [];
    x.session.on('signal', ({ type }) => types.push(type));
    return types;
  }

  describe('capabilities per role', () => {
    it("session.capabilities is OpenTok's table for each role, and the server's welcome names the role", async () => {
      const { env, c } = await harness();
      const expected: Record<Role, Capabilities> = {
        subscriber: {
          canPublish: false,
          canSubscribe: true,
          canSignal: true,
          canForceDisconnect: false,
          canForceUnpublish: false,
          canForceMute: false,
        },
        publisher: {
          canPublish: true,
          canSubscribe: true,
          canSignal: true,
          canForceDisconnect: false,
          canForceUnpublish: false,
          canForceMute: false,
        },
        publisheronly: {
          canPublish: true,
          canSubscribe: false,
          canSignal: false,
          canForceDisconnect: false,
          canForceUnpublish: false,
          canForceMute: false,
        },
        moderator: {
          canPublish: true,
          canSubscribe: true,
          canSignal: true,
          canForceDisconnect: true,
          canForceUnpublish: true,
          canForceMute: true,
        },
      };
      for (const role of ROLES) {
        const x = await joinAs(env, c, role);
        expect(capabilitiesOf(x.session.capabilities), role).toEqual(expected[role]);
        expect(capabilitiesFor(role), role).toEqual(expected[role]);
        const raw = await rawAs(env, role);
        expect(raw.welcome.role).toBe(role);
      }
      // A token without a role is a publisher.
      const noRole = await c.join(env.sessionId, env.token());
      expect(capabilitiesOf(noRole.session.capabilities)).toEqual(expected.publisher);
      // Not connected: nothing.
      await noRole.session.disconnect();
      expect(Object.values(noRole.session.capabilities).every((v) => v === false)).toBe(true);
    });
  });

  describe('signal per role', () => {
    it('subscriber, publisher and moderator may signal; everyone receives it', async () => {
      const { env, c } = await harness();
      const observer = await joinAs(env, c, 'publisher', 'observer');
      for (const role of ['subscriber', 'publisher', 'moderator'] as const) {
        const x = await joinAs(env, c, role);
        const got = nextEvent(observer.session, 'signal', T, (s) => s.type === `from-${role}`);
        const echo = nextEvent(x.session, 'signal', T, (s) => s.type === `from-${role}`);
        await x.session.signal({ type: `from-${role}`, data: role });
        expect((await got).from?.connectionId).toBe(x.id);
        expect((await echo).data).toBe(role);
        // And to one connection.
        const one = nextEvent(observer.session, 'signal', T, (s) => s.type === `dm-${role}`);
        await x.session.signal({ type: `dm-${role}`, to: observer.id });
        expect((await one).from?.connectionId).toBe(x.id);
      }
    });

    it('publisheronly may not: the promise rejects with 1550 and nobody receives it', async () => {
      const { env, c } = await harness();
      const observer = await joinAs(env, c, 'publisher', 'observer');
      const p = await joinAs(env, c, 'publisheronly');
      await seesOthers(observer.session, 1);
      const observed = signalTypes(observer);
      const own = signalTypes(p);
      const toAll = await rejection(p.session.signal({ type: 'nope', data: 'x' }));
      expect(toAll.code).toBe(SessionErrorCode.UnableToSendSignal);
      const toOne = await rejection(p.session.signal({ type: 'nope', to: observer.id }));
      expect(toOne.code).toBe(SessionErrorCode.UnableToSendSignal);
      // Ordered delivery: once the marker is in, a signal sent before it would already be.
      const mark = nextEvent(observer.session, 'signal', T, (s) => s.type === 'marker');
      const markP = nextEvent(p.session, 'signal', T, (s) => s.type === 'marker');
      await observer.session.signal({ type: 'marker' });
      await Promise.all([mark, markP]);
      expect(observed).toEqual(['marker']);
      expect(own).toEqual(['marker']);
      expect(p.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    });

    it('the SERVER refuses a publisheronly signal sent over a raw WebSocket: nack 1550, nobody receives it', async () => {
      const { env, c } = await harness();
      const observer = await joinAs(env, c, 'publisher', 'observer');
      const raw = await rawAs(env, 'publisheronly');
      await seesOthers(observer.session, 1);
      const observed = signalTypes(observer);
      raw.send({ t: 'signal', s: 1, type: 'sneaky', data: 'x' });
      raw.send({ t: 'signal', s: 2, type: 'sneaky', to: observer.id });
      expect(await raw.next(isNack(1), T, 'nack of request 1')).toMatchObject({
        code: SessionErrorCode.UnableToSendSignal,
      });
      expect(await raw.next(isNack(2), T, 'nack of request 2')).toMatchObject({
        code: SessionErrorCode.UnableToSendSignal,
      });
      await raw.next(isAck(2), T, 'ack of requests 1 and 2');
      const mark = nextEvent(observer.session, 'signal', T, (s) => s.type === 'marker');
      await observer.session.signal({ type: 'marker' });
      await mark;
      expect(observed).toEqual(['marker']);
      expect(raw.received.filter((m) => m.t === 'signal').map((m) => (m as { type?: string }).type)).not.toContain(
        'sneaky',
      );
    });
  });

  describe('forceDisconnect per role', () => {
    it('a moderator may: the target gets forceDisconnected (no error), the others connectionDestroyed', async () => {
      const { env, c } = await harness();
      const mod = await joinAs(env, c, 'moderator');
      const observer = await joinAs(env, c, 'subscriber', 'observer');
      for (const role of ROLES) {
        const failures: unknown[] = [];
        const target = await c.join(env.sessionId, env.token({ role, data: `target-${role}` }), {
          sessionDidFailWithError: (_s, e) => failures.push(e),
        });
        await seesOthers(mod.session, 2);
        const rec = recordEvents(target.session, ['sessionError', 'sessionDisconnected']);
        const destroyed = [mod, observer].map((x) =>
          nextEvent(x.session, 'connectionDestroyed', T, (e) => e.connection.connectionId === target.id),
        );
        await mod.session.forceDisconnect(target.id);
        const ended = (await rec.waitFor('sessionDisconnected', T)) as { reason: string };
        expect(ended.reason, role).toBe('forceDisconnected');
        expect(rec.names(), role).toEqual(['sessionDisconnected']);
        expect(failures, role).toEqual([]);
        expect(target.session.connectionStatus).toBe(SessionConnectionStatus.NotConnected);
        for (const e of await Promise.all(destroyed)) expect(e.reason, role).toBe('forceDisconnected');
      }
      expect(mod.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    });

    it('a moderator asking for an unknown connection gets 404, and the session is untouched', async () => {
      const { env, c } = await harness();
      const mod = await joinAs(env, c, 'moderator');
      expect((await rejection(mod.session.forceDisconnect('no-such-connection'))).code).toBe(SessionErrorCode.NotFound);
      // The server's answer for the same (the client may check locally first).
      const raw = await rawAs(env, 'moderator');
      raw.send({ t: 'forceDisconnect', s: 1, connectionId: 'no-such-connection' });
      expect(await raw.next(isNack(1), T, 'nack of request 1')).toMatchObject({ code: SessionErrorCode.NotFound });
      expect(mod.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    });

    it('a raw-WebSocket moderator may too (the server path of the client call)', async () => {
      const { env, c } = await harness();
      const target = await joinAs(env, c, 'publisher', 'target');
      const raw = await rawAs(env, 'moderator');
      const ended = nextEvent(target.session, 'sessionDisconnected', T);
      raw.send({ t: 'forceDisconnect', s: 1, connectionId: target.id });
      await raw.next(isAck(1), T, 'ack of request 1');
      expect(raw.received.some(isNack(1))).toBe(false);
      expect((await ended).reason).toBe('forceDisconnected');
      const destroyed = await raw.next(
        (m): m is Extract<ServerMessage, { t: 'connectionDestroyed' }> =>
          m.t === 'connectionDestroyed' && m.connectionId === target.id,
        T,
        'connectionDestroyed of the target',
      );
      expect(destroyed.reason).toBe('forceDisconnected');
    });

    for (const role of ['subscriber', 'publisher', 'publisheronly'] as const) {
      it(`a ${role} may not: 1520 from the client, and nack 1520 from the server over a raw WebSocket`, async () => {
        const { env, c } = await harness();
        const target = await joinAs(env, c, 'publisher', 'target');
        const x = await joinAs(env, c, role);
        await seesOthers(target.session, 1);
        const targetRec = recordEvents(target.session, ['sessionError', 'sessionDisconnected', 'connectionDestroyed']);

        // The client's own check.
        const local = await rejection(x.session.forceDisconnect(target.id));
        expect(local.code).toBe(SessionErrorCode.UnableToForceDisconnect);

        // The server's: the same request, sent by hand.
        const raw = await rawAs(env, role);
        raw.send({ t: 'forceDisconnect', s: 1, connectionId: target.id });
        expect(await raw.next(isNack(1), T, 'nack of request 1')).toMatchObject({
          code: SessionErrorCode.UnableToForceDisconnect,
        });
        await raw.next(isAck(1), T, 'ack of request 1');

        // The target is still there: a REST signal sent now reaches it, and nothing ended before it.
        const got = nextEvent(target.session, 'signal', T, (s) => s.type === 'still-here');
        await env.parley.signal(env.sessionId, { type: 'still-here' }, target.id);
        await got;
        expect(targetRec.names()).toEqual([]);
        expect(target.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
        expect(x.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
        expect(x.session.connections.has(target.id)).toBe(true);
      });
    }
  });

  describe('REST has no role: the project credentials may act on any connection', () => {
    it('signal to each role, to all, and forceDisconnect of each role (the moderator included)', async () => {
      const { env, c } = await harness();
      const byRole = new Map<Role, Joined>();
      for (const role of ROLES) byRole.set(role, await joinAs(env, c, role));
      const all = [...byRole.values()];
      await Promise.all(all.map((x) => seesOthers(x.session, ROLES.length - 1)));

      const toAll = all.map((x) => nextEvent(x.session, 'signal', T, (s) => s.type === 'rest-all'));
      await env.parley.signal(env.sessionId, { type: 'rest-all', data: 'everyone' });
      for (const e of await Promise.all(toAll)) expect(e.from).toBeNull();
      for (const [role, x] of byRole) {
        const got = nextEvent(x.session, 'signal', T, (s) => s.type === 'rest-one');
        await env.parley.signal(env.sessionId, { type: 'rest-one', data: role }, x.id);
        const e = await got;
        expect(e.data).toBe(role);
        expect(e.from).toBeNull();
      }

      for (const [role, x] of byRole) {
        const ended = nextEvent(x.session, 'sessionDisconnected', T);
        await env.parley.forceDisconnect(env.sessionId, x.id);
        expect((await ended).reason, role).toBe('forceDisconnected');
      }
      expect(env.connectionCount()).toBe(0);
    });

    it("another project's credentials cannot touch this project's session (404 by its own path, 401/403 on ours)", async () => {
      const { env, c } = await harness();
      const a = await joinAs(env, c, 'publisher', 'a');
      const b = await joinAs(env, c, 'moderator', 'b');
      await seesOthers(a.session, 1);
      const seen = [a, b].map(signalTypes);
      const rec = [a, b].map((x) => recordEvents(x.session, ['sessionDisconnected', 'connectionDestroyed']));

      // Through its own project path: the session is not one of its sessions.
      const other = new Parley(OTHER_API_KEY, OTHER_API_SECRET, { apiUrl: env.server.url });
      for (const attempt of [
        () => other.signal(env.sessionId, { type: 'intruder' }),
        () => other.signal(env.sessionId, { type: 'intruder' }, a.id),
        () => other.forceDisconnect(env.sessionId, a.id),
      ]) {
        const e = await attempt().then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(e).toBeInstanceOf(ParleyApiError);
        expect((e as ParleyApiError).status).toBe(404);
      }

      // Through this project's path, authenticated as the other project.
      const jwt = mintRestJwt(OTHER_API_KEY, OTHER_API_SECRET);
      const base = `${env.server.url}/v2/project/${API_KEY}/session/${encodeURIComponent(env.sessionId)}`;
      const requests: [string, RequestInit][] = [
        [`${base}/signal`, { method: 'POST', body: JSON.stringify({ type: 'intruder' }) }],
        [`${base}/connection/${a.id}/signal`, { method: 'POST', body: JSON.stringify({ type: 'intruder' }) }],
        [`${base}/connection/${a.id}`, { method: 'DELETE' }],
      ];
      for (const [url, init] of requests) {
        const res = await fetch(url, {
          ...init,
          headers: { 'X-OPENTOK-AUTH': jwt, 'Content-Type': 'application/json' },
        });
        expect([401, 403], `${init.method} ${url}`).toContain(res.status);
        expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
        expect(((await res.json()) as { message?: unknown }).message).toEqual(expect.any(String));
      }

      // Nothing happened: a genuine signal arrives first and nobody left.
      const marks = [a, b].map((x) => nextEvent(x.session, 'signal', T, (s) => s.type === 'marker'));
      await env.parley.signal(env.sessionId, { type: 'marker' });
      await Promise.all(marks);
      expect(seen).toEqual([['marker'], ['marker']]);
      expect(rec.map((r) => r.names())).toEqual([[], []]);
      expect(a.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    });
  });
});
