/**
 * What the split-process bus adds to the black-box suite (which runs over both buses): the
 * members of one session on different nodes, and the ordering promises of docs/RELIABILITY.md
 * §Ordering across nodes checked where they could break: events that cross the broker with a
 * random delay per batch.
 */
import { handshakeQuery, type ServerMessage } from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import { Parley } from '@parley/server-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_KEY, API_SECRET, Harness, type Joined } from './support/harness.js';

let h: Harness;
let sessionId: string;
beforeEach(async () => {
  h = await Harness.start({}, 'split');
  sessionId = await h.session();
});
afterEach(async () => {
  await h.stop();
});

/** The WebSocket URL (node) a raw client joined through. */
const nodeOf = (j: Joined) => j.client.url.slice(0, j.client.url.indexOf('?'));
const idOf = (j: Joined) => j.welcome.connection.connectionId;
const resumeQuery = (j: Joined, ack: number, resumeKey = j.welcome.resumeKey) =>
  handshakeQuery({ kind: 'resume', apiKey: API_KEY, sessionId, connectionId: idOf(j), resumeKey, ack });

/** The signals a client received, as "from:data". */
function signals(j: Joined): string[] {
  return j.client.all('signal').map((m) => `${m.from ?? 'server'}:${m.data ?? ''}`);
}

/** Membership events a client received, as "+id" / "-id". */
function roster(j: Joined): string[] {
  return j.client.messages
    .filter((m) => m.t === 'connectionCreated' || m.t === 'connectionDestroyed')
    .map((m: ServerMessage) =>
      m.t === 'connectionCreated'
        ? `+${m.connection.connectionId}`
        : m.t === 'connectionDestroyed'
          ? `-${m.connectionId}`
          : '',
    );
}

