import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACK_DELAY_MS, SessionErrorCode, type ClientMessage, type SignalRequest } from '@parley/protocol';
import { type Session, type SignalEvent } from '@parley/client';
import { FakeServer, peer, welcome, type FakeClient, type WelcomeOptions } from './support/fake-server.js';
import { ManualTime, makeSession } from './support/fixtures.js';
import { recordingDelegate } from './support/recorder.js';
import { waitFor } from './support/wait.js';

let server: FakeServer;
beforeEach(async () => {
  server = await FakeServer.start();
});
afterEach(async () => {
  await server.close();
});

const isSignal =
  (s: number) =>
  (m: ClientMessage): m is SignalRequest =>
    m.t === 'signal' && m.s === s;

async function connected(w: WelcomeOptions = {}): Promise<{ session: Session; client: FakeClient; log: string[] }> {
  const log: string[] = [];
  const session = makeSession(server.url, recordingDelegate(log));
  const p = session.connect('tok');
  const client = await server.nextClient();
  client.send(welcome({ connectionId: 'me', others: [peer('a')], ...w }));
  await p;
  return { session, client, log };
}

describe('signals', () => {
  it('resolves when the server acks, with sequence numbers 1, 2, … in one batched frame', async () => {
    const { session, client } = await connected();
    const one = session.signal({ type: 'chat', data: 'hi' });
    const two = session.signal({ to: 'a', data: 'psst' });
    const three = session.signal({ to: session.connections.get('a') });
    expect(await client.next(isSignal(1))).toEqual({ t: 'signal', s: 1, type: 'chat', data: 'hi' });
    expect(await client.next(isSignal(2))).toEqual({ t: 'signal', s: 2, data: 'psst', to: 'a' });
    expect(await client.next(isSignal(3))).toEqual({ t: 'signal', s: 3, to: 'a' });
    let settled = false;
    void one.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    client.send({ t: 'ack', a: 3 });
    await Promise.all([one, two, three]);
  });

  it("rejects with the server's nack code; the ack that follows resolves the others", async () => {
    const { session, client } = await connected();
    const bad = session.signal({ data: 'x' });
    const good = session.signal({ data: 'y' });
    await client.next(isSignal(2));
    client.send(
      { t: 'nack', r: 1, code: SessionErrorCode.RateLimitExceeded, message: 'slow down' },
      { t: 'ack', a: 2 },
    );
    await expect(bad).rejects.toMatchObject({ code: 429, message: 'slow down' });
    await expect(good).resolves.toBeUndefined();
  });

  it('validates on the client: 1461 bad type, 1413 data too long, 1011 wrong types, 404 unknown target', async () => {
    const { session, client } = await connected();
    await expect(session.signal({ type: 'no spaces' })).rejects.toMatchObject({
      code: SessionErrorCode.InvalidSignalType,
    });
    await expect(session.signal({ type: 'x'.repeat(129) })).rejects.toMatchObject({ code: 1461 });
    await expect(session.signal({ data: 'x'.repeat(8193) })).rejects.toMatchObject({
      code: SessionErrorCode.SignalDataTooLong,
    });
    await expect(session.signal({ data: 42 as unknown as string })).rejects.toMatchObject({ code: 1011 });
    await expect(session.signal({ to: 42 as unknown as string })).rejects.toMatchObject({ code: 1011 });
    await expect(session.signal({ retryAfterReconnect: 'yes' as unknown as boolean })).rejects.toMatchObject({
      code: 1011,
    });
    await expect(session.signal({ to: 'nobody' })).rejects.toMatchObject({ code: SessionErrorCode.NotFound });
    const ok = session.signal({ to: 'me', type: '', data: 'x'.repeat(8192) });
    const sent = await client.next(isSignal(1));
    expect(sent.type).toBeUndefined();
    expect(client.requests()).toHaveLength(1);
    client.send({ t: 'ack', a: 1 });
    await ok;
  });

  it('rejects with 1010 when not connected', async () => {
    const session = makeSession(server.url);
    await expect(session.signal({ data: 'x' })).rejects.toMatchObject({ code: SessionErrorCode.NotConnected });
  });

  it('delivers signals: from another client, from the server (null), and our own broadcast echo (our Connection); plus signal:<type>', async () => {
    const { session, client, log } = await connected();
    const typed: SignalEvent[] = [];
    session.on('signal:chat', (e) => typed.push(e));
    const all = new Promise<SignalEvent[]>((resolve) => {
      const seen: SignalEvent[] = [];
      session.on('signal', (e) => {
        seen.push(e);
        if (seen.length === 3) resolve(seen);
      });
    });
    client.send(
      { t: 'signal', from: 'a', type: 'chat', data: '1' },
      { t: 'signal', from: null, data: '2' },
      { t: 'signal', from: 'me', type: 'chat', data: '3' },
    );
    const events = await all;
    expect(events.map((e) => e.from?.connectionId ?? null)).toEqual(['a', null, 'me']);
    expect(events[2]?.from).toBe(session.connection);
    expect(events[1]?.type).toBeUndefined();
    expect(typed.map((e) => e.data)).toEqual(['1', '3']);
    expect(log.filter((l) => l.startsWith('d:signal'))).toEqual([
      'd:signal:chat:a:1',
      'd:signal::null:2',
      'd:signal:chat:me:3',
    ]);
  });

  it(`acks sequenced messages ${ACK_DELAY_MS} ms after the first (one cumulative ack), and in every ping`, async () => {
    const time = new ManualTime();
    const session = makeSession(server.url, undefined, { clock: time.clock, timers: time.timers });
    const connecting = session.connect('tok');
    const client = await server.nextClient();
    client.send(welcome({ connectionId: 'me', others: [peer('a')] }));
    await connecting;
    const second = waitFor(session, 'signal', 2000, (e) => e.data === '2');
    client.send({ t: 'signal', from: 'a', data: '1' }, { t: 'signal', from: 'a', data: '2' });
    await second;
    time.advance(ACK_DELAY_MS - 1);
    // Not yet: the next thing on the wire after this request is its own frame, with no ack before it.
    const marker = session.signal({ data: 'marker' });
    expect(await client.next((m) => m.t === 'signal')).toMatchObject({ s: 1, data: 'marker' });
    // The request carried the position; an ack sent before 50 ms would come first.
    expect(client.received).toEqual([
      { t: 'signal', s: 1, data: 'marker' },
      { t: 'ack', a: 2 },
    ]);
    client.send({ t: 'ack', a: 1 });
    await marker;
    client.send({ t: 'signal', from: 'a', data: '3' });
    await waitFor(session, 'signal', 2000, (e) => e.data === '3');
    time.advance(ACK_DELAY_MS);
    expect(await client.next((m) => m.t === 'ack' && m.a === 3)).toEqual({ t: 'ack', a: 3 });
    time.advance(2500); // the heartbeat interval of welcome()
    expect(await client.next((m) => m.t === 'ping')).toEqual({ t: 'ping', a: 3 });
  });
});

