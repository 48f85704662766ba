/**
 * The browser tier: the built client bundle (packages/client/dist/parley.browser.js) in real
 * headless Chromium, against the real server (the page and its static server: browser-page.ts).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { nextEvent } from '@parley/testkit';
import { useBrowserTier } from './browser-page.js';
import { API_KEY } from './harness.js';

const T = 10_000;

describe('in Chromium', () => {
  const tier = useBrowserTier();

  async function openPage(): Promise<Page> {
    const page = await tier.openPage();
    const loaded = await page.evaluate(() => typeof (window as unknown as { Parley?: unknown }).Parley);
    expect(loaded, `the bundle did not load: ${tier.pageErrors.join('; ')}`).toBe('object');
    return page;
  }

  it('two sessions in a page connect and exchange a signal', async () => {
    const h = await tier.harness();
    const p = await openPage();
    const result = await p.evaluate(
      async ({ url, apiKey, sessionId, tokens }) => {
        type S = {
          connect(token: string): Promise<void>;
          disconnect(): Promise<void>;
          signal(o: { type?: string; data?: string; to?: string }): Promise<void>;
          on(
            name: string,
            fn: (e: {
              type?: string;
              data?: string;
              from: { connectionId: string } | null;
              connection?: { connectionId: string };
            }) => void,
          ): () => void;
          connection: { connectionId: string } | null;
        };
        const { Session } = (window as unknown as { Parley: { Session: new (...args: unknown[]) => S } }).Parley;
        const a = new Session(apiKey, sessionId, undefined, { url });
        const b = new Session(apiKey, sessionId, undefined, { url });
        await a.connect(tokens[0] as string);
        const bSeesA = new Promise<string>((resolve) =>
          b.on('connectionCreated', (e) => {
            resolve(e.connection?.connectionId ?? '');
          }),
        );
        await b.connect(tokens[1] as string);
        const seen = await bSeesA;
        const got = new Promise<{ type?: string; data?: string; from: string | null }>((resolve) =>
          b.on('signal', (e) => {
            resolve({ type: e.type, data: e.data, from: e.from?.connectionId ?? null });
          }),
        );
        await a.signal({ type: 'hello', data: 'from the browser' });
        const signal = await got;
        const ids = [a.connection?.connectionId, b.connection?.connectionId];
        await a.disconnect();
        await b.disconnect();
        return { ids, seen, signal };
      },
      {
        url: h.server.url,
        apiKey: API_KEY,
        sessionId: h.sessionId,
        tokens: [h.token({ data: 'a' }), h.token({ data: 'b' })],
      },
    );
    expect(result.seen).toBe(result.ids[0]);
    expect(result.signal).toEqual({ type: 'hello', data: 'from the browser', from: result.ids[0] });
  });

  it('a frozen page disconnects its session: a peer sees connectionDestroyed clientDisconnected', async () => {
    const h = await tier.harness();
    const peer = await h.client();
    const p = await openPage();
    const created = nextEvent(peer.session, 'connectionCreated', T); // the page is the only one to join
    const pageConnectionId = await p.evaluate(
      async ({ url, apiKey, sessionId, token }) => {
        type S = { connect(token: string): Promise<void>; connection: { connectionId: string } | null };
        const { Session } = (window as unknown as { Parley: { Session: new (...args: unknown[]) => S } }).Parley;
        const s = new Session(apiKey, sessionId, undefined, { url });
        (window as unknown as { session: S }).session = s;
        await s.connect(token);
        return s.connection?.connectionId ?? '';
      },
      { url: h.server.url, apiKey: API_KEY, sessionId: h.sessionId, token: h.token({ data: 'page' }) },
    );
    expect((await created).connection.connectionId).toBe(pageConnectionId);
    const destroyed = nextEvent(
      peer.session,
      'connectionDestroyed',
      T,
      (e) => e.connection.connectionId === pageConnectionId,
    );
    const cdp = await p.context().newCDPSession(p);
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    const e = await destroyed;
    expect(e.reason).toBe('clientDisconnected');
    await cdp.send('Page.setWebLifecycleState', { state: 'active' });
    const pageEvents = await p.evaluate(() => (window as unknown as { pageEvents: string[] }).pageEvents);
    expect(pageEvents).toContain('freeze');
  });
});
