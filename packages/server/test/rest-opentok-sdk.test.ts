/**
 * The REST API driven by the REAL official OpenTok Node SDK (opentok@2.23.2), handler tier:
 * createRestApi on a plain node:http server, an in-memory Store and a recording fake core.
 */
import OpenTok from 'opentok';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseSessionId } from '@parley/protocol';
import {
  API_KEY,
  API_SECRET,
  OTHER_KEY,
  OTHER_SECRET,
  startRestHarness,
  type RestHarness,
} from './support/rest-harness.js';

type Cb<T> = (err: Error | null, result?: T) => void;

/** Promisify one SDK callback call. */
function call<T>(fn: (cb: Cb<T>) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    fn((err, result) => {
      if (err) reject(err);
      else resolve(result);
    });
  });
}

/** The error an SDK call reports (fails the test if it succeeds). */
async function sdkError(fn: (cb: Cb<unknown>) => void): Promise<Error> {
  try {
    await call(fn);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the SDK call to fail');
}

function createSession(ot: OpenTok, opts: OpenTok.SessionOptions = {}): Promise<OpenTok.Session> {
  return call<OpenTok.Session>((cb) => {
    ot.createSession(opts, cb);
  }).then((s) => {
    if (s === undefined) throw new Error('no session');
    return s;
  });
}

function decodeJwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

let h: RestHarness;
let ot: OpenTok;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  h = await startRestHarness();
  ot = new OpenTok(API_KEY, API_SECRET, { apiUrl: h.baseUrl });
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await h.close();
});

afterEach(() => {
  // An SDK crash path (`opentok@2.23.2` lib/api.js reads `body.message` of any non-2xx answer) shows up as an unhandled rejection in this process.
  expect(unhandled).toEqual([]);
  h.realtime.calls.length = 0;
  h.requests.length = 0;
});

describe('createSession through the official SDK', () => {
  it('creates a relayed, manually archived session by default, bound to the project', async () => {
    const session = await createSession(ot);
    const parsed = parseSessionId(session.sessionId);
    expect(parsed?.apiKey).toBe(API_KEY);
    expect(parsed?.relayed).toBe(true);
    expect(h.store.sessions.get(session.sessionId)).toMatchObject({
      apiKey: API_KEY,
      mediaMode: 'relayed',
      archiveMode: 'manual',
      location: '',
      e2ee: false,
    });
  });

  it('creates a routed session with archiveMode always, a location hint, e2ee and archive options', async () => {
    const session = await createSession(ot, {
      mediaMode: 'routed',
      archiveMode: 'always',
      location: '12.34.56.78',
      e2ee: true,
      archiveName: 'my arch',
      archiveResolution: '1280x720',
    });
    const parsed = parseSessionId(session.sessionId);
    expect(parsed).toMatchObject({ apiKey: API_KEY, relayed: false, location: '12.34.56.78' });
    expect(h.store.sessions.get(session.sessionId)).toMatchObject({
      mediaMode: 'routed',
      archiveMode: 'always',
      location: '12.34.56.78',
      e2ee: true,
    });
  });

  it('returns IDs the SDK accepts for generateToken, in the JWT and the T1 format', async () => {
    const session = await createSession(ot, { mediaMode: 'routed' });
    const jwt = ot.generateToken(session.sessionId, { role: 'moderator', data: 'name=Alice' });
    expect(jwt.startsWith('eyJ')).toBe(true);
    expect(decodeJwtPayload(jwt)).toMatchObject({ iss: API_KEY, session_id: session.sessionId, role: 'moderator' });
    const t1 = ot.generateToken(session.sessionId, { role: 'publisher' }, true);
    expect(t1.startsWith('T1==')).toBe(true);
    expect(session.generateToken().startsWith('eyJ')).toBe(true);
  });

  it('reports a forged secret as "Invalid API key or secret"', async () => {
    const forged = new OpenTok(API_KEY, 'not-the-secret', { apiUrl: h.baseUrl });
    const err = await sdkError((cb) => {
      forged.createSession(cb);
    });
    expect(err.message).toBe('Failed to createSession. Error: Invalid API key or secret');
  });

  it('reports an unknown project as "Invalid API key or secret"', async () => {
    const stranger = new OpenTok('999999', 'whatever', { apiUrl: h.baseUrl });
    const err = await sdkError((cb) => {
      stranger.createSession(cb);
    });
    expect(err.message).toBe('Failed to createSession. Error: Invalid API key or secret');
  });

  it('authenticates each project with its own secret (a numeric API key and a string env work)', async () => {
    const other = new OpenTok(Number(OTHER_KEY), OTHER_SECRET, h.baseUrl);
    const session = await createSession(other);
    expect(parseSessionId(session.sessionId)?.apiKey).toBe(OTHER_KEY);
    expect(h.store.sessions.get(session.sessionId)?.apiKey).toBe(OTHER_KEY);
  });
});

