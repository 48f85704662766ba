import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { CloseCode, NO_CAPABILITIES, SessionErrorCode } from '@parley/protocol';
import { ParleyError, Session, SessionConnectionStatus as S, type WebSocketConstructor } from '@parley/client';
import { WebSocket } from 'ws';
import { FakeServer, peer, welcome } from './support/fake-server.js';
import { API_KEY, makeSession, makeSessionId, SESSION_ID } from './support/fixtures.js';
import { recordingDelegate, statusName } from './support/recorder.js';

let server: FakeServer;
beforeEach(async () => {
  server = await FakeServer.start();
});
afterEach(async () => {
  await server.close();
});

/** Record statuses, delegate calls and events in one ordered log. */
function recorded(options = {}): { session: Session; log: string[] } {
  const log: string[] = [];
  const session = makeSession(server.url, recordingDelegate(log), options);
  session.on('connectionStatusChanged', ({ status, previous }) =>
    log.push(`status:${statusName(previous)}->${statusName(status)}`),
  );
  session.on('sessionConnected', () => log.push('e:sessionConnected'));
  session.on('connectionCreated', ({ connection }) => log.push(`e:created:${connection.connectionId}`));
  session.on('sessionError', ({ error }) => log.push(`e:error:${error.code}`));
  session.on('sessionDisconnected', ({ reason }) => log.push(`e:disconnected:${reason}`));
  return { session, log };
}

