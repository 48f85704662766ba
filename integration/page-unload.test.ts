/**
 * Leaving a page leaves the session at once (issue 9, item 3). A page that closes, reloads or
 * navigates away tells the server (`bye` on `pagehide`, and the socket closed with 1001 going
 * away), so the others get `connectionDestroyed` with `clientDisconnected` at once instead of
 * `connectionReconnecting` and a ghost for the whole reconnect window. A network drop still keeps
 * the connection for the window. The server runs with the default 30 s window and every wait has a
 * 5 s deadline, so a ghost fails the test.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { nextEvent, type FaultProxy } from '@parley/testkit';
import { useBrowserTier } from './browser-page.js';
import { API_KEY, type Client } from './harness.js';

/** Well below the reconnect window: a connection held for the window cannot pass. */
const DEADLINE = 5_000;
const RECONNECT_WINDOW = 30_000;

describe('a page that goes away, in Chromium', () => {
  const tier = useBrowserTier();

  /** A server with a 30 s reconnect window, a Node peer, and a page whose session joined (through a FaultProxy, if `proxied`). */
  async function joinFromPage(
    proxied = false,
    path = '',
  ): Promise<{ peer: Client; p: Page; pageId: string; seen: string[]; proxy: FaultProxy | undefined }> {
    const h = await tier.harness({ timings: { reconnectWindow: RECONNECT_WINDOW } });
    const proxy = proxied ? await h.proxy() : undefined;
    const peer = await h.client({ data: 'peer' });
    // Everything the peer hears about the page's connection, in order.
    const seen: string[] = [];
    for (const name of ['connectionReconnecting', 'connectionReconnected'] as const)
      peer.session.on(name, () => seen.push(name));
    peer.session.on('connectionDestroyed', (e) => seen.push(`connectionDestroyed:${e.reason}`));
    const p = await tier.openPage(path);
    const created = nextEvent(peer.session, 'connectionCreated', DEADLINE);
    const pageId = await p.evaluate(
      async ({ url, apiKey, sessionId, token }) => {
        type S = { connect(token: string): Promise<void>; connection: { connectionId: string } | null };
        const { Session } = (window as unknown as { Parley: { Session: new (...args: unknown[]) => S } }).Parley;
        const s = new Session(apiKey, sessionId, undefined, { url });
        (window as unknown as { session: S }).session = s;
        await s.connect(token);
        return s.connection?.connectionId ?? '';
      },
      {
        url: proxy?.url(h.server.url) ?? h.server.url,
        apiKey: API_KEY,
        sessionId: h.sessionId,
        token: h.token({ data: 'page' }),
      },
    );
    expect((await created).connection.connectionId).toBe(pageId);
    return { peer, p, pageId, seen, proxy };
  }

  function destroyedSoon(peer: Client, pageId: string): Promise<string> {
    return nextEvent(peer.session, 'connectionDestroyed', DEADLINE, (e) => e.connection.connectionId === pageId).then(
      (e) => e.reason,
    );
  }

  it('closing the tab as a person does (beforeunload runs): the others see clientDisconnected at once', async () => {
    const { peer, p, pageId, seen } = await joinFromPage();
    const destroyed = destroyedSoon(peer, pageId);
    await p.close({ runBeforeUnload: true });
    expect(await destroyed).toBe('clientDisconnected');
    expect(seen).toEqual(['connectionDestroyed:clientDisconnected']);
  });

  it('closing the tab without beforeunload (page.close()): the others see clientDisconnected at once', async () => {
    const { peer, p, pageId, seen } = await joinFromPage();
    const destroyed = destroyedSoon(peer, pageId);
    await p.close();
    expect(await destroyed).toBe('clientDisconnected');
    expect(seen).toEqual(['connectionDestroyed:clientDisconnected']);
  });

  it('reloading: the old connection leaves at once, so the person is not there twice', async () => {
    const { peer, p, pageId, seen } = await joinFromPage();
    const destroyed = destroyedSoon(peer, pageId);
    await p.reload({ waitUntil: 'load' });
    expect(await destroyed).toBe('clientDisconnected');
    expect(seen).toEqual(['connectionDestroyed:clientDisconnected']);
    expect(peer.session.connections.size).toBe(0); // nobody else: no ghost of the page
  });

  for (const [from, persisted] of [
    ['', true],
    ['no-store', false],
  ] as const)
    it(`navigating to another URL (pagehide persisted=${persisted}): the others see clientDisconnected at once`, async () => {
      const { peer, p, pageId, seen } = await joinFromPage(false, from);
      const destroyed = destroyedSoon(peer, pageId);
      await p.goto(new URL('/elsewhere', p.url()).href, { waitUntil: 'load' });
      expect(await destroyed).toBe('clientDisconnected');
      expect(seen).toEqual(['connectionDestroyed:clientDisconnected']);
      expect(await p.evaluate(() => localStorage.getItem('pagehide'))).toBe(`persisted=${persisted}`);
    });

  it('a network drop is not leaving: the others see connectionReconnecting, then the page resumes', async () => {
    const { peer, pageId, seen, proxy } = await joinFromPage(true);
    const forPage = (e: { connection: { connectionId: string } }): boolean => e.connection.connectionId === pageId;
    const reconnecting = nextEvent(peer.session, 'connectionReconnecting', DEADLINE, forPage);
    const reconnected = nextEvent(peer.session, 'connectionReconnected', DEADLINE, forPage);
    proxy!.cut();
    await reconnecting;
    await reconnected;
    expect(seen).toEqual(['connectionReconnecting', 'connectionReconnected']);
  });
});
