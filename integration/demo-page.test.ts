/**
 * The demo page, used as people would: start a session, send the invite link, join it in one
 * click, chat with everyone or one person, lose the network and keep chatting. Real server (with
 * its development project and `demo: true`, as `parley serve` runs it), real headless Chromium,
 * the client's browser bundle; a page whose network must fail is loaded through a FaultProxy, so
 * its page, its credentials and its WebSocket all travel the link the test breaks.
 *
 * Screenshots go to test-artifacts/demo-page/ (git-ignored): desktop and phone width.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SIGNAL_DATA_LENGTH, SessionErrorCode } from '@parley/protocol';
import { createServer, type ParleyServer } from '@parley/server';
import { FaultProxy, launchChromium, type LaunchedChromium } from '@parley/testkit';

const root = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = `${root}test-artifacts/demo-page/`;
const DESKTOP = { width: 1200, height: 820 };
const PHONE = { width: 375, height: 812 };
/** Deadline of every wait for the page (ms). */
const T = 10_000;
/** Deadline of a wait that spans a resume with backoff (ms). */
const RESUME = 20_000;

let server: ParleyServer;
let chrome: LaunchedChromium;
const pages: Page[] = [];
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  if (!existsSync(`${root}packages/client/dist/parley.browser.js`)) {
    execFileSync(process.execPath, [`${root}packages/client/build-browser.mjs`], { stdio: 'inherit' });
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await createServer({ port: 0, dataDir: ':memory:', demo: true });
  // Overlay scrollbars, as on phones: a classic one takes 15 px of a 375 px screen.
  chrome = await launchChromium({ args: ['--hide-scrollbars'] });
}, 60_000);

afterAll(async () => {
  await chrome.close();
  for (const proxy of proxies) await proxy.close();
  await server.close();
});

interface Tab {
  readonly page: Page;
  /** Uncaught page errors and HTTP answers of 400 and more, as they happen. */
  readonly problems: string[];
}

/** A new tab at `viewport`, recording page errors and failed HTTP answers. */
async function tab(viewport = DESKTOP): Promise<Tab> {
  const page = await chrome.newPage();
  pages.push(page);
  page.setDefaultTimeout(T);
  await page.setViewportSize(viewport);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  return { page, problems };
}

/** Open `url`, keep or set the name, press the one Join button, and be connected. */
async function join(t: Tab, url: string, name?: string): Promise<void> {
  await t.page.goto(url);
  if (name !== undefined) await t.page.fill('#name', name);
  await t.page.click('#join-button');
  await t.page.waitForSelector('#status[data-status="Connected"]', { timeout: T });
  expect(t.problems).toEqual([]);
}

/** Alice starts a session at `/`; returns her tab and the invite link it shows. */
async function start(name = 'Alice', viewport = DESKTOP): Promise<{ alice: Tab; invite: string }> {
  const alice = await tab(viewport);
  await alice.page.goto(`${server.url}/`);
  expect(await alice.page.textContent('#join-button')).toBe('Start a session');
  await alice.page.screenshot({
    path: `${ARTIFACTS}${viewport === PHONE ? 'phone' : 'desktop'}-start.png`,
    fullPage: true,
  });
  await alice.page.fill('#name', name);
  await alice.page.click('#join-button');
  await alice.page.waitForSelector('#status[data-status="Connected"]', { timeout: T });
  expect(alice.problems).toEqual([]);
  const invite = await alice.page.inputValue('#invite-link');
  expect(invite).toMatch(new RegExp(`^${server.url}/\\?sessionId=[^&]+$`));
  return { alice, invite };
}

/** The connection ID of the person called `name` in `page`'s people list. */
async function idOf(page: Page, name: string): Promise<string> {
  const li = page.locator('#people li', { has: page.locator('.who', { hasText: new RegExp(`^${name}$`) }) });
  await li.waitFor({ timeout: T });
  return (await li.getAttribute('data-connection-id')) ?? '';
}

function person(page: Page, name: string, state: 'connected' | 'reconnecting'): Promise<unknown> {
  return page.waitForSelector(`#people li[data-state="${state}"]:has(.who:text-is("${name}"))`, { timeout: RESUME });
}

function message(page: Page, text: string): ReturnType<Page['locator']> {
  return page.locator('#messages li.message', { has: page.locator('.text', { hasText: text }) });
}

/** Bring the tab to the front first: a background tab gets no animation frames, which clicks wait for. */
async function send(page: Page, text: string): Promise<void> {
  await page.bringToFront();
  await page.fill('#message', text);
  await page.click('#send');
}

async function leave(page: Page): Promise<void> {
  await page.bringToFront();
  await page.click('#leave');
}

