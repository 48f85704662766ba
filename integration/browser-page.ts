/**
 * What the browser-tier tests share: the client's browser bundle (built when older than its
 * sources) and a tiny static server on 127.0.0.1:0 that serves a page importing it. The Parley
 * server is another origin, as in production.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { launchChromium, type LaunchedChromium } from '@parley/testkit';
import { startHarness, type Harness } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundlePath = join(root, 'packages/client/dist/parley.browser.js');

/** The page at `/`: loads the bundle as `window.Parley`, records page lifecycle events in `window.pageEvents` and the last `pagehide` in `localStorage.pagehide`. */
export const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>parley browser tier</title></head>
<body><script type="module">
  import * as Parley from '/parley.browser.js';
  window.Parley = Parley;
  window.pageEvents = [];
  for (const type of ['freeze', 'resume', 'pagehide', 'visibilitychange']) {
    document.addEventListener(type, () => window.pageEvents.push(type));
    window.addEventListener(type, () => window.pageEvents.push('window:' + type));
  }
  window.addEventListener('pagehide', (e) => localStorage.setItem('pagehide', 'persisted=' + e.persisted));
</script></body></html>`;

/** A page at `/elsewhere` without Parley: somewhere to navigate to. */
const ELSEWHERE =
  '<!doctype html><html><head><meta charset="utf-8"><title>elsewhere</title></head><body>elsewhere</body></html>';

/** Newest modification time (ms) of the files under `dir`. */
async function newest(dir: string): Promise<number> {
  let max = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) max = Math.max(max, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return max;
}

/** Build the bundle when it is missing or older than the client or protocol sources. */
export async function ensureBundle(): Promise<void> {
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

/** A static server for {@link PAGE} (at `/`, and at `/no-store` with `Cache-Control: no-store`), the media tier's page at `/media`, the bundle and `/elsewhere`; `url` ends with `/`. */
export interface StaticSite {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/** The media tier's page at `/media`: {@link PAGE}'s bundle plus support/media-page.js as `window.media`. */
const MEDIA_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>parley media tier</title></head>
<body><script type="module">
  import * as Parley from '/parley.browser.js';
  import * as media from '/media-page.js';
  window.Parley = Parley;
  window.media = media;
</script></body></html>`;

export async function serveStatic(): Promise<StaticSite> {
  const bundle = await readFile(bundlePath);
  const mediaScript = await readFile(join(root, 'integration/support/media-page.js'));
  const server = createServer((req, res) => {
    if (req.url === '/media') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(MEDIA_PAGE);
    } else if (req.url === '/media-page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(mediaScript);
    } else if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (req.url === '/no-store') {
      // Chromium keeps a `no-store` page out of the back/forward cache: its pagehide is not persisted.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PAGE);
    } else if (req.url === '/parley.browser.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
    } else if (req.url === '/elsewhere') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(ELSEWHERE);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** One browser-tier file's fixtures (see {@link useBrowserTier}). */
export interface BrowserTier {
  /** A new tab at the static site's `path` (relative to `/`), loaded; closed after the test. */
  openPage(path?: string): Promise<Page>;
  /** A Parley server for this test (startHarness's options); cleaned up after the test. */
  harness(options?: Parameters<typeof startHarness>[0]): Promise<Harness>;
  /** The uncaught errors of the last opened tab (its `pageerror` events). */
  readonly pageErrors: readonly string[];
}

/**
 * Registers the hooks every browser-tier file needs: the bundle built, a static site and one
 * Chromium for the file; each test's tab and server closed after it.
 * @example const tier = useBrowserTier(); const page = await tier.openPage();
 */
export function useBrowserTier(): BrowserTier {
  let chrome: LaunchedChromium | undefined;
  let web: StaticSite | undefined;
  let page: Page | undefined;
  let harness: Harness | undefined;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    await ensureBundle();
    web = await serveStatic();
    chrome = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await chrome?.close();
    await web?.close();
  });
  afterEach(async () => {
    if (page !== undefined && !page.isClosed()) await page.close();
    page = undefined;
    await harness?.cleanup();
    harness = undefined;
  });
  return {
    async openPage(path = '') {
      if (chrome === undefined || web === undefined) throw new Error('useBrowserTier: beforeAll has not run');
      page = await chrome.newPage();
      pageErrors.length = 0;
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`${web.url}${path}`, { waitUntil: 'load' }); // module scripts have run by 'load'
      return page;
    },
    async harness(options) {
      harness = await startHarness(options);
      return harness;
    },
    pageErrors,
  };
}
