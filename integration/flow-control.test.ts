/**
 * The signal budgets keep every burst inside every receiver's replay bound (PROTOCOL.md §Flow
 * control), with the real client SDK and the server's DEFAULT limits: a sender that stays within
 * the documented limits never ends anyone's session; what a byte budget refuses is refused with
 * 429, never lost silently. Every wait has a deadline; nothing sleeps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SessionConnectionStatus, SessionErrorCode, type ParleyError, type Session } from '@parley/client';
import {
  DEFAULT_SESSION_SIGNAL_BUDGET,
  DEFAULT_SIGNAL_BYTE_RATE,
  DEFAULT_SIGNAL_RATE,
  encodeMessage,
  MAX_SIGNAL_DATA_LENGTH,
} from '@parley/protocol';
import { nextEvent, recordEvents, type EventRecording } from '@parley/testkit';
import { inbox, startHarness, type Client, type Harness } from './harness.js';
import { seesOthers, T } from './support-opentok.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

/** Wait until every one of `receivers` has the broadcast `type` marker sent by `sender`. */
async function marker(sender: Session, receivers: readonly Client[], type = 'marker'): Promise<void> {
  const got = receivers.map((x) => nextEvent(x.session, 'signal', T, (s) => s.type === type));
  await sender.signal({ type });
  await Promise.all(got);
}

async function members(n: number): Promise<{ everyone: Client[]; ended: EventRecording[] }> {
  h = await startHarness();
  const everyone: Client[] = [];
  for (let i = 0; i < n; i++) everyone.push(await h.client({ data: `m${i}` }));
  await Promise.all(everyone.map((x) => seesOthers(x.session, n - 1)));
  const ended = everyone.map((x) =>
    recordEvents(x.session, ['sessionError', 'sessionDisconnected', 'connectionDestroyed', 'sessionReconnecting']),
  );
  return { everyone, ended };
}

/** Settled results → the data of the accepted ones; every refusal must be a 429. */
function accepted(results: PromiseSettledResult<unknown>[], data: readonly string[]): string[] {
  const out: string[] = [];
  for (const [i, r] of results.entries()) {
    if (r.status === 'fulfilled') out.push(data[i] as string);
    else expect((r.reason as ParleyError).code).toBe(SessionErrorCode.RateLimitExceeded);
  }
  return out;
}

/** Bytes a signal costs: its encoded `signal` message in UTF-8, as the server charges it. */
function cost(from: string, type: string, data: string): number {
  return Buffer.byteLength(encodeMessage({ t: 'signal', from, type, data }), 'utf8');
}

describe('flow control with the default limits', () => {
  it(`the full burst (${DEFAULT_SIGNAL_RATE.burst} signals of ${MAX_SIGNAL_DATA_LENGTH} characters) reaches all 3 members, in order, and nobody is dropped`, async () => {
    const { everyone, ended } = await members(3);
    const [sender] = everyone as [Client];
    const inboxes = everyone.map((x) => inbox(x.session));
    const sent = Array.from({ length: DEFAULT_SIGNAL_RATE.burst }, (_, i) =>
      `${i}:`.padEnd(MAX_SIGNAL_DATA_LENGTH, 'x'),
    );
    // The whole burst is inside the byte budgets: ~1.66 MB against 2 MiB (sender) and 4 MiB (session).
    expect(sent.reduce((n, d) => n + cost(sender.id, 'big', d), 0)).toBeLessThan(DEFAULT_SIGNAL_BYTE_RATE.burst);

    const results = await Promise.allSettled(sent.map((data) => sender.session.signal({ type: 'big', data })));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    await marker(everyone[1]!.session, everyone);

    for (const [i, x] of inboxes.entries()) expect(x.data('big'), `member ${i}`).toEqual(sent);
    for (const x of everyone) expect(x.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    expect(ended.map((r) => r.names())).toEqual([[], [], []]);
    expect(h!.server.connectionCount()).toBe(3);
  });

  it('signals that JSON-escape to 6 bytes a character: past the 2 MiB byte budget they are refused with 429, the accepted ones reach everyone', async () => {
    const { everyone, ended } = await members(3);
    const [sender] = everyone as [Client];
    const inboxes = everyone.map((x) => inbox(x.session));
    const sent = Array.from({ length: 60 }, (_, i) => `${i}:`.padEnd(MAX_SIGNAL_DATA_LENGTH, '\u0001'));
    const each = cost(sender.id, 'esc', sent[10]!);
    expect(each).toBeGreaterThan(6 * 8000); // ~49 KB on the wire for 8,192 characters
    const fit = Math.floor(DEFAULT_SIGNAL_BYTE_RATE.burst / each); // 42

    const results = await Promise.allSettled(sent.map((data) => sender.session.signal({ type: 'esc', data })));
    const ok = accepted(results, sent);
    // The first `fit` always pass (a full bucket); the bucket refills 1 MiB/s while the rest are
    // processed, so a few later ones may pass too.
    expect(ok.slice(0, fit)).toEqual(sent.slice(0, fit));
    expect(ok.length).toBeLessThan(sent.length);
    await marker(everyone[1]!.session, everyone);

    for (const [i, x] of inboxes.entries()) expect(x.data('esc'), `member ${i}`).toEqual(ok);
    for (const x of everyone) expect(x.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    expect(ended.map((r) => r.names())).toEqual([[], [], []]);
  });

  it('three members burst at once (~5 MB against the 4 MiB session budget): the excess is refused with 429, every member gets every accepted signal in order, nobody is dropped', async () => {
    const { everyone, ended } = await members(3);
    const inboxes = everyone.map((x) => inbox(x.session));
    const sent = everyone.map((_, s) =>
      Array.from({ length: DEFAULT_SIGNAL_RATE.burst }, (_, i) => `${s}.${i}:`.padEnd(MAX_SIGNAL_DATA_LENGTH, 'y')),
    );
    const all = everyone.map((x, s) =>
      Promise.allSettled(sent[s]!.map((data) => x.session.signal({ type: `from${s}`, data }))),
    );
    const ok = (await Promise.all(all)).map((results, s) => accepted(results, sent[s]!));
    const total = ok.reduce((n, o) => n + o.length, 0);
    expect(total).toBeLessThan(3 * DEFAULT_SIGNAL_RATE.burst); // the session budget refused some
    // ...but only once its 4 MiB were spent (no sender's own 2 MiB budget binds: 200 × ~8.3 KB).
    const bytes = ok.reduce((n, o, s) => n + o.reduce((m, d) => m + cost(everyone[s]!.id, `from${s}`, d), 0), 0);
    expect(bytes).toBeGreaterThan(
      DEFAULT_SESSION_SIGNAL_BUDGET.byteBurst - cost(everyone[0]!.id, 'from0', sent[0]![0]!),
    );
    await marker(everyone[0]!.session, everyone);

    for (const [i, x] of inboxes.entries()) {
      for (const [s, o] of ok.entries()) expect(x.data(`from${s}`), `member ${i} from ${s}`).toEqual(o);
    }
    for (const x of everyone) expect(x.session.connectionStatus).toBe(SessionConnectionStatus.Connected);
    expect(ended.map((r) => r.names())).toEqual([[], [], []]);
  });
});