describe('peers', () => {
  it('connectionDestroyed, connectionReconnecting and connectionReconnected reach events and delegate with the Connection', async () => {
    const { session, client, log } = await connected({ others: [peer('a'), peer('b')] });
    const destroyed = waitFor(session, 'connectionDestroyed');
    const reconnecting = waitFor(session, 'connectionReconnecting');
    const reconnected = waitFor(session, 'connectionReconnected');
    client.send(
      { t: 'connectionReconnecting', connectionId: 'a' },
      { t: 'connectionReconnected', connectionId: 'a' },
      { t: 'connectionDestroyed', connectionId: 'b', reason: 'networkDisconnected' },
    );
    expect((await reconnecting).connection.connectionId).toBe('a');
    expect((await reconnected).connection).toBe(session.connections.get('a'));
    const d = await destroyed;
    expect(d.connection.connectionId).toBe('b');
    expect(d.reason).toBe('networkDisconnected');
    expect(session.connections.has('b')).toBe(false);
    expect(log.slice(-3)).toEqual(['d:peerReconnecting:a', 'd:peerReconnected:a', 'd:destroyed:b']);
  });
});

describe('forceDisconnect', () => {
  it('1520 locally without the moderator role, 1010 when not connected, 404 for an unknown connection', async () => {
    await expect(makeSession(server.url).forceDisconnect('a')).rejects.toMatchObject({
      code: SessionErrorCode.NotConnected,
    });
    const { session } = await connected({ role: 'publisher' });
    await expect(session.forceDisconnect('a')).rejects.toMatchObject({
      code: SessionErrorCode.UnableToForceDisconnect,
    });
    await expect(session.forceDisconnect('')).rejects.toMatchObject({ code: 1011 });
  });

  it('moderator: sends the request, resolves on ack, maps a nack (e.g. 1520) and 404s unknown connections at once', async () => {
    const { session, client } = await connected({ role: 'moderator' });
    await expect(session.forceDisconnect('ghost')).rejects.toMatchObject({ code: SessionErrorCode.NotFound });
    const ok = session.forceDisconnect(session.connections.get('a')!);
    const denied = session.forceDisconnect('a');
    expect(await client.next((m) => m.t === 'forceDisconnect' && m.s === 1)).toEqual({
      t: 'forceDisconnect',
      s: 1,
      connectionId: 'a',
    });
    await client.next((m) => m.t === 'forceDisconnect' && m.s === 2);
    client.send(
      { t: 'nack', r: 2, code: SessionErrorCode.UnableToForceDisconnect, message: 'not permitted' },
      { t: 'ack', a: 2 },
    );
    await expect(ok).resolves.toBeUndefined();
    await expect(denied).rejects.toMatchObject({ code: 1520 });
  });
});
