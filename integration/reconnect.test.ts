/**
 * Automatic reconnection (issue 3), one deterministic test per path: the client SDK against the
 * real server, each client that loses its network behind its own FaultProxy. Short timings
 * (heartbeat 100 ms, timeout 400 ms, window 3 s or less) keep each path to about a second. Every
 * wait has a deadline; nothing sleeps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  defaultReconnectPolicy,
  Session,
  SessionConnectionStatus,
  SessionErrorCode,
  type ParleyError,
  type SessionDelegate,
} from '@parley/client';
import type { ServerOptions } from '@parley/server';
import { nextEvent, recordEvents, withDeadline } from '@parley/testkit';
import { inbox, SHORT_TIMINGS, startHarness, type Client, type Harness } from './harness.js';
import { seesOthers, T } from './support-opentok.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

async function harness(
  timings: { heartbeatInterval?: number; heartbeatTimeout?: number; reconnectWindow?: number } = {},
  extra: Omit<ServerOptions, 'timings' | 'port' | 'dataDir' | 'projects'> = {},
): Promise<Harness> {
  h = await startHarness({ ...extra, timings: { ...SHORT_TIMINGS, ...timings } });
  return h;
}

/** Resume retries capped at 200 ms, so a restored network is used at once (the default cap is 5 s). */
const FAST = { reconnectPolicy: defaultReconnectPolicy({ base: 20, cap: 200 }) };

/** bob, then alice behind her own FaultProxy (FAST retries), once bob sees her. */
async function bobAndAlice(env: Harness): Promise<{ bob: Client; alice: Client }> {
  const bob = await env.client();
  const alice = await env.client({ proxied: true, options: FAST });
  await seesOthers(bob.session, 1);
  return { bob, alice };
}

/** `proxied` loses its network: its socket is reset and new ones are refused until `proxy.restore()`. */
async function dropAndHold(c: Client): Promise<void> {
  const reconnecting = nextEvent(c.session, 'sessionReconnecting', T);
  c.proxy?.refuse(true);
  c.proxy?.cut();
  await reconnecting;
}

/** Send a marker from `from` and wait until every session in `to` has it: everything `from` sent before it has arrived too. */
async function flush(from: Session, to: Session[], label: string): Promise<void> {
  const got = to.map((s) => nextEvent(s, 'signal', T, (e) => e.type === 'marker' && e.data === label));
  await from.signal({ type: 'marker', data: label });
  await Promise.all(got);
}

