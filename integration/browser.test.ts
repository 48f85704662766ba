/**
 * The browser tier: the built client bundle (packages/client/dist/parley.browser.js) in real
 * headless Chromium, against the real server. A tiny static server on 127.0.0.1:0 serves a page
 * that imports the bundle; the Parley server is another origin, as in production.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, nextEvent, type LaunchedChromium } from '@parley/testkit';
import { API_KEY, startHarness, type Harness } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundlePath = join(root, 'packages/client/dist/parley.browser.js');
const T = 10_000;

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>parley browser tier</title></head>
<body><script type="module">
  import * as Parley from '/parley.browser.js';
  window.Parley = Parley;
  window.pageEvents = [];
  for (const type of ['freeze', 'resume', 'pagehide', 'visibilitychange']) {
    document.addEventListener(type, () => window.pageEvents.push(type));
    window.addEventListener(type, () => window.pageEvents.push('window:' + type));
  }
</script></body></html>`;

/** Newest modification time (ms) of the files under `dir`. */
async function newest(dir: string): Promise<number> {
  let max = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) max = Math.max(max, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return max;
}

/** Build the bundle when it is missing or older than the client or protocol sources. */
async function ensureBundle(): Promise<void> {
  const built = await stat(bundlePath).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const sources = Math.max(
    await newest(join(root, 'packages/client/src')),
    await newest(join(root, 'packages/protocol/src')),
  );
  if (built >= sources) return;
  await promisify(execFile)(process.execPath, [join(root, 'packages/client/build-browser.mjs')], { cwd: root });
}

async function serveStatic(): Promise<{ server: Server; url: string }> {
  const bundle = await readFile(bundlePath);
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (req.url === '/parley.browser.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe('in Chromium', () => {
  let chrome: LaunchedChromium | undefined;
  let web: { server: Server; url: string } | undefined;
  let h: Harness | undefined;
  let page: Page | undefined;

  beforeAll(async () => {
    await ensureBundle();
    web = await serveStatic();
    chrome = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await chrome?.close();
    const server = web?.server;
    if (server !== undefined)
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
  });
  afterEach(async () => {
    await page?.close();
    page = undefined;
    await h?.cleanup();
    h = undefined;
  });

  async function openPage(): Promise<Page> {
    page = await chrome!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(web!.url, { waitUntil: 'load' }); // module scripts have run by 'load'
    const loaded = await page.evaluate(() => typeof (window as unknown as { Parley?: unknown }).Parley);
    expect(loaded, `the bundle did not load: ${errors.join('; ')}`).toBe('object');
    return page;
  }

  it('two sessions in a page connect and exchange a signal', async () => {
    h = await startHarness();
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
    h = await startHarness();
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
