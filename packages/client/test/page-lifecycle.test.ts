import { afterEach, describe, expect, it, vi } from 'vitest';
import { attachPageLifecycle, SessionConnectionStatus as S } from '@parley/client';
import { FakeServer, welcome } from './support/fake-server.js';
import { makeSession } from './support/fixtures.js';
import { waitFor } from './support/wait.js';

class FakeDocument extends EventTarget {
  visibilityState = 'visible';
}

function persisted(type: string, value: boolean): Event {
  return Object.assign(new Event(type), { persisted: value });
}

describe('attachPageLifecycle', () => {
  it('suspends on freeze; leaves on every pagehide; wakes on online and on becoming visible; ignores offline', () => {
    const document = new FakeDocument();
    const window = new EventTarget();
    const suspend = vi.fn();
    const leave = vi.fn();
    const wake = vi.fn();
    const detach = attachPageLifecycle({ document, window }, { suspend, leave, wake });
    document.dispatchEvent(new Event('freeze'));
    expect(suspend).toHaveBeenCalledTimes(1);
    window.dispatchEvent(persisted('pagehide', false));
    window.dispatchEvent(persisted('pagehide', true));
    expect(leave).toHaveBeenCalledTimes(2);
    expect(suspend).toHaveBeenCalledTimes(1);
    window.dispatchEvent(new Event('offline'));
    window.dispatchEvent(new Event('online'));
    document.visibilityState = 'hidden';
    document.dispatchEvent(new Event('visibilitychange'));
    document.visibilityState = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    expect(wake).toHaveBeenCalledTimes(2);
    expect(suspend).toHaveBeenCalledTimes(1);
    expect(leave).toHaveBeenCalledTimes(2);
    detach();
    document.dispatchEvent(new Event('freeze'));
    window.dispatchEvent(persisted('pagehide', false));
    window.dispatchEvent(new Event('online'));
    expect(suspend).toHaveBeenCalledTimes(1);
    expect(leave).toHaveBeenCalledTimes(2);
    expect(wake).toHaveBeenCalledTimes(2);
  });
});

describe('a session in a page', () => {
  const g = globalThis as { document?: unknown; window?: unknown };
  let server: FakeServer | undefined;
  afterEach(async () => {
    delete g.document;
    delete g.window;
    await server?.close();
  });

  it('going online while reconnecting retries at once (cancels the backoff wait); freeze disconnects', async () => {
    const document = new FakeDocument();
    const window = new EventTarget();
    g.document = document;
    g.window = window;
    server = await FakeServer.start();
    // After the first (immediate) attempt, wait a very long time: only the page event can bring the retry forward.
    let backingOff!: () => void;
    const waiting = new Promise<void>((resolve) => (backingOff = resolve));
    const session = makeSession(server.url, undefined, {
      pageLifecycle: true,
      reconnectPolicy: {
        nextRetryDelay: ({ attempt }) => {
          if (attempt === 0) return 0;
          backingOff();
          return 60_000;
        },
      },
    });
    const p = session.connect('tok');
    const first = await server.nextClient();
    first.send(welcome());
    await p;
    first.terminate();
    (await server.nextClient()).terminate(); // the immediate attempt fails; now waiting 60 s
    await waiting;
    window.dispatchEvent(new Event('online'));
    const retried = await server.nextClient(1000);
    expect(retried.kind).toBe('resume');
    retried.send({
      t: 'resumed',
      ack: 0,
      next: 1,
      heartbeatInterval: 2500,
      heartbeatTimeout: 7000,
      reconnectWindow: 30_000,
    });
    await waitFor(session, 'sessionReconnected');

    const disconnected = waitFor(session, 'sessionDisconnected');
    document.dispatchEvent(new Event('freeze'));
    expect(session.connectionStatus).toBe(S.Disconnecting);
    await retried.next((m) => m.t === 'bye');
    retried.close(1000);
    expect((await disconnected).reason).toBe('clientDisconnected');
  });

  it('pagehide while connected leaves in the same call: bye, then the socket closed, then sessionDisconnected', async () => {
    const document = new FakeDocument();
    const window = new EventTarget();
    g.document = document;
    g.window = window;
    server = await FakeServer.start();
    const session = makeSession(server.url, undefined, { pageLifecycle: true });
    const p = session.connect('tok');
    const client = await server.nextClient();
    client.send(welcome());
    await p;
    const events: string[] = [];
    session.on('sessionDisconnected', (e) => events.push(e.reason));
    window.dispatchEvent(persisted('pagehide', false));
    // Nothing asynchronous may be needed: the session has ended before dispatchEvent returns.
    expect(events).toEqual(['clientDisconnected']);
    expect(session.connectionStatus).toBe(S.NotConnected);
    await client.next((m) => m.t === 'bye');
    expect((await client.closed).code).toBe(1000);
  });

  it('pagehide while connecting aborts the connect; while reconnecting it ends the session', async () => {
    const document = new FakeDocument();
    const window = new EventTarget();
    g.document = document;
    g.window = window;
    server = await FakeServer.start();
    const session = makeSession(server.url, undefined, {
      pageLifecycle: true,
      reconnectPolicy: { nextRetryDelay: () => 60_000 },
    });
    const aborted = session.connect('tok');
    await server.nextClient();
    window.dispatchEvent(persisted('pagehide', false));
    await expect(aborted).rejects.toMatchObject({ code: 1010 });
    expect(session.connectionStatus).toBe(S.NotConnected);

    const p = session.connect('tok');
    const client = await server.nextClient();
    client.send(welcome());
    await p;
    const reconnecting = waitFor(session, 'sessionReconnecting');
    client.terminate();
    await reconnecting;
    const disconnected = waitFor(session, 'sessionDisconnected');
    window.dispatchEvent(persisted('pagehide', true));
    expect(session.connectionStatus).toBe(S.NotConnected);
    expect((await disconnected).reason).toBe('clientDisconnected');
  });
});
