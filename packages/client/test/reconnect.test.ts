import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode, SessionErrorCode, type ClientMessage } from '@parley/protocol';
import { SessionConnectionStatus as S, type Session, type SessionOptions } from '@parley/client';
import { FakeServer, peer, welcome, type FakeClient, type WelcomeOptions } from './support/fake-server.js';
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

const resumed = (ack: number, next: number, reconnectWindow = 30_000) =>
  ({ t: 'resumed', ack, next, heartbeatInterval: 2500, heartbeatTimeout: 7000, reconnectWindow }) as const;

async function connected(
  w: WelcomeOptions = {},
  options: SessionOptions = {},
): Promise<{ session: Session; client: FakeClient; log: string[] }> {
  const log: string[] = [];
  const session = makeSession(server.url, recordingDelegate(log), options);
  session.on('connectionStatusChanged', ({ status, previous }) =>
    log.push(`status:${statusName(previous)}->${statusName(status)}`),
  );
  session.on('sessionDisconnected', ({ reason }) => log.push(`e:disconnected:${reason}`));
  const p = session.connect('tok');
  const client = await server.nextClient();
  client.send(welcome({ connectionId: 'me', others: [peer('a')], ...w }));
  await p;
  log.length = 0;
  return { session, client, log };
}

/** No resume attempt for 10 s, then give up: the session sits in Reconnecting with no transport. */
const NO_RESUME_SOON: SessionOptions = {
  reconnectPolicy: { nextRetryDelay: ({ attempt }) => (attempt === 0 ? 10_000 : null) },
};

const signalsFrom = (log: string[]) => log.filter((l) => l.startsWith('d:signal')).map((l) => l.split(':').pop());

