import { MAX_CLIENT_FRAME_BYTES, MAX_SIGNAL_DATA_LENGTH, MAX_SIGNAL_TYPE_LENGTH } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness, SHORT_TIMINGS } from './support/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await Harness.start({ timings: SHORT_TIMINGS });
});
afterEach(async () => {
  await h.stop();
});

describe('join', () => {
  it('a join gets a welcome with its connection, role, resume key, timings and limits', async () => {
    const sessionId = await h.session();
    const { client, welcome } = await h.join(sessionId, { role: 'moderator', data: 'name=Alice' });
    expect(welcome.v).toBe(1);
    expect(welcome.role).toBe('moderator');
    expect(welcome.connection.data).toBe('name=Alice');
    expect(welcome.connection.connectionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(Math.abs(welcome.connection.creationTime - Date.now())).toBeLessThan(5000);
    expect(welcome.connections).toEqual([]);
    expect(welcome.resumeKey.length).toBeGreaterThanOrEqual(22);
    expect(welcome).toMatchObject(SHORT_TIMINGS);
    expect(welcome.limits).toEqual({
      maxSignalTypeLength: MAX_SIGNAL_TYPE_LENGTH,
      maxSignalDataLength: MAX_SIGNAL_DATA_LENGTH,
      maxClientFrameBytes: MAX_CLIENT_FRAME_BYTES,
    });
    expect(client.messages[0]?.t).toBe('welcome');
    expect(h.server.connectionCount()).toBe(1);
  });

  it('a second client sees the first in welcome; the first gets connectionCreated, never its own', async () => {
    const sessionId = await h.session();
    const a = await h.join(sessionId, { data: 'a' });
    const b = await h.join(sessionId, { data: 'b' });
    expect(b.welcome.connections).toEqual([a.welcome.connection]);
    const created = await a.client.nextOf('connectionCreated');
    expect(created.connection).toEqual(b.welcome.connection);
    // b leaves with bye: a gets connectionDestroyed clientDisconnected, b gets 1000
    b.client.send({ t: 'bye' });
    expect((await b.client.close()).code).toBe(1000);
    const destroyed = await a.client.nextOf('connectionDestroyed');
    expect(destroyed).toEqual({
      t: 'connectionDestroyed',
      connectionId: b.welcome.connection.connectionId,
      reason: 'clientDisconnected',
    });
    expect(b.client.all('connectionCreated')).toEqual([]);
  });

  it('a close with 1001 (a browser page unloading) leaves at once; a close with 1000 and no bye is a drop', async () => {
    const sessionId = await h.session();
    const a = await h.join(sessionId, { data: 'a' });
    const b = await h.join(sessionId, { data: 'b' });
    const c = await h.join(sessionId, { data: 'c' });
    const bId = b.welcome.connection.connectionId;
    const cId = c.welcome.connection.connectionId;
    b.client.ws.close(1001, 'page unloaded');
    const destroyed = await a.client.nextOf('connectionDestroyed', 3000, (m) => m.connectionId === bId);
    expect(destroyed.reason).toBe('clientDisconnected');
    expect(a.client.all('connectionReconnecting')).toEqual([]);
    // Any other close keeps the connection for the reconnect window, as a network drop does.
    c.client.ws.close(1000);
    expect((await a.client.nextOf('connectionReconnecting', 3000)).connectionId).toBe(cId);
    const expired = await a.client.nextOf('connectionDestroyed', 3000, (m) => m.connectionId === cId);
    expect(expired.reason).toBe('networkDisconnected');
  });

  it('ten clients: each sees the others oldest first, and the later joins as connectionCreated in order', async () => {
    const sessionId = await h.session();
    const joined = [];
    for (let i = 0; i < 10; i++) joined.push(await h.join(sessionId, { data: `n${i}` }));
    for (let i = 0; i < 10; i++) {
      const { client, welcome } = joined[i]!;
      expect(welcome.connections.map((c) => c.data)).toEqual(joined.slice(0, i).map((j) => j.welcome.connection.data));
      for (let k = i + 1; k < 10; k++) {
        const created = await client.nextOf('connectionCreated');
        expect(created.connection.data).toBe(`n${k}`);
      }
    }
    const leaver = joined[4]!;
    leaver.client.drop();
    // networkDisconnected only after the reconnect window; a bye is immediate:
    const last = joined[9]!;
    last.client.send({ t: 'bye' });
    for (let i = 0; i < 9; i++) {
      if (i === 4) continue;
      const d = await joined[i]!.client.nextOf(
        'connectionDestroyed',
        3000,
        (m) => m.connectionId === last.welcome.connection.connectionId,
      );
      expect(d.reason).toBe('clientDisconnected');
      await joined[i]!.client.nextOf(
        'connectionDestroyed',
        3000,
        (m) => m.connectionId === leaver.welcome.connection.connectionId,
      );
    }
  });

  it('a refused join at the connection limit is closed with 4027 and the others see nothing', async () => {
    await h.stop();
    h = await Harness.start({ maxConnectionsPerSession: 2 });
    const sessionId = await h.session();
    const a = await h.join(sessionId);
    await h.join(sessionId);
    const c = h.connect(sessionId, h.token(sessionId));
    const closed = await c.close();
    expect(closed.code).toBe(4027);
    expect(closed.reason).toMatch(/full/);
    expect(c.messages).toEqual([]);
    // one more signal round-trip proves a saw exactly one connectionCreated
    a.client.send({ t: 'signal', s: 1, type: 'x' });
    await a.client.nextOf('ack');
    expect(a.client.all('connectionCreated')).toHaveLength(1);
  });
});
