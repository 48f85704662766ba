/**
 * core/rebuild.ts on its own: a connection rebuilt from an identity, a checkpoint and logged
 * messages holds exactly what the endpoint's delivery would have held (except/to, stream events
 * only with capability `streams`), rebuilds its ack from the logged request numbers, and refuses
 * what it cannot rebuild exactly. The end-to-end cases over Redis: redis-rebuild.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_REPLAY_BOUNDS, SessionErrorCode } from '@parley/protocol';
import type { LoggedEvent, RebuildState } from '@parley/server';
import { Connection } from '../src/core/connection.js';
import { connectionCheckpoint, connectionIdentity, rebuildConnection } from '../src/core/rebuild.js';
import { SessionBudget } from '../src/core/token-bucket.js';
import { encodeEvent } from '../src/core/wire-events.js';

const ME = 'me';
const OTHER = 'other';
const LIMITS = { burst: 200, byteBurst: 1 << 20, replay: DEFAULT_REPLAY_BOUNDS };

function member(caps: readonly ('streams' | 'reply')[] = []): Connection {
  const c = new Connection(ME, 's1', 'key', 1000, 'd', 'moderator', 'rk', new SessionBudget(10, 10, 0), 200, 1 << 20);
  c.wireCaps = caps;
  return c;
}

const signal = (from: string, r?: number) => ({
  kind: 'signal' as const,
  from,
  type: 'n',
  data: 'x',
  ...(r === undefined ? {} : { r }),
});
const stream = {
  kind: 'streamDestroyed' as const,
  streamId: 'st',
  connectionId: OTHER,
  reason: 'clientDisconnected' as const,
};

/** A log: q 11 .. 18, after a checkpoint at acked 5 / q 10 / hp 2. */
const LOG: LoggedEvent[] = [
  { q: 11, e: signal(OTHER) }, // to everyone: held (6)
  { q: 12, e: signal(ME, 3), t: OTHER }, // my request 3, to another: not held
  { q: 13, e: stream }, // a stream event: held only with `streams`
  { q: 14, e: { kind: 'nack', r: 4, code: SessionErrorCode.NotFound, message: 'no' }, t: ME }, // held
  { q: 15, e: { kind: 'connectionReconnecting', connectionId: ME }, x: ME }, // not mine to see
  { q: 16, e: signal(ME, 5) }, // my request 5, echoed to me: held
  { q: 17, b: { c: ME, r: 6 } }, // my forceDisconnect (request 6), its event elsewhere
  { q: 18, e: signal(OTHER), x: ME }, // except me
];

function rebuild(entries: readonly LoggedEvent[], caps: readonly ('streams' | 'reply')[] = []) {
  const identity = connectionIdentity(member(caps), 3000);
  const state: RebuildState = {
    rebuild: true,
    identity,
    checkpoint: { acked: 5, q: 10, hp: 2, announced: false },
    entries,
  };
  return rebuildConnection(state, 'client-key', new SessionBudget(10, 10, 0), LIMITS, 2000);
}

describe('rebuilding a connection from its checkpoint and the log', () => {
  it('holds what delivery would have held, at the same positions and log positions, and acks every logged request', () => {
    const c = rebuild(LOG);
    if (typeof c === 'string') throw new Error(c);
    expect([c.acked, c.sent, c.highestProcessed, c.received]).toEqual([5, 8, 6, 6]);
    expect(c.heldAfter(5)).toEqual([
      encodeEvent(signal(OTHER)),
      encodeEvent({ kind: 'nack', r: 4, code: SessionErrorCode.NotFound, message: 'no' }),
      encodeEvent(signal(ME, 5)),
    ]);
    expect(c.heldAfter(5)[2]).not.toContain('"r"'); // the request number never reaches the wire
    expect(c.announcedReconnecting).toBe(true);
    expect([c.resumeKey, c.state, c.info.data, c.role]).toEqual(['client-key', 'detached', 'd', 'moderator']);
    // Acknowledging moves the checkpoint's log position with it.
    c.release(7);
    expect(c.ackedQ).toBe(14);
    expect(connectionCheckpoint(c, 18)).toEqual({ acked: 7, q: 14, hp: 6, announced: true });
    c.release(8);
    expect(connectionCheckpoint(c, 18)).toMatchObject({ acked: 8, q: 18 }); // everything acknowledged: the session's position
  });

  it('a stream event is held only with capability streams', () => {
    const c = rebuild(LOG, ['streams']);
    if (typeof c === 'string') throw new Error(c);
    expect(c.sent).toBe(9);
    expect(c.heldAfter(6)[0]).toBe(encodeEvent(stream));
  });

  it('refuses a request missing between two logged ones, and more than the replay bounds', () => {
    expect(rebuild(LOG.filter((m) => m.q !== 14))).toMatch(/request 4/);
    const many = Array.from({ length: DEFAULT_REPLAY_BOUNDS.maxMessages + 1 }, (_, i) => ({
      q: 11 + i,
      e: signal(OTHER),
    }));
    expect(rebuild(many)).toMatch(/overflow/);
  });

  it('no checkpoint while a request is in flight, or before the acknowledged message has a log position', () => {
    const c = member();
    c.state = 'connected';
    c.hold('m1', -1);
    c.release(1);
    expect(connectionCheckpoint(c, 30)).toMatchObject({ q: 30 }); // acknowledged everything
    c.hold('m2', 31);
    c.hold('m3', -1);
    c.release(2);
    expect(connectionCheckpoint(c, 40)).toMatchObject({ acked: 2, q: 31 });
    c.inFlight.push(false);
    expect(connectionCheckpoint(c, 40)).toBeNull();
    c.inFlight.length = 0;
    c.hold('m4', 41);
    c.release(3); // m3: not numbered by the bus
    expect(connectionCheckpoint(c, 41)).toBeNull();
  });
});
