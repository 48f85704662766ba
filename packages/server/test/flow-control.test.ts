/**
 * Flow control against a server in its own process (so its memory can be measured): a peer that
 * never reads (TCP reading paused) cannot grow the server's memory, whether it acknowledges
 * blindly while signalling or floods application pings; an honest client in the same session is
 * undisturbed. Every attack is bounded in count and time and stops by itself; nothing sleeps.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '@parley/testkit';
import { DeafPeer, ForkedServer, type Memory } from './support/forked-server.js';
import { RawClient } from './support/raw-client.js';

const MiB = 1024 * 1024;

let server: ForkedServer;
const stops: (() => void)[] = [];
beforeEach(async () => {
  server = await ForkedServer.start();
});
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await server.stop();
});

/** Per-sender sequence numbers carried as a `n:` prefix of the data must rise. */
function inOrderPerSender(client: RawClient, type: string): Map<string, number> {
  const last = new Map<string, number>();
  for (const m of client.all('signal')) {
    if (m.type !== type || m.from === null) continue;
    const n = Number((m.data ?? '').split(':', 1)[0]);
    const prev = last.get(m.from) ?? 0;
    expect(n, `signal from ${m.from} after ${prev}`).toBeGreaterThan(prev);
    last.set(m.from, n);
  }
  return last;
}

/** An honest raw client that pings (and so acknowledges) every 50 ms. */
async function honest(sessionId: string, data: string): Promise<RawClient> {
  const c = new RawClient(server.joinUrl(sessionId, data), 50);
  stops.push(() => {
    c.drop();
  });
  await c.nextOf('welcome', 5000);
  return c;
}

async function deaf(sessionId: string, data: string): Promise<DeafPeer> {
  const p = new DeafPeer(server.joinUrl(sessionId, data));
  stops.push(() => {
    p.destroy();
  });
  await p.open();
  return p;
}

/** An honest signal that must come back as its echo (a 429 from the session budget is retried). */
async function roundTrip(c: RawClient, s: { n: number }, type: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const seq = ++s.n;
    c.send({ t: 'signal', s: seq, type, data: String(seq) });
    const m = await c.next((x) => (x.t === 'nack' && x.r === seq) || (x.t === 'signal' && x.type === type), 5000);
    if (m.t === 'signal') return;
  }
  throw new Error(`${type}: refused 50 times in a row`);
}

function growth(before: Memory, after: Memory): { heap: number; rss: number } {
  return {
    heap: after.heapUsed + after.external - (before.heapUsed + before.external),
    rss: after.rss - before.rss,
  };
}