describe('signal and forceDisconnect through the official SDK', () => {
  it('signals every connection of a session as the server (no sender, no target)', async () => {
    const { sessionId } = await createSession(ot);
    h.realtime.connect(sessionId, 'conn-a');
    await call((cb) => {
      ot.signal(sessionId, null, { type: 'chat', data: 'hello' }, cb);
    });
    expect(h.realtime.calls).toEqual([{ op: 'serverSignal', sessionId, signal: { type: 'chat', data: 'hello' } }]);
  });

  it('succeeds for a stored session nobody is connected to (delivered to zero connections)', async () => {
    const { sessionId } = await createSession(ot);
    await call((cb) => {
      ot.signal(sessionId, null, { data: 'anyone?' }, cb);
    });
    expect(h.realtime.calls).toEqual([{ op: 'serverSignal', sessionId, signal: { data: 'anyone?' } }]);
  });

  it('signals one connection', async () => {
    const { sessionId } = await createSession(ot);
    h.realtime.connect(sessionId, 'conn-a');
    h.realtime.connect(sessionId, 'conn-b');
    await call((cb) => {
      ot.signal(sessionId, 'conn-b', { type: 'dm', data: 'hi one' }, cb);
    });
    expect(h.realtime.calls).toEqual([
      { op: 'serverSignal', sessionId, signal: { type: 'dm', data: 'hi one' }, to: 'conn-b' },
    ]);
  });

  it('reports an unknown connection, session, or another project\'s session as "Session or Connection not found"', async () => {
    const { sessionId } = await createSession(ot);
    h.realtime.connect(sessionId, 'conn-a');
    const other = await createSession(new OpenTok(OTHER_KEY, OTHER_SECRET, { apiUrl: h.baseUrl }));
    const unknownSession = `${sessionId.slice(0, -4)}AAAA`;
    for (const [sid, cid] of [
      [sessionId, 'nobody'],
      [unknownSession, null],
      [unknownSession, 'conn-a'],
      [other.sessionId, null],
    ] as const) {
      const err = await sdkError((cb) => {
        ot.signal(sid, cid, { data: 'x' }, cb);
      });
      expect(err.message).toBe('Session or Connection not found');
    }
    const err = await sdkError((cb) => {
      ot.forceDisconnect(sessionId, 'nobody', cb);
    });
    expect(err.message).toBe('Session or Connection not found');
    const err2 = await sdkError((cb) => {
      ot.forceDisconnect(unknownSession, 'conn-a', cb);
    });
    expect(err2.message).toBe('Session or Connection not found');
  });

  it('reports an invalid signal type and oversized data as errors, not crashes', async () => {
    const { sessionId } = await createSession(ot);
    const badType = await sdkError((cb) => {
      ot.signal(sessionId, null, { type: 'not allowed!', data: 'x' }, cb);
    });
    expect(badType.message).toMatch(/^Unexpected response from OpenTok: .*signal type/);
    const tooLong = await sdkError((cb) => {
      ot.signal(sessionId, null, { data: 'x'.repeat(8193) }, cb);
    });
    expect(tooLong.message).toMatch(/^Unexpected response from OpenTok: .*8192/);
    expect(h.realtime.calls).toEqual([]);
  });

  it('forceDisconnects a connection', async () => {
    const { sessionId } = await createSession(ot);
    h.realtime.connect(sessionId, 'conn-a');
    await call((cb) => {
      ot.forceDisconnect(sessionId, 'conn-a', cb);
    });
    expect(h.realtime.calls).toEqual([{ op: 'forceDisconnect', sessionId, connectionId: 'conn-a' }]);
  });

  it('reports a forged secret on signal as "Invalid API key or secret"', async () => {
    const { sessionId } = await createSession(ot);
    const forged = new OpenTok(API_KEY, 'not-the-secret', { apiUrl: h.baseUrl });
    const err = await sdkError((cb) => {
      forged.signal(sessionId, null, { data: 'x' }, cb);
    });
    expect(err.message).toBe('Invalid API key or secret');
    expect(h.realtime.calls).toEqual([]);
  });
});

