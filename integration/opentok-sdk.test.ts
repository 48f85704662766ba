/**
 * The official OpenTok Node server SDK (opentok@2.23.2), unchanged but for `apiUrl`, against a
 * REAL Parley server (port 0, in-memory store) with real `@parley/client` sessions connected with
 * the tokens it mints. Our own `@parley/server-sdk` `Parley` class does the same REST calls.
 * Every wait has a deadline; nothing sleeps.
 */
import OpenTok from 'opentok';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionConnectionStatus, type Connection } from '@parley/client';
import { capabilitiesFor, parseSessionId, ROLES, type Role } from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import { Parley, ParleyApiError } from '@parley/server-sdk';
import { BUS_KINDS, nextEvent, recordEvents, startNodes, type Nodes } from '@parley/testkit';
import { API_KEY, API_SECRET, OTHER_API_KEY, OTHER_API_SECRET } from './harness.js';
import {
  call,
  capabilitiesOf,
  Clients,
  done,
  sdkError,
  seesOthers,
  T,
  watchProcess,
  type Joined,
} from './support-opentok.js';

describe.each(BUS_KINDS)('over the %s bus', (bus) => {
  let nodes: Nodes;
  /** The node the REST calls go to (the sessions are spread over every node). */
  let server: ParleyServer;
  let ot: OpenTok;
  let clients: Clients;
  let watch: ReturnType<typeof watchProcess>;

  beforeEach(async () => {
    watch = watchProcess();
    nodes = await startNodes(bus, {
      port: 0,
      dataDir: ':memory:',
      projects: [
        { apiKey: API_KEY, apiSecret: API_SECRET },
        { apiKey: OTHER_API_KEY, apiSecret: OTHER_API_SECRET },
      ],
    });
    server = nodes.servers[0] as ParleyServer;
    ot = new OpenTok(API_KEY, API_SECRET, { apiUrl: server.url });
    clients = new Clients(() => nodes.next().url, API_KEY);
  });

  afterEach(async () => {
    await clients.cleanup();
    await nodes.close();
    watch.stop();
    // An SDK crash path shows up here as an uncaught exception or an unhandled rejection.
    expect(watch.errors).toEqual([]);
  });

  async function createSession(opts: OpenTok.SessionOptions = {}): Promise<string> {
    const session = await call<OpenTok.Session>((cb) => {
      ot.createSession(opts, cb);
    });
    if (session === undefined) throw new Error('createSession answered no session');
    return session.sessionId;
  }

  /** Three publishers in a new session, all seeing each other. */
  async function threeClients(): Promise<{ sessionId: string; all: Joined[] }> {
    const sessionId = await createSession();
    const all: Joined[] = [];
    for (const name of ['a', 'b', 'c'])
      all.push(await clients.join(sessionId, ot.generateToken(sessionId, { data: `name=${name}` })));
    await Promise.all(all.map((x) => seesOthers(x.session, 2)));
    return { sessionId, all };
  }

  describe('createSession through the official SDK', () => {
    it('creates a relayed session by default and a routed one on request; clients can join both', async () => {
      const relayed = await call<OpenTok.Session>((cb) => {
        ot.createSession(cb);
      });
      const routed = await call<OpenTok.Session>((cb) => {
        ot.createSession({ mediaMode: 'routed' }, cb);
      });
      if (relayed === undefined || routed === undefined) throw new Error('no session');
      expect(parseSessionId(relayed.sessionId)).toMatchObject({ apiKey: API_KEY, relayed: true });
      expect(parseSessionId(routed.sessionId)).toMatchObject({ apiKey: API_KEY, relayed: false });
      expect(relayed.sessionId).not.toBe(routed.sessionId);
      expect(await server.store.getSession(relayed.sessionId)).toMatchObject({ apiKey: API_KEY, mediaMode: 'relayed' });
      expect(await server.store.getSession(routed.sessionId)).toMatchObject({ apiKey: API_KEY, mediaMode: 'routed' });
      for (const s of [relayed, routed]) {
        // The SDK's Session object mints tokens too.
        const joined = await clients.join(s.sessionId, s.generateToken());
        expect(joined.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
      }
    });
  });

  describe('generateToken of the official SDK, used by Parley clients', () => {
    for (const [format, t1] of [
      ['JWT (default)', false],
      ['T1', true],
    ] as const) {
      it(`${format}: every role joins with role-correct capabilities, and its connection data reaches the peers`, async () => {
        const sessionId = await createSession({ mediaMode: 'routed' });
        const observer = await clients.join(
          sessionId,
          ot.generateToken(sessionId, { role: 'subscriber', data: 'observer' }, t1),
        );
        for (const role of ROLES) {
          const data = `role=${role}&name=Zoë ${role}`;
          const token = ot.generateToken(sessionId, { role, data }, t1);
          expect(token.startsWith(t1 ? 'T1==' : 'eyJ')).toBe(true);
          const seen = nextEvent(observer.session, 'connectionCreated', T);
          const joined = await clients.join(sessionId, token);
          expect(capabilitiesOf(joined.session.capabilities), role).toEqual(capabilitiesFor(role));
          expect(joined.session.connection?.data).toBe(data);
          const { connection } = await seen;
          expect(connection.connectionId).toBe(joined.id);
          expect(connection.data).toBe(data);
        }
        // And without data or role: a publisher with empty data.
        const plain = await clients.join(sessionId, ot.generateToken(sessionId, undefined, t1));
        expect(capabilitiesOf(plain.session.capabilities)).toEqual(capabilitiesFor('publisher'));
        expect(plain.session.connection?.data).toBe('');
        // The late joiner sees everyone's data too (through welcome, not connectionCreated).
        const datas = [...plain.session.connections.values()].map((c: Connection) => c.data).sort();
        expect(datas).toEqual(['observer', ...ROLES.map((r: Role) => `role=${r}&name=Zoë ${r}`)].sort());
      });
    }
  });

  describe('signal through the official SDK', () => {
    it('to all: every client receives it, with from null', async () => {
      const { sessionId, all } = await threeClients();
      const got = all.map((x) => nextEvent(x.session, 'signal', T, (s) => s.type === 'broadcast'));
      await done((cb) => {
        ot.signal(sessionId, null, { type: 'broadcast', data: 'hello everyone' }, cb);
      });
      for (const e of await Promise.all(got)) {
        expect(e.from).toBeNull();
        expect(e.data).toBe('hello everyone');
      }
    });

    it('to one connection: only that client receives it', async () => {
      const { sessionId, all } = await threeClients();
      const [a, b, c] = all as [Joined, Joined, Joined];
      const received = all.map((x) => {
        const types: (string | undefined)[] = [];
        x.session.on('signal', ({ type }) => types.push(type));
        return types;
      });
      const bGot = nextEvent(b.session, 'signal', T, (s) => s.type === 'private');
      await done((cb) => {
        ot.signal(sessionId, b.id, { type: 'private', data: 'just you' }, cb);
      });
      const e = await bGot;
      expect(e.from).toBeNull();
      expect(e.data).toBe('just you');
      // A later broadcast reaches everyone after anything sent to them before it.
      const marks = all.map((x) => nextEvent(x.session, 'signal', T, (s) => s.type === 'marker'));
      await done((cb) => {
        ot.signal(sessionId, null, { type: 'marker' }, cb);
      });
      await Promise.all(marks);
      expect(received[0]).toEqual(['marker']);
      expect(received[1]).toEqual(['private', 'marker']);
      expect(received[2]).toEqual(['marker']);
      expect([a, c].every((x) => x.session.connectionStatus === SessionConnectionStatus.Connected)).toBe(true);
    });
  });

  describe('forceDisconnect through the official SDK', () => {
    it('the client gets sessionDidDisconnect with forceDisconnected and no error; the others connectionDestroyed', async () => {
      const sessionId = await createSession();
      const failures: unknown[] = [];
      let didDisconnect = 0;
      const target = await clients.join(sessionId, ot.generateToken(sessionId, { data: 'target' }), {
        sessionDidFailWithError: (_s, error) => failures.push(error),
        sessionDidDisconnect: () => didDisconnect++,
      });
      const others = [
        await clients.join(sessionId, ot.generateToken(sessionId, { role: 'moderator' })),
        await clients.join(sessionId, ot.generateToken(sessionId, { role: 'subscriber' })),
      ];
      await Promise.all([target, ...others].map((x) => seesOthers(x.session, 2)));
      const rec = recordEvents(target.session, ['sessionError', 'sessionDisconnected']);
      const destroyed = others.map((x) => nextEvent(x.session, 'connectionDestroyed', T));

      await done((cb) => {
        ot.forceDisconnect(sessionId, target.id, cb);
      });

      const ended = (await rec.waitFor('sessionDisconnected', T)) as { reason: string };
      expect(ended.reason).toBe('forceDisconnected');
      expect(rec.names()).toEqual(['sessionDisconnected']);
      expect(failures).toEqual([]);
      expect(didDisconnect).toBe(1);
      expect(target.session.connectionStatus).toBe(SessionConnectionStatus.NotConnected);
      for (const e of await Promise.all(destroyed)) {
        expect(e.connection.connectionId).toBe(target.id);
        expect(e.reason).toBe('forceDisconnected');
      }
      for (const x of others) expect(x.session.connections.has(target.id)).toBe(false);
      // The connection is gone: a second forceDisconnect of it is an error, not a crash.
      expect(
        (
          await sdkError((cb) => {
            ot.forceDisconnect(sessionId, target.id, cb);
          })
        ).message,
      ).toBe('Session or Connection not found');
    });
  });

  describe('errors the official SDK reports (and survives)', () => {
    it('an unknown session or connection: "Session or Connection not found"', async () => {
      const { sessionId, all } = await threeClients();
      const a = (all[0] as Joined).id;
      const unknownSession = (await createSession()).slice(0, -4) + 'AAAA';
      expect(parseSessionId(unknownSession)).not.toBeNull();
      const cases: [string, (cb: (err: Error | null) => void) => void][] = [
        [
          'signal, unknown connection',
          (cb) => {
            ot.signal(sessionId, 'no-such-connection', { data: 'x' }, cb);
          },
        ],
        [
          'signal, unknown session',
          (cb) => {
            ot.signal(unknownSession, null, { data: 'x' }, cb);
          },
        ],
        [
          'signal, unknown session, known connection',
          (cb) => {
            ot.signal(unknownSession, a, { data: 'x' }, cb);
          },
        ],
        [
          'forceDisconnect, unknown connection',
          (cb) => {
            ot.forceDisconnect(sessionId, 'no-such-connection', cb);
          },
        ],
        [
          'forceDisconnect, unknown session',
          (cb) => {
            ot.forceDisconnect(unknownSession, a, cb);
          },
        ],
      ];
      for (const [what, fn] of cases)
        expect((await sdkError(fn)).message, what).toBe('Session or Connection not found');
      // Nobody was disconnected by any of it.
      for (const x of all) expect(x.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    });

    it('a forged secret: "Invalid API key or secret", and nothing reaches the clients', async () => {
      const { sessionId, all } = await threeClients();
      const forged = new OpenTok(API_KEY, 'wrong', { apiUrl: server.url });
      const [a] = all as [Joined];
      const received: string[] = [];
      for (const x of all) x.session.on('signal', ({ type }) => received.push(type ?? ''));
      expect(
        (
          await sdkError((cb) => {
            forged.createSession(cb);
          })
        ).message,
      ).toBe('Failed to createSession. Error: Invalid API key or secret');
      expect(
        (
          await sdkError((cb) => {
            forged.signal(sessionId, null, { type: 'forged', data: 'x' }, cb);
          })
        ).message,
      ).toBe('Invalid API key or secret');
      expect(
        (
          await sdkError((cb) => {
            forged.signal(sessionId, a.id, { type: 'forged', data: 'x' }, cb);
          })
        ).message,
      ).toBe('Invalid API key or secret');
      expect(
        (
          await sdkError((cb) => {
            forged.forceDisconnect(sessionId, a.id, cb);
          })
        ).message,
      ).toBe('Invalid API key or secret');
      // A genuine broadcast afterwards arrives first: the forged ones never did.
      const marks = all.map((x) => nextEvent(x.session, 'signal', T, (s) => s.type === 'marker'));
      await done((cb) => {
        ot.signal(sessionId, null, { type: 'marker' }, cb);
      });
      await Promise.all(marks);
      expect(received).toEqual(['marker', 'marker', 'marker']);
      expect(a.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    });

    it('listStreams answers [] and archive calls answer an error, with clients connected', async () => {
      const { sessionId } = await threeClients();
      expect(
        await call((cb) => {
          ot.listStreams(sessionId, cb);
        }),
      ).toEqual([]);
      const errors = [
        await sdkError((cb) => {
          ot.startArchive(sessionId, { name: 'rec' }, cb);
        }),
        await sdkError((cb) => {
          ot.listArchives({}, cb);
        }),
      ];
      for (const err of errors) expect(err.message).toMatch(/not supported by Parley/);
    });
  });

  describe('the same calls through @parley/server-sdk', () => {
    it('signal to all, to one, and forceDisconnect', async () => {
      const { sessionId, all } = await threeClients();
      const [a, b, c] = all as [Joined, Joined, Joined];
      const parley = new Parley(API_KEY, API_SECRET, { apiUrl: server.url });
      const received = all.map((x) => {
        const got: string[] = [];
        x.session.on('signal', ({ type, data, from }) =>
          got.push(`${type}:${data}:${from === null ? 'null' : from.connectionId}`),
        );
        return got;
      });

      const toAll = all.map((x) => nextEvent(x.session, 'signal', T, (s) => s.type === 'all'));
      await parley.signal(sessionId, { type: 'all', data: 'everyone' });
      await Promise.all(toAll);
      const toB = nextEvent(b.session, 'signal', T, (s) => s.type === 'one');
      await parley.signal(sessionId, { type: 'one', data: 'only b' }, b.id);
      await toB;
      expect(received[0]).toEqual(['all:everyone:null']);
      expect(received[1]).toEqual(['all:everyone:null', 'one:only b:null']);
      expect(received[2]).toEqual(['all:everyone:null']);

      const cEnded = nextEvent(c.session, 'sessionDisconnected', T);
      const destroyed = [a, b].map((x) => nextEvent(x.session, 'connectionDestroyed', T));
      await parley.forceDisconnect(sessionId, c.id);
      expect((await cEnded).reason).toBe('forceDisconnected');
      for (const e of await Promise.all(destroyed)) {
        expect(e.connection.connectionId).toBe(c.id);
        expect(e.reason).toBe('forceDisconnected');
      }
      // After the fact, c is unknown: a 404 ParleyApiError with the server's message.
      const gone = await parley.forceDisconnect(sessionId, c.id).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(gone).toBeInstanceOf(ParleyApiError);
      expect(gone).toMatchObject({ status: 404, message: 'Session or connection not found' });
      const forged = await new Parley(API_KEY, 'wrong', { apiUrl: server.url }).signal(sessionId, { data: 'x' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(forged).toBeInstanceOf(ParleyApiError);
      expect([401, 403]).toContain((forged as ParleyApiError).status);
    });
  });
});