describe('connect', () => {
  it('joins with the token; status first, then connectionStatusChanged, then sessionDidConnect, then connectionCreated for each other client', async () => {
    const { session, log } = recorded();
    expect(session.connectionStatus).toBe(S.NotConnected);
    expect(session.capabilities).toBe(NO_CAPABILITIES);
    const connecting = session.connect('tok');
    expect(session.connectionStatus).toBe(S.Connecting);
    const client = await server.nextClient();
    expect(client.kind).toBe('join');
    expect(client.query.get('token')).toBe('tok');
    expect(client.query.get('apiKey')).toBe(API_KEY);
    expect(client.query.get('sessionId')).toBe(SESSION_ID);
    expect(client.query.get('v')).toBe('1');
    let statusAtDelegate: S | undefined;
    session.once('sessionConnected', () => (statusAtDelegate = session.connectionStatus));
    client.send(welcome({ connectionId: 'me', others: [peer('a'), peer('b')], role: 'moderator' }));
    await connecting;
    expect(statusAtDelegate).toBe(S.Connected);
    expect(log).toEqual([
      'status:NotConnected->Connecting',
      'status:Connecting->Connected',
      'd:connect',
      'e:sessionConnected',
      'd:created:a',
      'e:created:a',
      'd:created:b',
      'e:created:b',
    ]);
    expect(session.connection).toEqual({ connectionId: 'me', creationTime: 1000, data: 'me-data' });
    expect([...session.connections.keys()]).toEqual(['a', 'b']);
    expect(session.capabilities.canForceDisconnect).toBe(true);
  });

  it('fires connectionCreated for later joiners, never for our own connection, and before their signals', async () => {
    const { session, log } = recorded();
    const connecting = session.connect('tok');
    const client = await server.nextClient();
    client.send(
      welcome({ connectionId: 'me' }),
      { t: 'connectionCreated', connection: peer('me') },
      { t: 'connectionCreated', connection: peer('c') },
      { t: 'signal', from: 'c', type: 'hi', data: 'x' },
    );
    await connecting; // the whole frame was processed in order, synchronously
    expect(log.filter((l) => l.startsWith('d:'))).toEqual(['d:connect', 'd:created:c', 'd:signal:hi:c:x']);
    expect(session.connections.has('me')).toBe(false);
  });

  it.each([
    [CloseCode.AuthenticationFailed, SessionErrorCode.AuthorizationFailure],
    [CloseCode.InvalidSession, SessionErrorCode.InvalidSession],
    [CloseCode.ConnectionLimitExceeded, SessionErrorCode.ConnectionLimitExceeded],
    [CloseCode.ServerShutdown, SessionErrorCode.ConnectionRefused],
    [CloseCode.UnsupportedVersion, SessionErrorCode.InternalError],
  ])(
    'a join closed with %i rejects with %i, calls sessionDidFailWithError once and leaves NotConnected',
    async (close, code) => {
      const { session, log } = recorded();
      const connecting = session.connect('tok');
      const client = await server.nextClient();
      client.close(close, 'refused for a reason');
      const error = await connecting.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ParleyError);
      expect((error as ParleyError).code).toBe(code);
      expect((error as ParleyError).message).toContain('refused for a reason');
      expect(session.connectionStatus).toBe(S.NotConnected);
      expect(log).toEqual([
        'status:NotConnected->Connecting',
        'status:Connecting->NotConnected',
        `d:fail:${code}`,
        `e:error:${code}`,
      ]);
      expect(server.clients).toHaveLength(1); // a refusal is not retried
    },
  );

  it('fails at once, without the network: empty token 1004, malformed session ID 1005, foreign API key 1004', async () => {
    const opened: string[] = [];
    const Spy = class extends WebSocket {
      constructor(url: string) {
        opened.push(url);
        super(url);
      }
    } as unknown as WebSocketConstructor;
    const cases: [Session, string, number][] = [
      [makeSession(server.url, undefined, { WebSocket: Spy }), '', 1004],
      [new Session(API_KEY, 'not-a-session-id', undefined, { url: server.url, WebSocket: Spy }), 'tok', 1005],
      [new Session(API_KEY, makeSessionId('999'), undefined, { url: server.url, WebSocket: Spy }), 'tok', 1004],
    ];
    for (const [session, token, code] of cases) {
      const errors: number[] = [];
      session.on('sessionError', ({ error }) => errors.push(error.code));
      const statuses: S[] = [];
      session.on('connectionStatusChanged', ({ status }) => statuses.push(status));
      await expect(session.connect(token)).rejects.toMatchObject({ code });
      expect(errors).toEqual([code]);
      expect(statuses).toEqual([]);
      expect(session.connectionStatus).toBe(S.NotConnected);
    }
    expect(opened).toEqual([]);
  });

  it('connect while connecting or connected rejects with 1015 and calls no delegate method', async () => {
    const { session, log } = recorded();
    const first = session.connect('tok');
    await expect(session.connect('tok')).rejects.toMatchObject({ code: SessionErrorCode.IllegalState });
    const client = await server.nextClient();
    client.send(welcome());
    await first;
    const before = log.length;
    await expect(session.connect('tok')).rejects.toMatchObject({ code: 1015 });
    expect(log.length).toBe(before);
  });

  it('fails with 1006 after 3 attempts when nothing listens on the port', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => {
          resolve(p);
        });
      });
    });
    let attempts = 0;
    const Counting = class extends WebSocket {
      constructor(url: string) {
        attempts++;
        super(url);
      }
    } as unknown as WebSocketConstructor;
    const log: string[] = [];
    const session = makeSession(`http://127.0.0.1:${port}`, recordingDelegate(log), { WebSocket: Counting });
    const error = (await session.connect('tok').catch((e: unknown) => e)) as ParleyError;
    expect(error).toMatchObject({ code: SessionErrorCode.ConnectionFailed });
    expect(error.message).toMatch(/after 3 attempt/);
    // Node's `ws` says why the socket never opened: the message and the cause carry it.
    expect(error.message).toContain(`connect ECONNREFUSED 127.0.0.1:${port} (1006)`);
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(attempts).toBe(3);
    expect(log).toEqual(['d:fail:1006']);
    expect(session.connectionStatus).toBe(S.NotConnected);
  });

  it('a socket whose error event says nothing (as in a browser) fails with "closed with 1006" and the close as cause', async () => {
    /** Like a browser's WebSocket to a closed port: an error event without detail, then close 1006. */
    class Refused {
      readonly readyState = 3;
      onopen: ((event: unknown) => void) | null = null;
      onmessage: ((event: { readonly data: unknown }) => void) | null = null;
      onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;
      onerror: ((event: unknown) => void) | null = null;
      constructor() {
        queueMicrotask(() => {
          this.onerror?.(new Event('error'));
          this.onclose?.({ code: 1006, reason: '' });
        });
      }
      send(): void {}
      close(): void {}
    }
    const session = makeSession('http://127.0.0.1:9', undefined, { WebSocket: Refused, connectAttempts: 1 });
    const error = (await session.connect('tok').catch((e: unknown) => e)) as ParleyError;
    expect(error.message).toBe('could not reach ws://127.0.0.1:9/v1/ws after 1 attempt(s): closed with 1006');
    expect(error.cause).toEqual({ code: 1006, reason: '' });
  });

  it('accepts a numeric API key (as OpenTok apps often store it) and sends it as its decimal string', async () => {
    const session = new Session(Number(API_KEY), SESSION_ID, undefined, { url: server.url });
    expect(session.apiKey).toBe(API_KEY);
    const connecting = session.connect('tok');
    const client = await server.nextClient();
    expect(client.query.get('apiKey')).toBe(API_KEY);
    client.send(welcome());
    await connecting;
    expect(session.connectionStatus).toBe(S.Connected);
  });

  it('retries when the socket drops before welcome, and connects on a later attempt', async () => {
    const session = makeSession(server.url);
    const connecting = session.connect('tok');
    (await server.nextClient()).terminate();
    const second = await server.nextClient();
    second.send(welcome());
    await connecting;
    expect(session.connectionStatus).toBe(S.Connected);
  });
});