async function closeAll(): Promise<void> {
  for (const page of pages.splice(0)) await page.close();
}

describe('the demo page', () => {
  it('joins in one click from the invite link and shows names, not connection data', async () => {
    const { alice, invite } = await start('Alice');
    await alice.page.waitForSelector('#banner[data-tone="ok"]:has-text("Nobody else is here yet")');

    const bob = await tab(PHONE);
    await bob.page.goto(invite);
    expect(await bob.page.textContent('#banner')).toContain("You're invited");
    await bob.page.screenshot({ path: `${ARTIFACTS}phone-invited.png`, fullPage: true });
    expect(await bob.page.textContent('#join-button')).toBe('Join');
    await bob.page.fill('#name', 'Bob');
    await bob.page.click('#join-button'); // the one click
    await bob.page.waitForSelector('#status[data-status="Connected"]', { timeout: T });
    expect(bob.problems).toEqual([]);

    await person(alice.page, 'Bob', 'connected');
    await person(bob.page, 'Alice', 'connected');
    expect(await alice.page.textContent('#count')).toBe('2');
    await alice.page.waitForSelector('#banner:has-text("Here with Bob")', { timeout: T });
    for (const page of [alice.page, bob.page]) expect(await page.textContent('body')).not.toContain('name=');
    // The invitee's address bar now holds the session too: a reload offers to rejoin it.
    expect(bob.page.url()).toBe(invite);

    await send(bob.page, 'hello from Bob');
    await message(alice.page, 'hello from Bob').waitFor({ timeout: T });
    expect(await message(alice.page, 'hello from Bob').locator('.meta').textContent()).toBe('Bob → everyone');
    await bob.page.waitForSelector('#messages li.mine[data-state="sent"]:has-text("hello from Bob")', { timeout: T });
    // Bob sees his message once, as sent (the echo of his own broadcast is not shown again).
    expect(await message(bob.page, 'hello from Bob').count()).toBe(1);

    await send(alice.page, 'hi Bob, welcome');
    await message(bob.page, 'hi Bob, welcome').waitFor({ timeout: T });
    await alice.page.waitForSelector('#messages li.mine[data-state="sent"]', { timeout: T });
    // The activity log counts up: oldest first.
    const log = await alice.page.locator('#log li').allTextContents();
    expect(log[0]).toContain('You joined as Alice');
    expect(log.at(-1)).toContain('Bob joined');
    await alice.page.bringToFront();
    await alice.page.screenshot({ path: `${ARTIFACTS}desktop.png`, fullPage: true });

    await leave(bob.page);
    await bob.page.waitForSelector('#status[data-status="NotConnected"]', { timeout: T });
    expect(await bob.page.textContent('#banner')).toContain('You left the session');
    expect(await bob.page.textContent('#join-button')).toBe('Rejoin');
    await alice.page.waitForFunction(() => document.getElementById('count')?.textContent === '1', undefined, {
      timeout: T,
    });
    await closeAll();
  });

  it('keeps the chosen recipient while a third person joins and leaves; a private message reaches only them', async () => {
    const { alice, invite } = await start('Alice');
    const bob = await tab();
    await join(bob, invite, 'Bob');
    const bobId = await idOf(alice.page, 'Bob');
    await alice.page.bringToFront();
    await alice.page.selectOption('#to', bobId);
    expect(await alice.page.textContent('#composer-hint')).toBe('Only Bob will see this.');

    const carol = await tab();
    await join(carol, invite, 'Carol');
    await person(alice.page, 'Carol', 'connected');
    expect(await alice.page.inputValue('#to')).toBe(bobId);

    await send(alice.page, 'psst, only for Bob');
    const privateNote = message(bob.page, 'psst, only for Bob');
    await privateNote.waitFor({ timeout: T });
    expect(await privateNote.locator('.meta').textContent()).toBe('Alice → you (private)');
    // Bob answers everyone once he has the private note. The server orders each recipient's
    // messages, so had the note gone to Carol too, it would reach her before Bob's answer.
    await send(bob.page, 'hello everyone');
    await message(carol.page, 'hello everyone').waitFor({ timeout: T });
    expect(await message(carol.page, 'psst').count()).toBe(0);
    // Alice sees what she sent, and to whom.
    await alice.page.waitForSelector('#messages li.mine[data-state="sent"]:has-text("psst, only for Bob")');
    expect(await message(alice.page, 'psst, only for Bob').locator('.meta .to').textContent()).toBe('Bob (private)');
    await message(alice.page, 'hello everyone').waitFor({ timeout: T });
    expect(await alice.page.inputValue('#to')).toBe(bobId);
    await alice.page.bringToFront();
    await alice.page.screenshot({ path: `${ARTIFACTS}desktop-three-people.png`, fullPage: true });

    await leave(carol.page);
    await alice.page.waitForSelector('#people li:has(.who:text-is("Carol"))', { state: 'detached', timeout: T });
    expect(await alice.page.inputValue('#to')).toBe(bobId);

    // The chosen person leaves: the choice stays, marked, and nothing can go to everyone by mistake.
    await leave(bob.page);
    await alice.page.waitForSelector('#to option:text-is("Bob (left)")', { state: 'attached', timeout: T });
    expect(await alice.page.inputValue('#to')).toBe(bobId);
    expect(await alice.page.isDisabled('#send')).toBe(true);
    expect(await alice.page.textContent('#composer-hint')).toBe('Bob left the session. Choose someone else.');
    await closeAll();
  });

  it('shows a peer who lost the network as reconnecting, and what that peer sends meanwhile as queued, then delivered', async () => {
    const { alice, invite } = await start('Alice');
    const proxy = await FaultProxy.start({ target: { port: new URL(server.url).port } });
    proxies.push(proxy);
    const bob = await tab(PHONE);
    await join(bob, proxy.url(invite), 'Bob');
    await person(alice.page, 'Bob', 'connected');

    proxy.refuse(true);
    proxy.cut();
    await bob.page.waitForSelector('#status[data-status="Reconnecting"]', { timeout: T });
    await person(alice.page, 'Bob', 'reconnecting');
    await alice.page.bringToFront();
    await alice.page.screenshot({ path: `${ARTIFACTS}desktop-peer-reconnecting.png`, fullPage: true });
    expect(await bob.page.getAttribute('#banner', 'data-tone')).toBe('warn');
    expect(await bob.page.textContent('#banner')).toContain('messages are queued');

    expect(await bob.page.isDisabled('#send')).toBe(false);
    await send(bob.page, 'sent while offline');
    await bob.page.waitForSelector('#messages li.mine[data-state="queued"]:has-text("sent while offline")', {
      timeout: T,
    });
    expect(await message(bob.page, 'sent while offline').locator('.state').textContent()).toContain('queued');
    await bob.page.bringToFront();
    await bob.page.screenshot({ path: `${ARTIFACTS}phone-reconnecting.png`, fullPage: true });
    expect(await message(alice.page, 'sent while offline').count()).toBe(0);

    proxy.restore();
    await bob.page.waitForSelector('#messages li.mine[data-state="sent"]:has-text("sent while offline")', {
      timeout: RESUME,
    });
    await bob.page.waitForSelector('#status[data-status="Connected"]', { timeout: T });
    await message(alice.page, 'sent while offline').waitFor({ timeout: T });
    await person(alice.page, 'Bob', 'connected');
    expect(await message(alice.page, 'sent while offline').count()).toBe(1);
    await closeAll();
  });

  it('says why when the connection is lost for good and what to do; Rejoin brings you back', async () => {
    // A server whose reconnect window is short, so it runs out within the test, yet long enough
    // for the page to send a message while reconnecting first.
    const short = await createServer({ port: 0, dataDir: ':memory:', demo: true, timings: { reconnectWindow: 4_000 } });
    try {
      const proxy = await FaultProxy.start({ target: { port: new URL(short.url).port } });
      proxies.push(proxy);
      const bob = await tab();
      await join(bob, `${proxy.url(short.url)}/`, 'Bob');
      proxy.refuse(true);
      proxy.cut();
      await bob.page.waitForSelector('#status[data-status="Reconnecting"]', { timeout: T });
      await send(bob.page, 'never delivered');
      await bob.page.waitForSelector('#status[data-status="Failed"]', { timeout: T });
      expect(await bob.page.getAttribute('#banner', 'data-tone')).toBe('error');
      const banner = (await bob.page.textContent('#banner')) ?? '';
      const dropped = String(SessionErrorCode.ConnectionDropped);
      expect(banner).toContain(`(error ${dropped}). Press Rejoin to join again.`);
      expect(banner.match(/error \d+/g)).toEqual([`error ${dropped}`]);
      expect(banner).not.toMatch(/\(\d+\)/); // no bare close code
      // The message that was queued says it was not sent, without repeating the banner's error.
      await bob.page.waitForSelector('#messages li.mine[data-state="failed"]:has-text("never delivered")');
      expect(await message(bob.page, 'never delivered').locator('.state').textContent()).toBe(
        'not sent: you were disconnected',
      );
      expect(((await bob.page.textContent('body')) ?? '').match(/error \d+/g)).toHaveLength(1);
      await bob.page.screenshot({ path: `${ARTIFACTS}desktop-failed.png`, fullPage: true });

      proxy.restore();
      expect(await bob.page.textContent('#join-button')).toBe('Rejoin');
      await bob.page.click('#join-button');
      await bob.page.waitForSelector('#status[data-status="Connected"]', { timeout: T });
      expect(await bob.page.textContent('#banner')).toContain("You're in, Bob.");
    } finally {
      await closeAll();
      await short.close();
    }
  });

  it('shows an error once, next to the action, with one code', async () => {
    // A join refused by the server: a bad token, through "Use your own API key and token".
    const res = await fetch(`${server.url}/demo/credentials?name=Probe`);
    expect(res.status).toBe(200);
    const { apiKey, sessionId } = (await res.json()) as { apiKey: string; sessionId: string };
    const t = await tab();
    await t.page.goto(`${server.url}/`);
    await t.page.click('#own summary');
    await t.page.fill('#apiKey', apiKey);
    await t.page.fill('#sessionId', sessionId);
    await t.page.fill('#token', 'T1==not-a-real-token');
    await t.page.click('#connect');
    const shown = t.page.locator('#join-error');
    await shown.waitFor({ timeout: T });
    const text = (await shown.textContent()) ?? '';
    const auth = String(SessionErrorCode.AuthorizationFailure);
    expect(text.endsWith(`(error ${auth})`)).toBe(true);
    expect(text.match(/\d{3,}/g)).toEqual([auth]); // and no WebSocket close code beside it
    expect(await t.page.textContent('#join-button')).toBe('Join'); // never in: not "Rejoin"
    const body = (await t.page.textContent('body')) ?? '';
    expect(body.split(text).length - 1).toBe(1);
    expect(body.match(/error \d+/g)).toHaveLength(1);
    expect(await t.page.textContent('#banner')).toContain('Could not join');
    await t.page.screenshot({ path: `${ARTIFACTS}desktop-join-error.png`, fullPage: true });
    expect(t.problems).toEqual([]);

    // An invite to a session that does not exist: the server's reason, with its one code.
    await t.page.goto(`${server.url}/?sessionId=1_MX5ub3RoZXJlfg`);
    await t.page.click('#join-button');
    // (404 is the HTTP status of /demo/credentials here, which the page shows as the error's code.)
    await t.page.waitForSelector('#join-error:has-text("(error 404)")', {
      timeout: T,
    });
    expect(((await t.page.textContent('body')) ?? '').match(/error \d+/g)).toHaveLength(1);

    // A message the SDK refuses: the error is on that message, once, and the page goes on.
    const { alice } = await start('Alice');
    await send(alice.page, 'x'.repeat(MAX_SIGNAL_DATA_LENGTH + 1));
    const tooLong = String(SessionErrorCode.SignalDataTooLong);
    await alice.page.waitForSelector('#messages li.mine[data-state="failed"]');
    const state = (await alice.page.textContent('#messages li.mine[data-state="failed"] .state')) ?? '';
    expect(state.endsWith(`(error ${tooLong})`)).toBe(true);
    expect(((await alice.page.textContent('body')) ?? '').match(/error \d+/g)).toEqual([`error ${tooLong}`]);
    await send(alice.page, 'a short one');
    await alice.page.waitForSelector('#messages li.mine[data-state="sent"]:has-text("a short one")');
    expect(alice.problems).toEqual([]);
    await closeAll();
  });

  it('is usable at phone width: nothing wider than the screen, the join button and chat in reach', async () => {
    const { alice, invite } = await start('Alice', PHONE);
    const bob = await tab(PHONE);
    // Opened in the same browser, the invite does not take Alice's name: one click joins as a guest.
    await join(bob, invite);
    const guest = (await bob.page.textContent('#people li:first-child .who')) ?? '';
    expect(guest).toMatch(/^Guest \d+$/);
    await person(alice.page, guest, 'connected');
    await send(bob.page, 'hi from a phone');
    await message(alice.page, 'hi from a phone').waitFor({ timeout: T });
    await send(alice.page, 'a reply that is a little longer, so that it has to wrap on a small screen');
    await message(bob.page, 'a reply that is a little longer').waitFor({ timeout: T });
    for (const page of [alice.page, bob.page]) {
      const widths = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        screen: document.documentElement.clientWidth,
      }));
      expect(widths.screen).toBe(PHONE.width);
      expect(widths.page).toBeLessThanOrEqual(widths.screen);
      // In a session the chat comes first: the message box and Send are on the first screen.
      const box = await page.locator('#send').boundingBox();
      expect(box).not.toBeNull();
      expect(box!.y + box!.height).toBeLessThanOrEqual(PHONE.height);
    }
    await bob.page.bringToFront();
    await bob.page.screenshot({ path: `${ARTIFACTS}phone.png`, fullPage: true });
    await closeAll();
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