describe('a peer that never reads', () => {
  it('acking blindly while signalling: its transport is closed at the unsent-bytes bound, memory stays bounded, the honest member is undisturbed', async () => {
    const sessionId = await server.createSession();
    const watcher = await honest(sessionId, 'honest');
    const attackers = [await deaf(sessionId, 'attacker-1'), await deaf(sessionId, 'attacker-2')];
    await watcher.until('both attackers joined', () => watcher.all('connectionCreated').length === 2, 5000);
    const ids = watcher.all('connectionCreated').map((m) => m.connection.connectionId);
    const before = await server.memory();

    // Each attacker signals ITSELF 100 times a second with 8,192 characters that JSON-escape to
    // 6 bytes each (~49 KB a signal), and acknowledges without reading: every request gets exactly
    // one sequenced answer (its echo or a 429 nack), so `ack = requests sent` is always valid and
    // empties its replay buffer. What the server writes to it can only pile up unsent.
    const MAX_SIGNALS = 4000; // 40 s at 100/s: the attack's bound if the server never reacts
    const timers = attackers.map((a, i) => {
      let n = 0;
      const to = ids[i];
      const timer = setInterval(() => {
        if (a.ended || n >= MAX_SIGNALS) {
          clearInterval(timer);
          return;
        }
        const prefix = `${++n}:`;
        const data = prefix + '\u0001'.repeat(8192 - prefix.length);
        a.send(`${JSON.stringify({ t: 'signal', s: n, to, type: 'attack', data })}\n{"t":"ack","a":${n}}`);
      }, 10);
      return timer;
    });
    stops.push(() => {
      for (const t of timers) clearInterval(t);
    });

    // Meanwhile the honest member signals the session, one request per pong: each is answered
    // (echo, or a 429 while the attackers hold the session's byte budget) and the echoes arrive
    // in order. The unsent bound (16 MiB) is reached after the 2 MiB burst and ~14 s at the
    // per-connection 1 MiB/s, or sooner; the attack stops by itself after 40 s.
    const talk = { n: 0 };
    const state = { done: false };
    const talking = (async () => {
      while (!state.done) {
        await roundTrip(watcher, talk, 'talk');
        // Paced by its own heartbeat (a pong every 50 ms), well inside its rate limit.
        await watcher.next((m) => m.t === 'pong', 5000);
      }
    })();
    try {
      await Promise.all(attackers.map((a) => a.closedByServer(45_000)));
    } finally {
      state.done = true;
      for (const t of timers) clearInterval(t);
      await talking;
    }
    // Dropped as a transport (4015: it may resume), not destroyed: the others see connectionReconnecting.
    await watcher.until(
      'connectionReconnecting for both attackers',
      () => ids.every((id) => watcher.all('connectionReconnecting').some((m) => m.connectionId === id)),
      5000,
    );
    expect(watcher.all('connectionDestroyed')).toEqual([]);

    // The honest member stayed connected and got its own signals back, in order.
    expect(watcher.closed).toBeUndefined();
    const echoes = watcher.all('signal').filter((m) => m.type === 'talk');
    expect(echoes.length).toBeGreaterThan(0);
    const numbers = echoes.map((m) => Number(m.data));
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));

    // Two sockets held at most 16 MiB each (closed after a 2 s grace). Stated bound: after the
    // attack, heap + external buffers within 16 MiB of the start, RSS within 96 MiB.
    const g = growth(before, await server.memory());
    expect(g.heap, `heap + external growth ${(g.heap / MiB).toFixed(1)} MiB`).toBeLessThan(16 * MiB);
    expect(g.rss, `rss growth ${(g.rss / MiB).toFixed(1)} MiB`).toBeLessThan(96 * MiB);
  }, 90_000);

  it('flooding application pings: at most one pong is outstanding, memory stays flat, the honest members are undisturbed', async () => {
    const sessionId = await server.createSession();
    const watcher = await honest(sessionId, 'watcher');
    const talker = await honest(sessionId, 'talker');
    const flooder = await deaf(sessionId, 'flooder');
    await watcher.next((m) => m.t === 'connectionCreated' && m.connection.data === 'flooder', 5000);
    const before = await server.memory();

    // 8,000 frames of 256 pings each (2,048,000 pings, ~38 MB), as fast as the flooder's own
    // socket takes them; then a signal that tells the others every ping before it was processed.
    const FRAMES = 8000;
    const frame = Array<string>(256).fill('{"t":"ping","a":0}').join('\n');
    let sent = 0;
    let talked = 0;
    const talk = { n: 0 };
    const flooded = waitFor(
      (resolve, reject) => {
        const pump = (): void => {
          if (flooder.ended) {
            reject(new Error(`the flooder was closed after ${sent} frames`));
            return;
          }
          while (sent < FRAMES && flooder.send(frame)) {
            sent++;
            // The talker signals 20 times while the flood goes on.
            if (sent % 400 === 0) talker.send({ t: 'signal', s: ++talk.n, type: 'talk', data: `${++talked}:` });
          }
          if (sent < FRAMES) {
            setImmediate(pump);
            return;
          }
          flooder.send('{"t":"signal","s":1,"type":"flood-done"}');
          resolve();
        };
        pump();
      },
      30_000,
      'the flood to be sent',
    );
    await flooded;
    await watcher.next((m) => m.t === 'signal' && m.type === 'flood-done', 30_000);

    expect(flooder.ended).toBe(false);
    const g = growth(before, await server.memory());

    // The honest members: connected, and every talk signal arrived, in order.
    expect(watcher.closed).toBeUndefined();
    expect(talker.closed).toBeUndefined();
    const seen = inOrderPerSender(watcher, 'talk');
    expect([...seen.values()]).toEqual([talked]);
    expect(watcher.all('signal').filter((m) => m.type === 'talk')).toHaveLength(talked);

    // Stated bound: 2,048,000 pongs would be ~27 MB of frames; one outstanding pong is nothing.
    // Heap + external buffers within 4 MiB of the start, RSS within 64 MiB (parsing 38 MB of input).
    expect(g.heap, `heap + external growth ${(g.heap / MiB).toFixed(1)} MiB`).toBeLessThan(4 * MiB);
    expect(g.rss, `rss growth ${(g.rss / MiB).toFixed(1)} MiB`).toBeLessThan(64 * MiB);
  }, 60_000);
});