describe('disconnect', () => {
  async function connected(
    options = {},
  ): Promise<{ session: Session; log: string[]; client: Awaited<ReturnType<FakeServer['nextClient']>> }> {
    const r = recorded(options);
    const p = r.session.connect('tok');
    const client = await server.nextClient();
    client.send(welcome({ others: [peer('a')] }));
    await p;
    r.log.length = 0;
    return { ...r, client };
  }

  it('sends bye, goes Disconnecting, and after the server closes: NotConnected, then sessionDidDisconnect(clientDisconnected)', async () => {
    const { session, log, client } = await connected();
    const done = session.disconnect();
    expect(session.connectionStatus).toBe(S.Disconnecting);
    await client.next((m) => m.t === 'bye');
    client.close(CloseCode.Normal);
    await done;
    expect(log).toEqual([
      'status:Connected->Disconnecting',
      'status:Disconnecting->NotConnected',
      'd:disconnect',
      'e:disconnected:clientDisconnected',
    ]);
    expect(session.connection).toBeNull();
    expect(session.connections.size).toBe(0);
    expect(session.capabilities).toBe(NO_CAPABILITIES);
  });

  it('closes locally when the server does not close within the timeout; pending requests reject with 1010', async () => {
    const { session, client } = await connected({ disconnectTimeout: 100 });
    const pending = session.signal({ data: 'late' });
    await client.next((m) => m.t === 'signal');
    const done = session.disconnect();
    await expect(pending).rejects.toMatchObject({ code: SessionErrorCode.NotConnected });
    await done;
    expect(session.connectionStatus).toBe(S.NotConnected);
    expect((await client.closed).code).toBe(CloseCode.Normal);
  });

  it('resolves at once when not connected, and a session can connect again after disconnecting (new connection)', async () => {
    const session = makeSession(server.url);
    await session.disconnect();
    const p1 = session.connect('tok');
    const c1 = await server.nextClient();
    c1.send(welcome({ connectionId: 'first' }));
    await p1;
    const d = session.disconnect();
    await c1.next((m) => m.t === 'bye');
    c1.close(CloseCode.Normal);
    await d;
    const p2 = session.connect('tok');
    const c2 = await server.nextClient();
    expect(c2.kind).toBe('join');
    c2.send(welcome({ connectionId: 'second' }));
    await p2;
    expect(session.connection?.connectionId).toBe('second');
  });

  it('disconnect while connecting aborts: connect rejects with 1010, no sessionDidDisconnect', async () => {
    const { session, log } = recorded();
    const connecting = session.connect('tok');
    await server.nextClient();
    await session.disconnect();
    await expect(connecting).rejects.toMatchObject({ code: SessionErrorCode.NotConnected });
    expect(log).toEqual(['status:NotConnected->Connecting', 'status:Connecting->NotConnected']);
  });
});

describe('dispatch', () => {
  it('delegate and events both fire, and a throwing listener or delegate does not break the session', async () => {
    const reported: string[] = [];
    const log: string[] = [];
    const session = makeSession(
      server.url,
      {
        sessionDidConnect: () => {
          log.push('delegate');
          throw new Error('delegate boom');
        },
      },
      { onListenerError: (_e, event) => reported.push(event) },
    );
    session.on('sessionConnected', () => {
      throw new Error('listener boom');
    });
    session.on('sessionConnected', () => log.push('listener'));
    session.on('connectionCreated', ({ connection }) => log.push(`created:${connection.connectionId}`));
    const p = session.connect('tok');
    (await server.nextClient()).send(welcome({ others: [peer('a')] }));
    await p;
    expect(log).toEqual(['delegate', 'listener', 'created:a']);
    expect(reported).toEqual(['delegate:sessionConnected', 'sessionConnected']);
    expect(session.connectionStatus).toBe(S.Connected);
  });
});