describe('a session spread over three nodes', () => {
  it('the members are on different nodes and see each other', async () => {
    const a = await h.join(sessionId, { data: 'a' });
    const b = await h.join(sessionId, { data: 'b' });
    const c = await h.join(sessionId, { data: 'c' });
    expect(new Set([nodeOf(a), nodeOf(b), nodeOf(c)]).size).toBe(3);
    expect(c.welcome.connections.map((x) => x.connectionId)).toEqual([idOf(a), idOf(b)]);
    await a.client.nextOf('connectionCreated', 3000, (m) => m.connection.connectionId === idOf(c));
    expect(h.connectionCount()).toBe(3);
    expect(h.nodes.servers.map((s) => s.connectionCount())).toEqual([1, 1, 1]);
  });

  it('signals from several senders reach every member exactly once, in one order, each sender in order', async () => {
    const all: Joined[] = [];
    for (const name of ['a', 'b', 'c', 'd']) all.push(await h.join(sessionId, { data: name }));
    for (const j of all)
      await j.client.until('everyone joined', () => roster(j).length >= all.length - 1 - all.indexOf(j));
    const N = 40;
    // Every sender sends in several frames while the others do: their events interleave at the broker.
    for (let s = 1; s <= N; s += 5) {
      for (const j of all) {
        const batch = [];
        for (let k = s; k < s + 5; k++) batch.push({ t: 'signal', s: k, data: String(k) });
        j.client.send(...batch);
      }
    }
    for (const j of all)
      await j.client.until('every signal', () => j.client.all('signal').length === N * all.length, 10_000);
    const first = signals(all[0] as Joined);
    for (const j of all) {
      expect(signals(j)).toEqual(first);
      for (const sender of all) {
        const mine = signals(j).filter((x) => x.startsWith(`${idOf(sender)}:`));
        expect(mine).toEqual(Array.from({ length: N }, (_, i) => `${idOf(sender)}:${i + 1}`));
      }
    }
    for (const j of all) expect((await j.client.nextOf('ack', 3000, (m) => m.a === N)).a).toBe(N);
  });

  it('joins and leaves are seen in the same order by every member; a connection arrives before its signals and leaves after them', async () => {
    const a = await h.join(sessionId, { data: 'a' });
    const b = await h.join(sessionId, { data: 'b' });
    const c = await h.join(sessionId, { data: 'c' });
    // Joins and leaves from different nodes at once, one of them talking between.
    const x = h.connect(sessionId, h.token(sessionId, { data: 'x' }));
    const y = h.connect(sessionId, h.token(sessionId, { data: 'y' }));
    const xw = await x.nextOf('welcome');
    x.send({ t: 'signal', s: 1, data: 'x-first' }, { t: 'signal', s: 2, data: 'x-last' }, { t: 'bye' });
    const yw = await y.nextOf('welcome');
    y.send({ t: 'bye' });
    const xId = xw.connection.connectionId;
    const yId = yw.connection.connectionId;
    for (const j of [a, b, c]) {
      await j.client.until(
        'x and y came and went',
        () => roster(j).includes(`-${xId}`) && roster(j).includes(`-${yId}`),
      );
    }
    expect(roster(b)).toEqual(roster(a).slice(roster(a).length - roster(b).length));
    const tail = (j: Joined) => roster(j).slice(-4);
    expect(tail(a)).toEqual(tail(b));
    expect(tail(b)).toEqual(tail(c));
    for (const j of [a, b, c]) {
      const seq = j.client.messages
        .filter(
          (m) =>
            (m.t === 'signal' && m.from === xId) ||
            (m.t === 'connectionCreated' && m.connection.connectionId === xId) ||
            (m.t === 'connectionDestroyed' && m.connectionId === xId),
        )
        .map((m) => (m.t === 'signal' ? m.data : m.t));
      expect(seq).toEqual(['connectionCreated', 'x-first', 'x-last', 'connectionDestroyed']);
    }
  });

  it('a signal to one connection on another node reaches only it, in order with the broadcasts around it', async () => {
    const a = await h.join(sessionId, { data: 'a' });
    const b = await h.join(sessionId, { data: 'b' });
    const c = await h.join(sessionId, { data: 'c' });
    expect(nodeOf(a)).not.toBe(nodeOf(b));
    await a.client.nextOf('connectionCreated', 3000, (m) => m.connection.connectionId === idOf(c));
    a.client.send(
      { t: 'signal', s: 1, data: 'all-1' },
      { t: 'signal', s: 2, data: 'to-b', to: idOf(b) },
      { t: 'signal', s: 3, data: 'all-2' },
    );
    await b.client.until('three signals', () => b.client.all('signal').length === 3);
    expect(b.client.all('signal').map((m) => m.data)).toEqual(['all-1', 'to-b', 'all-2']);
    await c.client.until('two signals', () => c.client.all('signal').length === 2);
    await a.client.nextOf('ack', 3000, (m) => m.a === 3);
    expect(c.client.all('signal').map((m) => m.data)).toEqual(['all-1', 'all-2']);
    expect(a.client.all('signal').map((m) => m.data)).toEqual(['all-1', 'all-2']);
  });

  it('the ack covers only completed requests: a later request that fails at once is nacked, but not acked before the earlier one', async () => {
    const a = await h.join(sessionId, { data: 'a' });
    // s=1 waits for the bus (its target is unknown only to the bus); s=2 is refused by the endpoint at once.
    a.client.send({ t: 'signal', s: 1, data: 'x', to: 'nobody' }, { t: 'signal', s: 2, type: 'bad type!' });
    const nack1 = await a.client.nextOf('nack', 3000, (m) => m.r === 1);
    const ack = await a.client.nextOf('ack');
    expect(ack.a).toBe(2);
    expect(nack1.code).toBe(404);
    const acks = a.client.all('ack');
    const nacks = a.client.all('nack');
    expect(nacks.map((m) => m.r).sort()).toEqual([1, 2]);
    // No ack came before the nack of s=1: the first ack already covers both.
    expect(a.client.messages.indexOf(acks[0] as ServerMessage)).toBeGreaterThan(a.client.messages.indexOf(nack1));
  });

  it('REST: a signal to a connection on another node, and a forceDisconnect of one, through any node', async () => {
    const a = await h.join(sessionId, { data: 'a' });
    const b = await h.join(sessionId, { data: 'b' });
    await a.client.nextOf('connectionCreated');
    for (const server of h.nodes.servers) {
      const parley = new Parley(API_KEY, API_SECRET, { apiUrl: server.url });
      await parley.signal(sessionId, { type: 'rest', data: server.url }, idOf(b));
    }
    await b.client.until('three REST signals', () => b.client.all('signal').length === 3);
    expect(b.client.all('signal').map((m) => m.from)).toEqual([null, null, null]);
    const viaOther = h.nodes.servers.find((s) => !nodeOf(b).startsWith(s.wsUrl)) ?? h.server;
    await new Parley(API_KEY, API_SECRET, { apiUrl: viaOther.url }).forceDisconnect(sessionId, idOf(b));
    expect((await b.client.close()).code).toBe(4012);
    const gone = await a.client.nextOf('connectionDestroyed');
    expect(gone).toEqual({ t: 'connectionDestroyed', connectionId: idOf(b), reason: 'forceDisconnected' });
    expect(a.client.all('signal')).toEqual([]);
  });

  it('a moderator on one node disconnects a member on another', async () => {
    const m = await h.join(sessionId, { data: 'm', role: 'moderator' });
    const t = await h.join(sessionId, { data: 't' });
    const o = await h.join(sessionId, { data: 'o' });
    await m.client.nextOf('connectionCreated', 3000, (x) => x.connection.connectionId === idOf(o));
    m.client.send({ t: 'forceDisconnect', s: 1, connectionId: idOf(t) });
    expect((await t.client.close()).code).toBe(4012);
    expect(await o.client.nextOf('connectionDestroyed')).toMatchObject({
      connectionId: idOf(t),
      reason: 'forceDisconnected',
    });
    expect((await m.client.nextOf('ack')).a).toBe(1);
    // The target has left in the bus's order: a signal to it is now a 404.
    m.client.send({ t: 'signal', s: 2, data: 'late', to: idOf(t) });
    expect((await m.client.nextOf('nack')).r).toBe(2);
  });

  it('a resume that reaches another node moves the connection there: replayed in order, nothing lost or doubled', async () => {
    const a = await h.join(sessionId, { data: 'a' });
    const b = await h.join(sessionId, { data: 'b' });
    await a.client.nextOf('connectionCreated');
    b.client.send({ t: 'signal', s: 1, data: 'one' });
    await a.client.nextOf('signal');
    const position = a.client.received; // connectionCreated(b), "one"
    a.client.drop();
    await b.client.nextOf('connectionReconnecting');
    b.client.send({ t: 'signal', s: 2, data: 'two' }, { t: 'signal', s: 3, data: 'three' });
    await b.client.nextOf('ack', 3000, (m) => m.a === 3);

    const elsewhere = h.nodes.servers.find((s) => s.wsUrl !== nodeOf(a)) as ParleyServer;
    const r = h.raw(`${elsewhere.wsUrl}?${resumeQuery(a, position)}`);
    // b keeps talking while the connection moves.
    b.client.send({ t: 'signal', s: 4, data: 'four' });
    expect(await r.nextOf('resumed')).toMatchObject({ ack: 0, next: position + 1 });
    b.client.send({ t: 'signal', s: 5, data: 'five' });
    await r.until('five', () => r.all('signal').some((m) => m.data === 'five'));
    expect(r.all('signal').map((m) => m.data)).toEqual(['two', 'three', 'four', 'five']);
    expect(await b.client.nextOf('connectionReconnected')).toEqual({
      t: 'connectionReconnected',
      connectionId: idOf(a),
    });
    expect(elsewhere.connectionCount()).toBeGreaterThanOrEqual(1);

    // It is at home there: its requests flow, and the session still sees one `a`.
    r.send({ t: 'signal', s: 1, data: 'from the new node' });
    expect(await b.client.nextOf('signal', 3000, (m) => m.data === 'from the new node')).toMatchObject({
      from: idOf(a),
    });
    expect((await r.nextOf('ack', 3000, (m) => m.a === 1)).a).toBe(1);
    expect(h.connectionCount()).toBe(2);
    expect(b.client.all('connectionDestroyed')).toEqual([]);
  });

  it('a resume on another node with a wrong key is refused (4010) and the connection stays where it was', async () => {
    const a = await h.join(sessionId, { data: 'a' });
    const b = await h.join(sessionId, { data: 'b' });
    a.client.drop();
    await b.client.nextOf('connectionReconnecting');
    const elsewhere = h.nodes.servers.find((s) => s.wsUrl !== nodeOf(a)) as ParleyServer;
    const wrong = h.raw(`${elsewhere.wsUrl}?${resumeQuery(a, 0, 'AAAAAAAAAAAAAAAAAAAAAA')}`);
    expect((await wrong.close()).code).toBe(4010);
    const again = h.resume(sessionId, a.welcome, 0);
    expect((await again.nextOf('resumed')).next).toBe(1);
    expect(await b.client.nextOf('connectionReconnected')).toMatchObject({ connectionId: idOf(a) });
  });

  it('frames a client sends before its join is answered wait for it: welcome first, then their effects', async () => {
    await h.stop();
    h = await Harness.start({}, 'split', () => 40); // two hops of 40 ms before a welcome
    sessionId = await h.session();
    const a = await h.join(sessionId, { data: 'a' });
    const b = h.connect(sessionId, h.token(sessionId, { data: 'b' }));
    await b.open();
    expect(b.messages).toEqual([]); // no welcome yet
    b.send({ t: 'signal', s: 1, data: 'early' });
    const welcome = await b.nextOf('welcome');
    expect((await b.nextOf('signal')).data).toBe('early');
    expect((await b.nextOf('ack')).a).toBe(1);
    expect(b.messages[0]?.t).toBe('welcome');
    const seen = await a.client.nextOf('signal');
    expect(seen.from).toBe(welcome.connection.connectionId);
    expect(a.client.messages.map((m) => m.t)).toEqual(['welcome', 'connectionCreated', 'signal']);
  });
});
