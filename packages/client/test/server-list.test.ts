/**
 * A list of server URLs (the nodes of a cluster): the join goes to the first that answers, and a
 * reconnection tries the node the session was on first, then the others, resuming the same
 * connection wherever it lands (docs/CLUSTER.md §Resume on any node). Two scripted fake servers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode, SessionErrorCode } from '@parley/protocol';
import { ParleyError, SessionConnectionStatus as S, type Session } from '@parley/client';
import { FakeServer, welcome } from './support/fake-server.js';
import { makeSession } from './support/fixtures.js';
import { waitFor } from './support/wait.js';

let a: FakeServer;
let b: FakeServer;
const sessions: Session[] = [];
beforeEach(async () => {
  [a, b] = await Promise.all([FakeServer.start(), FakeServer.start()]);
});
afterEach(async () => {
  await Promise.all([a.close(), b.close()]);
  await Promise.all(sessions.splice(0).map((s) => s.disconnect().catch(() => undefined)));
});

const resumed = {
  t: 'resumed',
  ack: 0,
  next: 1,
  heartbeatInterval: 2500,
  heartbeatTimeout: 7000,
  reconnectWindow: 30_000,
} as const;

function listSession(urls: string[]): Session {
  const session = makeSession(urls[0] as string, undefined, { url: urls });
  sessions.push(session);
  return session;
}

/** A session connected through `server` (the first URL of its list). */
async function connectedThrough(server: FakeServer, urls: string[]): Promise<Session> {
  const session = listSession(urls);
  const p = session.connect('tok');
  (await server.nextClient()).send(welcome({ connectionId: 'me' }));
  await p;
  return session;
}

describe('a list of server URLs', () => {
  it('joins through the first URL; a plain string still works as before', async () => {
    await connectedThrough(a, [a.url, b.url]);
    expect(a.clients).toHaveLength(1);
    expect(b.clients).toHaveLength(0);
    const single = makeSession(b.url);
    sessions.push(single);
    const p = single.connect('tok');
    (await b.nextClient()).send(welcome({ connectionId: 'other' }));
    await p;
    expect(single.connection?.connectionId).toBe('other');
  });

  it('a join whose first node does not answer goes to the next', async () => {
    const urls = [a.url, b.url];
    await a.close();
    const session = listSession(urls);
    const p = session.connect('tok');
    const client = await b.nextClient();
    expect(client.kind).toBe('join');
    client.send(welcome({ connectionId: 'me' }));
    await p;
    expect(session.connectionStatus).toBe(S.Connected);
  });

  it('a join fails only when every node failed, naming them all', async () => {
    const urls = [a.url, b.url];
    await Promise.all([a.close(), b.close()]);
    const session = listSession(urls);
    const err = await session.connect('tok').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParleyError);
    expect((err as ParleyError).code).toBe(SessionErrorCode.ConnectionFailed);
    expect((err as ParleyError).message).toMatch(/could not reach .* or .* after 3 attempt/);
  });

  it('its node died: the first resume attempt goes to the same node, the next one to another, same connection', async () => {
    const session = await connectedThrough(a, [a.url, b.url]);
    const reconnecting = waitFor(session, 'sessionReconnecting');
    await a.close(); // the node is gone: its sockets dropped, nothing listens any more
    await reconnecting;
    const client = await b.nextClient(5000);
    expect(client.kind).toBe('resume');
    expect(client.query.get('resume')).toBe('me');
    expect(client.query.get('key')).toBe('key-1');
    const reconnected = waitFor(session, 'sessionReconnected');
    client.send(resumed);
    await reconnected;
    expect(session.connection?.connectionId).toBe('me');
    expect(session.connectionStatus).toBe(S.Connected);
  });

  it('its node dropped the socket but still answers: the resume goes back to it first', async () => {
    const session = await connectedThrough(b, [b.url, a.url]);
    const reconnecting = waitFor(session, 'sessionReconnecting');
    b.clients[0]?.terminate();
    await reconnecting;
    const client = await b.nextClient();
    expect(client.kind).toBe('resume');
    const reconnected = waitFor(session, 'sessionReconnected');
    client.send(resumed);
    await reconnected;
    expect(a.clients).toHaveLength(0);
  });

  it('its node drains (4016): the resume goes straight to the next node', async () => {
    const session = await connectedThrough(a, [a.url, b.url]);
    const reconnecting = waitFor(session, 'sessionReconnecting');
    a.clients[0]?.close(CloseCode.NodeDraining, 'node draining');
    await reconnecting;
    const client = await b.nextClient();
    expect(client.kind).toBe('resume');
    expect(client.query.get('resume')).toBe('me');
    const reconnected = waitFor(session, 'sessionReconnected');
    client.send(resumed);
    await reconnected;
    expect(a.clients).toHaveLength(1); // only the join: no resume attempt on the draining node
  });

  it('an empty list or a list with a non-string is refused at construction (1011)', () => {
    expect(() => makeSession(a.url, undefined, { url: [] })).toThrow(/options.url must not be an empty list/);
    expect(() => makeSession(a.url, undefined, { url: [a.url, 5 as unknown as string] })).toThrow(
      /a string or a list of strings/,
    );
    expect(() => makeSession(a.url, undefined, { url: [a.url, 'ftp://x'] })).toThrow(/must start with http/);
  });
});
