/**
 * The demo page, used as a person would: open it, mint development credentials, connect, invite a
 * second tab, see each other, exchange a signal. Real server (with its development project and
 * `demo: true`, as `parley serve` runs it), real headless Chromium, the client's browser bundle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ParleyServer } from '@parley/server';
import { launchChromium, type LaunchedChromium } from '@parley/testkit';

const root = fileURLToPath(new URL('..', import.meta.url));
let server: ParleyServer;
let chrome: LaunchedChromium;

beforeAll(async () => {
  if (!existsSync(`${root}packages/client/dist/parley.browser.js`)) {
    execFileSync(process.execPath, [`${root}packages/client/build-browser.mjs`], { stdio: 'inherit' });
  }
  server = await createServer({ port: 0, dataDir: ':memory:', demo: true });
  chrome = await launchChromium();
});

afterAll(async () => {
  await chrome.close();
  await server.close();
});

async function join(page: Page, path: string, name: string): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}${path}`);
  await page.fill('#name', name);
  await page.click('#dev-token');
  await page.waitForFunction(() => (document.getElementById('token') as HTMLInputElement).value.length > 0);
  await page.click('#connect');
  await page.waitForSelector('#status[data-status="Connected"]', { timeout: 10_000 });
  expect(errors).toEqual([]);
}

describe('the demo page', () => {
  it('two tabs join one session, see each other by name and exchange a signal', async () => {
    const alice = await chrome.newPage();
    await join(alice, '/', 'Alice');
    const invite = await alice.getAttribute('#share-link', 'href');
    expect(invite).toMatch(/^\/\?apiKey=.+&sessionId=.+/);

    const bob = await chrome.newPage();
    await join(bob, invite ?? '', 'Bob');

    await alice.waitForSelector('#connections li:has-text("name=Bob")', { timeout: 10_000 });
    await bob.waitForSelector('#connections li:has-text("name=Alice")', { timeout: 10_000 });
    expect(await alice.textContent('#count')).toBe('1');

    await bob.fill('#signal-data', 'hello from Bob');
    await bob.click('#send');
    await alice.waitForFunction(() => document.getElementById('log')?.textContent.includes('hello from Bob') === true, {
      timeout: 10_000,
    });
    const log = await alice.textContent('#log');
    expect(log).toContain('signal chat from name=Bob');

    await bob.click('#disconnect');
    await bob.waitForSelector('#status[data-status="NotConnected"]');
    await alice.waitForFunction(() => document.getElementById('count')?.textContent === '0', { timeout: 10_000 });
  });

  it('refuses demo credentials when the server was given its own project', async () => {
    const other = await createServer({
      port: 0,
      dataDir: ':memory:',
      demo: true,
      projects: [{ apiKey: '777777', apiSecret: 'not-for-the-demo' }],
    });
    try {
      const res = await fetch(`${other.url}/demo/credentials`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { message: string }).message).toMatch(/development project/);
    } finally {
      await other.close();
    }
  });
});
