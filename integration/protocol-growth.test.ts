/**
 * PROTOCOL.md §Evolution end to end: the client SDK (which declares capabilities) uses `reply`
 * (serverTime) against the real server, while a raw WebSocket client that declares none, and
 * knows only the version-1 message types, shares the session and stays connected and correct.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { handshakeQuery, WS_PATH } from '@parley/protocol';
import { WebSocket } from 'ws';
import { V1_SERVER_MESSAGE_TYPES, waitFor } from '@parley/testkit';
import { API_KEY, inbox, startHarness, type Harness } from './harness.js';
import { T } from './support-opentok.js';

const V1_SEQUENCED = new Set([
  'nack',
  'signal',
  'connectionCreated',
  'connectionDestroyed',
  'connectionReconnecting',
  'connectionReconnected',
]);

/** A minimal version-1 client: no `caps`, acknowledges what it counts, records every type it sees. */
class OldClient {
  readonly ws: WebSocket;
  readonly types: string[] = [];
  readonly signals: string[] = [];
  received = 0;
  closed: number | undefined;
  #wake = new Set<() => void>();

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => {
      for (const line of (data as Buffer).toString('utf8').split('\n')) {
        const m = JSON.parse(line) as { t: string; data?: string };
        this.types.push(m.t);
        if (V1_SEQUENCED.has(m.t)) this.received++;
        if (m.t === 'signal') this.signals.push(m.data ?? '');
      }
      this.ws.send(JSON.stringify({ t: 'ack', a: this.received }));
      for (const w of this.#wake) w();
    });
    this.ws.on('close', (code) => {
      this.closed = code;
      for (const w of this.#wake) w();
    });
  }

  until(what: string, condition: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake.delete(check);
        reject(new Error(`timed out waiting for ${what}; saw ${this.types.join(',')}`));
      }, T);
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#wake.delete(check);
        resolve();
      };
      this.#wake.add(check);
      check();
    });
  }
}

let h: Harness | undefined;
let old: OldClient | undefined;
afterEach(async () => {
  old?.ws.terminate();
  old = undefined;
  await h?.cleanup();
  h = undefined;
});

describe('a newer message type flows past an older client', () => {
  it('the SDK gets serverTime replies; the old raw client in the same session sees only v1 types and stays connected', async () => {
    h = await startHarness();
    const env = h;
    const query = handshakeQuery({ kind: 'join', apiKey: API_KEY, sessionId: env.sessionId, token: env.token() });
    old = new OldClient(`${env.server.url.replace('http', 'ws')}${WS_PATH}?${query}`);
    const o = old;
    await o.until('welcome', () => o.types.includes('welcome'));

    const sdk = await env.client({ data: 'new' });
    expect(sdk.session.protocolCapabilities).toEqual(['reply', 'streams']);
    const mine = inbox(sdk.session);
    const before = Date.now();
    for (let i = 0; i < 5; i++) {
      const [now] = await Promise.all([sdk.session.serverTime(), sdk.session.signal({ data: String(i) })]);
      expect(now).toBeGreaterThanOrEqual(before);
      expect(now).toBeLessThanOrEqual(Date.now());
    }
    await o.until('5 signals', () => o.signals.length === 5);
    expect(o.signals).toEqual(['0', '1', '2', '3', '4']);
    expect(o.types.filter((t) => !V1_SERVER_MESSAGE_TYPES.has(t))).toEqual([]);
    expect(o.closed).toBeUndefined();

    // The old client still speaks: its signal reaches the SDK client, exactly once.
    const fromOld = waitFor<true>(
      (resolve) =>
        sdk.session.on('signal', ({ data }) => {
          if (data === 'from old') resolve(true);
        }),
      T,
      () => 'a signal from the old client',
    );
    o.ws.send(JSON.stringify({ t: 'signal', s: 1, data: 'from old' }));
    await fromOld;
    // A later signal of the SDK's own, echoed back, proves nothing of the old one arrived twice.
    await sdk.session.signal({ data: 'after' });
    await o.until('the echo', () => o.signals.includes('after'));
    expect(mine.received.filter((m) => m.data === 'from old')).toHaveLength(1);
    expect(o.closed).toBeUndefined();
  });
});