describe('apiUrl variants', () => {
  for (const [label, suffix] of [
    ['a trailing slash (the SDK then sends //session/create)', '/'],
    ['a path prefix', '/opentok'],
    ['a path prefix with a trailing slash', '/opentok/v1/'],
  ] as const) {
    it(`works with ${label}`, async () => {
      const client = new OpenTok(API_KEY, API_SECRET, { apiUrl: h.baseUrl + suffix });
      const { sessionId } = await createSession(client, { mediaMode: 'routed' });
      h.realtime.connect(sessionId, 'conn-a');
      await call((cb) => {
        client.signal(sessionId, null, { data: 'all' }, cb);
      });
      await call((cb) => {
        client.signal(sessionId, 'conn-a', { data: 'one' }, cb);
      });
      expect(
        await call((cb) => {
          client.listStreams(sessionId, cb);
        }),
      ).toEqual([]);
      await call((cb) => {
        client.forceDisconnect(sessionId, 'conn-a', cb);
      });
      expect(h.realtime.calls.map((c) => c.op)).toEqual(['serverSignal', 'serverSignal', 'stream', 'forceDisconnect']);
      const prefix = new URL(h.baseUrl + suffix).pathname;
      const seen = h.requests.slice(-5).map((r) => r.url);
      expect(seen[0]).toBe(`${prefix}/session/create`);
      for (const url of seen.slice(1)) expect(url.startsWith(`${prefix}/v2/project/${API_KEY}/session/`)).toBe(true);
    });
  }
});

describe('streams and moderation with no streams', () => {
  it('lists no streams', async () => {
    const { sessionId } = await createSession(ot);
    expect(
      await call((cb) => {
        ot.listStreams(sessionId, cb);
      }),
    ).toEqual([]);
  });

  it('reports getStream and forceMuteStream of any stream as "Not Found"', async () => {
    const { sessionId } = await createSession(ot);
    expect(
      (
        await sdkError((cb) => {
          ot.getStream(sessionId, 'stream-1', cb);
        })
      ).message,
    ).toBe('Not Found');
    expect(
      (
        await sdkError((cb) => {
          ot.forceMuteStream(sessionId, 'stream-1', cb);
        })
      ).message,
    ).toBe('Not Found');
  });

  it('forceMuteAll and disableForceMute succeed (nothing to mute)', async () => {
    const { sessionId } = await createSession(ot);
    await call((cb) => {
      ot.forceMuteAll(sessionId, { excludedStreamIds: ['stream-2'] }, cb);
    });
    await call((cb) => {
      ot.disableForceMute(sessionId, cb);
    });
  });

  it('setStreamClassLists accepts an empty list and rejects unknown stream IDs with an error', async () => {
    const { sessionId } = await createSession(ot);
    await call((cb) => {
      ot.setStreamClassLists(sessionId, [], cb);
    });
    const err = await sdkError((cb) => {
      ot.setStreamClassLists(sessionId, [{ id: 'stream-1', layoutClassList: ['full'] }], cb);
    });
    expect(err.message).toMatch(/^Unexpected response from OpenTok: .*Invalid stream ID: stream-1/);
  });

  it('reports stream calls on an unknown session as errors', async () => {
    const { sessionId } = await createSession(ot);
    const unknown = `${sessionId.slice(0, -4)}AAAA`;
    expect(
      (
        await sdkError((cb) => {
          ot.listStreams(unknown, cb);
        })
      ).message,
    ).toBe('Not Found');
    expect(
      (
        await sdkError((cb) => {
          ot.forceMuteAll(unknown, {}, cb);
        })
      ).message,
    ).toBe('Not Found');
  });
});

describe('unsupported features answer errors, never crashes', () => {
  it('startArchive, listArchives, startBroadcast and dial report "not supported by Parley"', async () => {
    const { sessionId } = await createSession(ot, { mediaMode: 'routed' });
    const token = ot.generateToken(sessionId);
    const errors = [
      await sdkError((cb) => {
        ot.startArchive(sessionId, { name: 'a' }, cb);
      }),
      await sdkError((cb) => {
        ot.listArchives({}, cb);
      }),
      await sdkError((cb) => {
        ot.startBroadcast(sessionId, { outputs: { hls: {} } }, cb);
      }),
      await sdkError((cb) => {
        ot.dial(sessionId, token, 'sip:user@example.com', {}, cb);
      }),
    ];
    for (const err of errors) expect(err.message).toMatch(/not supported by Parley/);
  });

  it('listCallbacks answers an empty list (any error reply would crash the SDK)', async () => {
    expect(
      await call((cb) => {
        ot.listCallbacks(cb);
      }),
    ).toEqual([]);
  });
});