describe('automatic reconnection', () => {
  it('a clean drop resumes the same connection; peers see connectionReconnecting/Reconnected and nothing destroyed or created', async () => {
    const env = await harness();
    const peerCalls: string[] = [];
    const peerDelegate: SessionDelegate = {
      sessionConnectionDidBeginReconnecting: (_s, c) => peerCalls.push(`reconnecting:${c.connectionId}`),
      sessionConnectionDidReconnect: (_s, c) => peerCalls.push(`reconnected:${c.connectionId}`),
    };
    const bob = await env.client({ delegate: peerDelegate });
    const alice = await env.client({ proxied: true, options: FAST });
    await seesOthers(bob.session, 1);
    const idBefore = alice.id;
    const aliceRec = recordEvents(alice.session, [
      'sessionReconnecting',
      'sessionReconnected',
      'sessionError',
      'sessionDisconnected',
    ]);
    const bobRec = recordEvents(bob.session, [
      'connectionReconnecting',
      'connectionReconnected',
      'connectionDestroyed',
      'connectionCreated',
    ]);

    alice.proxy?.cut();
    await aliceRec.waitFor('sessionReconnected', T);
    await bobRec.waitFor('connectionReconnected', T);

    expect(aliceRec.names()).toEqual(['sessionReconnecting', 'sessionReconnected']);
    expect(alice.session.connection?.connectionId).toBe(idBefore);
    expect(alice.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    expect(bobRec.names()).toEqual(['connectionReconnecting', 'connectionReconnected']);
    for (const e of bobRec.events)
      expect((e.event as { connection: { connectionId: string } }).connection.connectionId).toBe(idBefore);
    expect(peerCalls).toEqual([`reconnecting:${idBefore}`, `reconnected:${idBefore}`]);
    // And the resumed connection works both ways.
    await flush(alice.session, [bob.session], 'after-resume-a');
    await flush(bob.session, [alice.session], 'after-resume-b');
  });

  it('a half-open connection is detected by the heartbeat; after the network returns the connection resumes', async () => {
    const env = await harness();
    const { bob, alice } = await bobAndAlice(env);
    const aliceReconnecting = nextEvent(alice.session, 'sessionReconnecting', T);
    const bobSeesIt = nextEvent(bob.session, 'connectionReconnecting', T);
    const started = Date.now();
    alice.proxy?.blackhole(); // every byte vanishes, no FIN, no RST: only silence
    await aliceReconnecting;
    // Detected by the heartbeat: within heartbeatTimeout + heartbeatInterval (900 ms here), plus
    // slack for a loaded machine; far below the 5 s open timeout or any other way of noticing.
    expect(Date.now() - started).toBeLessThan(SHORT_TIMINGS.heartbeatTimeout + SHORT_TIMINGS.heartbeatInterval + 1_000);
    expect((await bobSeesIt).connection.connectionId).toBe(alice.id);

    const resumed = nextEvent(alice.session, 'sessionReconnected', T);
    const bobSeesResume = nextEvent(bob.session, 'connectionReconnected', T);
    alice.proxy?.restore();
    await resumed;
    await bobSeesResume;
    expect(alice.session.connection?.connectionId).toBe(alice.id);
    await flush(alice.session, [bob.session], 'after-half-open');
  });

  it('a refused resume (the server restarted and no longer knows the connection) reports 1022 strictly before sessionDisconnected', async () => {
    const env = await harness();
    const alice = await env.client({ proxied: true, options: FAST });
    const calls: string[] = [];
    const errors: ParleyError[] = [];
    alice.session.on('sessionError', ({ error }) => {
      errors.push(error);
      calls.push(`error:${error.code}`);
    });
    alice.session.on('sessionDisconnected', ({ reason }) => calls.push(`disconnected:${reason}`));
    await dropAndHold(alice); // alice cannot hear the shutdown: her network is down
    await env.restart(); // a new server on the same port: the connection is unknown there
    const disconnected = nextEvent(alice.session, 'sessionDisconnected', T);
    alice.proxy?.restore(); // the resume reaches the new server, which answers 4010
    await disconnected;
    expect(calls).toEqual([`error:${SessionErrorCode.ConnectionDropped}`, 'disconnected:networkDisconnected']);
    expect(errors[0]?.message).toMatch(/refused/); // the refusal, not the window running out
    expect(alice.session.connectionStatus).toBe(SessionConnectionStatus.Failed);
  });

  it('when the window runs out: 1022 strictly before sessionDisconnected, and peers get connectionDestroyed networkDisconnected', async () => {
    const env = await harness({ reconnectWindow: 1_000 });
    const { bob, alice } = await bobAndAlice(env);
    const aliceRec = recordEvents(alice.session, [
      'sessionReconnecting',
      'sessionReconnected',
      'sessionError',
      'sessionDisconnected',
    ]);
    const destroyed = nextEvent(bob.session, 'connectionDestroyed', T);
    // Settled-or-not is observed from the start, so a rejection is never unhandled.
    const signalDuring = alice.session.signal({ type: 'lost-cause', data: 'x' }).then(
      () => null,
      (error: unknown) => error as ParleyError,
    );
    alice.proxy?.blackhole(); // longer than the window: never restored in this test
    await aliceRec.waitFor('sessionDisconnected', T);
    expect(aliceRec.names()).toEqual(['sessionReconnecting', 'sessionError', 'sessionDisconnected']);
    expect((aliceRec.events[1]?.event as { error: ParleyError }).error.code).toBe(SessionErrorCode.ConnectionDropped);
    expect((aliceRec.events[2]?.event as { reason: string }).reason).toBe('networkDisconnected');
    const e = await destroyed;
    expect(e.connection.connectionId).toBe(alice.id);
    expect(e.reason).toBe('networkDisconnected');
    // A signal that may never have reached the server settles with a clear error, not silently.
    // (null: it was acknowledged before the black hole.)
    const outcome = await withDeadline(signalDuring, T, 'the pending signal to settle after the failure');
    if (outcome !== null) expect(outcome.code).toBe(SessionErrorCode.ConnectionDropped);
  });

  it('retryAfterReconnect false: signal() while reconnecting rejects at once with 1010 and is never sent', async () => {
    const env = await harness();
    const { bob, alice } = await bobAndAlice(env);
    const bobInbox = inbox(bob.session);
    await dropAndHold(alice);
    const error = await alice.session.signal({ type: 'nope', data: 'x', retryAfterReconnect: false }).then(
      () => null,
      (e: unknown) => e as ParleyError,
    );
    expect(error?.code).toBe(SessionErrorCode.NotConnected);
    const resumed = nextEvent(alice.session, 'sessionReconnected', T);
    alice.proxy?.restore();
    await resumed;
    await flush(alice.session, [bob.session], 'after-1010');
    expect(bobInbox.data('nope')).toEqual([]);
  });

  it('retryAfterReconnect true (default): a signal sent while reconnecting is queued, delivered once after the resume, and its promise resolves then', async () => {
    const env = await harness();
    const { bob, alice } = await bobAndAlice(env);
    const bobInbox = inbox(bob.session);
    const aliceInbox = inbox(alice.session);
    await dropAndHold(alice);
    const order: string[] = [];
    alice.session.on('sessionReconnected', () => order.push('sessionReconnected'));
    const queued = alice.session.signal({ type: 'queued', data: 'q1' }).then(() => order.push('resolved'));
    const second = alice.session.signal({ type: 'queued', data: 'q2' }).then(() => order.push('resolved'));
    const bobGets = nextEvent(bob.session, 'signal', T, (e) => e.type === 'queued' && e.data === 'q2');
    expect(alice.session.connectionStatus).toBe(SessionConnectionStatus.Reconnecting);
    alice.proxy?.restore();
    await Promise.all([queued, second]);
    await bobGets;
    expect(order).toEqual(['sessionReconnected', 'resolved', 'resolved']);
    await flush(alice.session, [bob.session, alice.session], 'after-queued');
    expect(bobInbox.data('queued')).toEqual(['q1', 'q2']);
    expect(aliceInbox.data('queued')).toEqual(['q1', 'q2']); // the echo too, once
  });

  it('signals others send during the outage arrive once, in order, after the resume', async () => {
    const env = await harness();
    const { bob, alice } = await bobAndAlice(env);
    const aliceInbox = inbox(alice.session);
    await dropAndHold(alice);
    const sent = Array.from({ length: 25 }, (_, i) => `m${i}`);
    for (const data of sent) await bob.session.signal({ type: 'during', data }); // each accepted by the server
    await bob.session.signal({ type: 'during', data: 'to-alice-only', to: alice.id });
    expect(aliceInbox.data('during')).toEqual([]);
    const resumed = nextEvent(alice.session, 'sessionReconnected', T);
    alice.proxy?.restore();
    await resumed;
    await flush(bob.session, [alice.session], 'after-outage');
    expect(aliceInbox.data('during')).toEqual([...sent, 'to-alice-only']);
  });

  it('a replay bigger than any one frame (600 messages held while away) arrives whole, once, in order', async () => {
    // Well inside the documented replay bound (4,096 messages / 8 MiB); the rate limit is raised
    // so that bob can send them quickly.
    const env = await harness({}, { signalRate: { perSecond: 100_000, burst: 100_000 } });
    const { bob, alice } = await bobAndAlice(env);
    const aliceInbox = inbox(alice.session);
    await dropAndHold(alice);
    const sent = Array.from({ length: 600 }, (_, i) => `m${i}`);
    // To alice only: bob's own echoes would make one big frame for bob too (join.test.ts covers that).
    await Promise.all(sent.map((data) => bob.session.signal({ type: 'bulk', data, to: alice.id })));
    const resumed = nextEvent(alice.session, 'sessionReconnected', T);
    const failed = nextEvent(alice.session, 'sessionError', T);
    alice.proxy?.restore();
    const first = await Promise.race([
      resumed.then(() => 'resumed'),
      failed.then((e) => `sessionError ${e.error.code}: ${e.error.message}`),
    ]);
    expect(first).toBe('resumed');
    await flush(bob.session, [alice.session], 'after-bulk');
    expect(aliceInbox.data('bulk')).toEqual(sent);
  });

  it('an acknowledgement lost after the server processed a signal does not duplicate it; the promise still resolves', async () => {
    const env = await harness();
    const { bob, alice } = await bobAndAlice(env);
    const bobInbox = inbox(bob.session);
    const aliceInbox = inbox(alice.session);
    const proxy = alice.proxy;
    if (proxy === undefined) throw new Error('alice has no proxy');
    // Only what the server sends alice vanishes, only on her current link: her request gets
    // through and is processed, its ack (and her echo) do not come back.
    proxy.blackhole({ direction: 'toClient', newLinks: false });
    const bobGets = nextEvent(bob.session, 'signal', T, (e) => e.type === 'once');
    let settled = false;
    const p = alice.session.signal({ type: 'once', data: 'exactly' }).finally(() => (settled = true));
    await bobGets; // the server processed it
    await proxy.waitForDrops(1, T); // and what it sent alice back (the ack at least) vanished
    expect(settled).toBe(false);
    const resumed = nextEvent(alice.session, 'sessionReconnected', T);
    proxy.restore(); // the link lost bytes, so it is cut; alice resumes on a new one
    await resumed;
    // Resolved because of the resume (the server has it: resumed.ack), with no other request
    // needed to carry a fresh ack. Recorded now, asserted last, so the duplicate checks still run.
    const resolvedByResume = await withDeadline(p, 2_000, 'the signal() promise to resolve after the resume').then(
      () => 'resolved',
      (e: unknown) => String(e),
    );
    await flush(alice.session, [bob.session, alice.session], 'after-lost-ack');
    expect(bobInbox.data('once')).toEqual(['exactly']);
    expect(aliceInbox.data('once')).toEqual(['exactly']); // the lost echo was replayed, once
    await p;
    expect(resolvedByResume).toBe('resolved');
  });

  it("stale cleanup: a quick resume is never destroyed by the old transport's expiry", async () => {
    const env = await harness({ reconnectWindow: 1_000 });
    const bob = await env.client();
    const alice = await env.client({ proxied: true, options: FAST });
    // A witness that drops just after alice and never comes back: its expiry, which bob sees,
    // is scheduled after alice's old transport's, so it proves that one has run too.
    const witness = await env.client({ proxied: true, options: FAST });
    await seesOthers(bob.session, 2);
    const destroyed: string[] = [];
    bob.session.on('connectionDestroyed', ({ connection }) => destroyed.push(connection.connectionId));
    const resumed = nextEvent(alice.session, 'sessionReconnected', T);
    const aliceDetached = nextEvent(
      bob.session,
      'connectionReconnecting',
      T,
      (e) => e.connection.connectionId === alice.id,
    );
    alice.proxy?.cut(); // alice resumes at once on a new link
    await aliceDetached; // the server has scheduled the old transport's expiry...
    witness.proxy?.refuse(true);
    witness.proxy?.cut(); // ...before the witness's
    await resumed;
    await nextEvent(bob.session, 'connectionDestroyed', T, (e) => e.connection.connectionId === witness.id);
    expect(destroyed).toEqual([witness.id]);
    expect(alice.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    expect(bob.session.connections.has(alice.id)).toBe(true);
    await flush(alice.session, [bob.session], 'alice-still-here');
    await flush(bob.session, [alice.session], 'bob-reaches-alice');
  });

  it('server shutdown: clients get 1022, then sessionDisconnected with reason serverShutdown', async () => {
    const env = await harness();
    const alice = await env.client();
    const bob = await env.client();
    await seesOthers(bob.session, 1);
    const recs = [alice, bob].map((c) =>
      recordEvents(c.session, ['sessionReconnecting', 'sessionError', 'sessionDisconnected', 'connectionDestroyed']),
    );
    const done = Promise.all(recs.map((r) => r.waitFor('sessionDisconnected', T)));
    await env.server.close();
    await done;
    for (const rec of recs) {
      expect(rec.names()).toEqual(['sessionError', 'sessionDisconnected']);
      expect((rec.events[0]?.event as { error: ParleyError }).error.code).toBe(SessionErrorCode.ConnectionDropped);
      expect((rec.events[1]?.event as { reason: string }).reason).toBe('serverShutdown');
    }
    expect(alice.session.connectionStatus).toBe(SessionConnectionStatus.Failed);
  });
});
