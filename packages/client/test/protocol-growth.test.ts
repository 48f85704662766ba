/**
 * What PROTOCOL.md §Evolution and §Drain ask of the client: it declares its capabilities, uses
 * a `reply` only when granted, resumes on 4016 NodeDraining, and finds a server behind a proxy
 * that routes by path.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode, SessionErrorCode, WIRE_CAPABILITIES, type ClientMessage } from '@parley/protocol';
import { ParleyError, SessionConnectionStatus as S, type Session } from '@parley/client';
import { FakeServer, welcome, type FakeClient, type WelcomeOptions } from './support/fake-server.js';
import { makeSession } from './support/fixtures.js';
import { recordingDelegate, statusName } from './support/recorder.js';
import { waitFor } from './support/wait.js';

let server: FakeServer;
beforeEach(async () => {
  server = await FakeServer.start();
});
afterEach(async () => {
  await server.close();
});

async function connected(w: WelcomeOptions = {}): Promise<{ session: Session; client: FakeClient; log: string[] }> {
  const log: string[] = [];
  const session = makeSession(server.url, recordingDelegate(log));
  session.on('connectionStatusChanged', ({ status, previous }) =>
    log.push(`status:${statusName(previous)}->${statusName(status)}`),
  );
  const p = session.connect('tok');
  const client = await server.nextClient();
  client.send(welcome({ connectionId: 'me', ...w }));
  await p;
  log.length = 0;
  return { session, client, log };
}

const isTime = (m: ClientMessage): m is Extract<ClientMessage, { t: 'time' }> => m.t === 'time';

describe('capabilities', () => {
  it('the join declares every capability this client knows; welcome.caps is what it may use', async () => {
    const { session, client } = await connected({ caps: ['reply'] });
    expect(client.query.get('caps')).toBe(WIRE_CAPABILITIES.join(','));
    expect(client.query.get('caps')).toBe('reply,streams');
    expect(session.protocolCapabilities).toEqual(['reply']);
  });

  it('serverTime() sends a time request and resolves with the reply once the ack covers it', async () => {
    const { session, client } = await connected({ caps: ['reply'] });
    const time = session.serverTime();
    const request = await client.next(isTime);
    expect(request).toEqual({ t: 'time', s: 1 });
    client.send({ t: 'reply', r: 1, data: { now: 1_234_567 } }, { t: 'ack', a: 1 });
    expect(await time).toBe(1_234_567);
  });

  it('a reply and a nack settle their own requests; requests without a reply resolve on the ack', async () => {
    const { session, client } = await connected({ caps: ['reply'] });
    const first = session.serverTime();
    const signal = session.signal({ data: 'x' });
    const second = session.serverTime();
    await client.next((m) => m.t === 'time' && m.s === 3);
    client.send(
      { t: 'reply', r: 1, data: { now: 10 } },
      { t: 'nack', r: 3, code: SessionErrorCode.RateLimitExceeded, message: 'slow down' },
      { t: 'ack', a: 3 },
    );
    expect(await first).toBe(10);
    await expect(signal).resolves.toBeUndefined();
    await expect(second).rejects.toMatchObject({ code: SessionErrorCode.RateLimitExceeded, message: 'slow down' });
  });

  it('a reply without the expected result rejects with 2000 instead of resolving with garbage', async () => {
    const { session, client } = await connected({ caps: ['reply'] });
    const time = session.serverTime();
    await client.next(isTime);
    client.send({ t: 'reply', r: 1, data: 'noon' }, { t: 'ack', a: 1 });
    await expect(time).rejects.toMatchObject({ code: SessionErrorCode.InternalError });
  });

  it('a reply lost with the transport is replayed after the resume and still settles the request', async () => {
    const { session, client } = await connected({ caps: ['reply'] });
    const time = session.serverTime();
    await client.next(isTime);
    const reconnecting = waitFor(session, 'sessionReconnecting');
    client.terminate();
    await reconnecting;
    const again = await server.nextClient();
    expect(again.kind).toBe('resume');
    expect(again.query.has('caps')).toBe(false); // the grant is the join's, for the connection's life
    again.send(
      { t: 'resumed', ack: 1, next: 1, heartbeatInterval: 2500, heartbeatTimeout: 7000, reconnectWindow: 30_000 },
      { t: 'reply', r: 1, data: { now: 42 } },
      { t: 'ack', a: 1 },
    );
    expect(await time).toBe(42);
    expect(session.protocolCapabilities).toEqual(['reply']);
    // The server had the request (resumed.ack = 1): it is not sent again, so the next one is the first on this socket.
    void session.signal({ data: 'next' });
    await again.next((m) => m.t === 'signal');
    expect(again.requests().map((r) => r.s)).toEqual([2]);
  });

  it('against a server that grants nothing (built before capabilities), serverTime() fails with 1015 and sends nothing', async () => {
    const { session, client } = await connected(); // welcome without caps
    expect(session.protocolCapabilities).toEqual([]);
    const error = await session.serverTime().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParleyError);
    expect((error as ParleyError).code).toBe(SessionErrorCode.IllegalState);
    expect((error as ParleyError).message).toMatch(/capability "reply" not granted/);
    // The next request takes s = 1: the refused one was never numbered or sent.
    const signal = session.signal({ data: 'after' });
    expect(await client.next((m) => m.t === 'signal')).toMatchObject({ s: 1 });
    client.send({ t: 'ack', a: 1 });
    await signal;
    expect(client.received.some((m) => m.t === 'time')).toBe(false);
  });

  it('serverTime() while not connected rejects with 1010', async () => {
    const session = makeSession(server.url);
    await expect(session.serverTime()).rejects.toMatchObject({ code: SessionErrorCode.NotConnected });
  });
});

describe('drain: 4016 resumes, 4013 ends', () => {
  it('4016 NodeDraining while connected: the session resumes (same connection) instead of failing', async () => {
    const { session, client, log } = await connected();
    const reconnecting = waitFor(session, 'sessionReconnecting');
    client.close(CloseCode.NodeDraining, 'node draining, resume elsewhere');
    await reconnecting;
    const again = await server.nextClient();
    expect(again.kind).toBe('resume');
    expect(again.query.get('resume')).toBe('me');
    const reconnected = waitFor(session, 'sessionReconnected');
    again.send({
      t: 'resumed',
      ack: 0,
      next: 1,
      heartbeatInterval: 2500,
      heartbeatTimeout: 7000,
      reconnectWindow: 30_000,
    });
    await reconnected;
    expect(session.connectionStatus).toBe(S.Connected);
    expect(log).toEqual([
      'status:Connected->Reconnecting',
      'd:reconnecting',
      'status:Reconnecting->Connected',
      'd:reconnected',
    ]);
  });

  it('4016 on a resume attempt (it reached a node that is draining too): the next attempt follows', async () => {
    const { session, client } = await connected();
    client.terminate();
    await waitFor(session, 'sessionReconnecting');
    (await server.nextClient()).close(CloseCode.NodeDraining, 'node draining');
    const third = await server.nextClient();
    expect(third.kind).toBe('resume');
    const reconnected = waitFor(session, 'sessionReconnected');
    third.send({
      t: 'resumed',
      ack: 0,
      next: 1,
      heartbeatInterval: 2500,
      heartbeatTimeout: 7000,
      reconnectWindow: 30_000,
    });
    await reconnected;
    expect(session.connectionStatus).toBe(S.Connected);
  });

  it('a join closed with 4016 is tried again (another node takes it); 4013 is a refusal (see connect.test.ts)', async () => {
    const session = makeSession(server.url);
    const connecting = session.connect('tok');
    (await server.nextClient()).close(CloseCode.NodeDraining, 'node draining');
    const second = await server.nextClient();
    expect(second.kind).toBe('join');
    second.send(welcome({ connectionId: 'me' }));
    await connecting;
    expect(session.connectionStatus).toBe(S.Connected);
  });
});

describe('a server behind a proxy that routes by path', () => {
  it('url https://host/prefix connects to /prefix/v1/ws', async () => {
    const prefixed = await FakeServer.start('/parley/v1/ws');
    try {
      const session = makeSession(`${prefixed.url}/parley/`);
      const connecting = session.connect('tok');
      const client = await prefixed.nextClient();
      client.send(welcome({ connectionId: 'me' }));
      await connecting;
      expect(session.connectionStatus).toBe(S.Connected);
      const done = session.disconnect();
      await client.next((m) => m.t === 'bye');
      client.close(CloseCode.Normal);
      await done;
    } finally {
      await prefixed.close();
    }
  });
});