describe('reconnection', () => {
  it('resumes after the server drops the socket: same connection, unacked requests resent in order, replay neither lost nor duplicated', async () => {
    const { session, client, log } = await connected();
    // Three messages, acknowledged; two more the client receives but has not acknowledged yet.
    client.send(...['1', '2', '3'].map((d) => ({ t: 'signal', from: 'a', data: d }) as const));
    await client.next((m) => m.t === 'ack' && m.a === 3);
    const s1 = session.signal({ data: 'one' });
    const s2 = session.signal({ data: 'two' });
    await client.next((m) => m.t === 'signal' && m.s === 2);
    const fifth = waitFor(session, 'signal', 2000, (e) => e.data === '5');
    client.send({ t: 'ack', a: 1 }, { t: 'signal', from: 'a', data: '4' }, { t: 'signal', from: 'a', data: '5' });
    await s1;
    await fifth;
    const reconnecting = waitFor(session, 'sessionReconnecting');
    client.terminate();
    await reconnecting;
    expect(session.connectionStatus).toBe(S.Reconnecting);
    const s3 = session.signal({ data: 'three' }); // queued: retryAfterReconnect defaults to true

    const again = await server.nextClient();
    expect(again.kind).toBe('resume');
    expect(Object.fromEntries(again.query)).toMatchObject({ resume: 'me', key: 'key-1', ack: '5', v: '1' });
    const reconnected = waitFor(session, 'sessionReconnected');
    again.send(resumed(1, 6), { t: 'signal', from: 'a', data: '6' });
    await reconnected;
    const requests = await Promise.all([again.next((m) => m.t === 'signal' && m.s === 3)]).then(() => again.requests());
    expect(requests.map((r) => [r.s, (r as { data?: string }).data])).toEqual([
      [2, 'two'],
      [3, 'three'],
    ]);
    again.send({ t: 'ack', a: 3 });
    await Promise.all([s2, s3]);
    expect(signalsFrom(log)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(session.connection?.connectionId).toBe('me');
    expect(session.connectionStatus).toBe(S.Connected);
    expect(log.filter((l) => !l.startsWith('d:signal'))).toEqual([
      'status:Connected->Reconnecting',
      'd:reconnecting',
      'status:Reconnecting->Connected',
      'd:reconnected',
    ]);
  });

  it('keeps requests the server already has waiting (not resent) until their ack or nack', async () => {
    const { session, client } = await connected();
    const s1 = session.signal({ data: 'one' });
    const s2 = session.signal({ data: 'two' });
    await client.next((m) => m.t === 'signal' && m.s === 2);
    client.terminate();
    const again = await server.nextClient();
    again.send(
      resumed(2, 1),
      { t: 'nack', r: 1, code: SessionErrorCode.NotFound, message: 'gone' },
      { t: 'ack', a: 2 },
    );
    await expect(s1).rejects.toMatchObject({ code: 404 });
    await expect(s2).resolves.toBeUndefined();
    expect(again.requests()).toEqual([]);
  });

  it('detects a silent server by heartbeat timeout, then resumes', async () => {
    const { session, client } = await connected({ heartbeatInterval: 30, heartbeatTimeout: 120 });
    await client.next((m) => m.t === 'ping');
    client.autoPong = false;
    await waitFor(session, 'sessionReconnecting', 2000);
    expect((await client.closed).code).toBe(CloseCode.HeartbeatTimeout);
    const again = await server.nextClient();
    again.send(resumed(0, 1));
    await waitFor(session, 'sessionReconnected');
    expect(session.connectionStatus).toBe(S.Connected);
  });

  it('retryAfterReconnect: false rejects at once with 1010 while reconnecting', async () => {
    const { session, client } = await connected();
    client.terminate();
    await waitFor(session, 'sessionReconnecting');
    await expect(session.signal({ data: 'x', retryAfterReconnect: false })).rejects.toMatchObject({
      code: SessionErrorCode.NotConnected,
    });
  });

  it('when the window runs out: status Failed, then 1022, then sessionDidDisconnect(networkDisconnected); queued signals reject with 1022; connect() works again', async () => {
    const { session, client, log } = await connected({ reconnectWindow: 300 });
    client.terminate();
    await waitFor(session, 'sessionReconnecting');
    const queued = session.signal({ data: 'q' });
    // Every resume attempt opens but never gets an answer.
    const failed = waitFor(session, 'sessionError', 3000);
    const disconnected = waitFor(session, 'sessionDisconnected', 3000);
    const { error } = await failed;
    expect(error.code).toBe(SessionErrorCode.ConnectionDropped);
    expect(error.message).toMatch(/reconnect window \(300 ms\)/);
    expect((await disconnected).reason).toBe('networkDisconnected');
    await expect(queued).rejects.toMatchObject({ code: 1022 });
    expect(session.connectionStatus).toBe(S.Failed);
    expect(log).toEqual([
      'status:Connected->Reconnecting',
      'd:reconnecting',
      'status:Reconnecting->Failed',
      'd:fail:1022',
      'd:disconnect',
      'e:disconnected:networkDisconnected',
    ]);
    expect(session.connection).toBeNull();

    const p = session.connect('tok');
    let fresh = await server.nextClient();
    while (fresh.kind !== 'join') fresh = await server.nextClient(); // skip the unanswered resume attempts
    fresh.send(welcome({ connectionId: 'new' }));
    await p;
    expect(session.connection?.connectionId).toBe('new');
  });

  it('a resume refused with 4010 ends with 1022 then sessionDidDisconnect', async () => {
    const { session, client, log } = await connected();
    client.terminate();
    const again = await server.nextClient();
    // Both waiters before the close: sessionDisconnected fires right after sessionError, in the same call.
    const failed = waitFor(session, 'sessionError');
    const disconnected = waitFor(session, 'sessionDisconnected');
    again.close(CloseCode.ResumeRefused, 'unknown connection');
    const { error } = await failed;
    expect(error.message).toMatch(/refused to resume.*unknown connection/);
    expect((await disconnected).reason).toBe('networkDisconnected');
    expect(log.slice(-3)).toEqual(['d:fail:1022', 'd:disconnect', 'e:disconnected:networkDisconnected']);
    expect(session.connectionStatus).toBe(S.Failed);
  });

  it('a resumed whose next is not our position + 1 is treated as refused', async () => {
    const { session, client } = await connected();
    client.send({ t: 'signal', from: 'a', data: '1' });
    await waitFor(session, 'signal');
    client.terminate();
    const again = await server.nextClient();
    again.send(resumed(0, 5));
    const { error } = await waitFor(session, 'sessionError');
    expect(error.code).toBe(1022);
    expect(error.message).toMatch(/position mismatch/);
  });

  it('4012 forceDisconnected: no error, sessionDidDisconnect(forceDisconnected), NotConnected; pending reject with 1010', async () => {
    const { session, client, log } = await connected();
    const pending = session.signal({ data: 'x' });
    await client.next((m: ClientMessage) => m.t === 'signal');
    client.close(CloseCode.ForceDisconnected, 'kicked');
    const { reason } = await waitFor(session, 'sessionDisconnected');
    expect(reason).toBe('forceDisconnected');
    expect(log).toEqual(['status:Connected->NotConnected', 'd:disconnect', 'e:disconnected:forceDisconnected']);
    await expect(pending).rejects.toMatchObject({ code: 1010 });
  });

  it('4013 server shutdown: 1022 "the server is shutting down", then sessionDidDisconnect(serverShutdown), Failed', async () => {
    const { session, client, log } = await connected();
    client.close(CloseCode.ServerShutdown, 'draining');
    const { error } = await waitFor(session, 'sessionError');
    expect(error.message).toBe('connection dropped: the server is shutting down (draining)');
    expect(log).toEqual(['status:Connected->Failed', 'd:fail:1022', 'd:disconnect', 'e:disconnected:serverShutdown']);
  });

  it('4013 with the server\'s own reason ("server shutting down") says it once', async () => {
    const { session, client } = await connected();
    client.close(CloseCode.ServerShutdown, 'server shutting down');
    const { error } = await waitFor(session, 'sessionError');
    expect(error.message).toBe('connection dropped: the server is shutting down');
    expect(error.cause).toEqual({ code: CloseCode.ServerShutdown, reason: 'server shutting down' });
  });

  it('disconnect() while reconnecting with no resume open resumes once only to send bye, then ends with clientDisconnected', async () => {
    const { session, client, log } = await connected({}, NO_RESUME_SOON);
    client.terminate();
    await waitFor(session, 'sessionReconnecting');
    const done = session.disconnect();
    expect(session.connectionStatus).toBe(S.Disconnecting);
    const again = await server.nextClient();
    expect(again.kind).toBe('resume');
    again.send(resumed(0, 1));
    await again.next((m) => m.t === 'bye');
    again.close(CloseCode.Normal);
    await done;
    expect(again.received.map((m) => m.t)).toEqual(['bye']);
    expect(log).toEqual([
      'status:Connected->Reconnecting',
      'd:reconnecting',
      'status:Reconnecting->Disconnecting',
      'status:Disconnecting->NotConnected',
      'd:disconnect',
      'e:disconnected:clientDisconnected',
    ]);
  });

  it('disconnect() while a resume is opening sends bye on that resume once resumed arrives', async () => {
    const { session, client, log } = await connected();
    const pending = session.signal({ data: 'never sent' });
    client.terminate();
    const again = await server.nextClient(); // the first resume attempt goes out at once
    const done = session.disconnect();
    again.send(resumed(0, 1));
    await again.next((m) => m.t === 'bye');
    again.close(CloseCode.Normal);
    await done;
    expect(server.clients).toHaveLength(2); // no second resume
    expect(again.requests()).toEqual([]); // leaving: nothing is re-sent
    await expect(pending).rejects.toMatchObject({ code: SessionErrorCode.NotConnected });
    expect(log.slice(-3)).toEqual([
      'status:Disconnecting->NotConnected',
      'd:disconnect',
      'e:disconnected:clientDisconnected',
    ]);
  });

  it('disconnect() while reconnecting resolves within disconnectTimeout with clientDisconnected when the resume gets no answer', async () => {
    const { session, client, log } = await connected({}, { ...NO_RESUME_SOON, disconnectTimeout: 300 });
    client.terminate();
    await waitFor(session, 'sessionReconnecting');
    const started = Date.now();
    const done = session.disconnect();
    const again = await server.nextClient();
    expect(again.kind).toBe('resume');
    await done; // the server never answers
    expect(Date.now() - started).toBeLessThan(1500);
    expect(session.connectionStatus).toBe(S.NotConnected);
    expect(log.slice(-2)).toEqual(['d:disconnect', 'e:disconnected:clientDisconnected']);
    expect((await again.closed).code).toBe(CloseCode.Normal);
  });

  it('disconnect() while reconnecting ends with clientDisconnected when the resume is refused', async () => {
    const { session, client, log } = await connected({}, NO_RESUME_SOON);
    client.terminate();
    await waitFor(session, 'sessionReconnecting');
    const done = session.disconnect();
    const again = await server.nextClient();
    again.close(CloseCode.ResumeRefused, 'unknown connection');
    await done;
    expect(log.slice(-3)).toEqual([
      'status:Disconnecting->NotConnected',
      'd:disconnect',
      'e:disconnected:clientDisconnected',
    ]);
    expect(log).not.toContain('d:fail:1022');
  });
});
