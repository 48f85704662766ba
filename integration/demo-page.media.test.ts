/**
 * The demo page with video, used as people would: Alice starts a session, Bob opens the invite
 * link; both join with their (fake) camera and microphone, each sees and hears the other's tile
 * (decoded frames and audio packets, read through the page's `window.parleyDemo` hook; the tile's
 * `<video>` presents frames and is not muted), they chat, Alice mutes and hides her video and
 * Bob's tile of her says so, Bob stops his camera and his tile leaves Alice's page. Real server
 * (`demo: true`, as `parley serve` runs it), one media Chromium, a fresh context per person; in
 * the media tier's loopback-only namespace.
 *
 * Screenshots go to test-artifacts/demo-page-media/ (git-ignored); docs/images/demo-video.png is
 * one of them, copied by hand when the page changes.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ParleyServer } from '@parley/server';
import { FaultProxy } from '@parley/testkit';
import { MEDIA_TEST_TIMEOUT, startMediaTier, untilFlowing, type MediaTier } from './media-tier.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = `${root}test-artifacts/demo-page-media/`;
const DESKTOP = { width: 1200, height: 900 };
/** Deadline of every wait for the page (ms); media on two busy cores is slow to start. */
const T = 20_000;

/** What `window.parleyDemo.tiles()` reports of one remote tile. */
interface TileReport {
  streamId: string;
  name: string;
  state: string;
  hasVideo: boolean;
  hasAudio: boolean;
  videoWidth: number;
  framesShown: number;
  muted: boolean;
  framesDecoded: number;
  audioPackets: number;
}

declare global {
  interface Window {
    parleyDemo: { tiles(): Promise<TileReport[]> };
  }
}

let server: ParleyServer;
let tier: MediaTier;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await createServer({ port: 0, dataDir: ':memory:', demo: true });
  tier = await startMediaTier();
}, MEDIA_TEST_TIMEOUT);

afterEach(async () => {
  await tier.closePages();
});

afterAll(async () => {
  for (const proxy of proxies) await proxy.close();
  await tier.close();
  await server.close();
});

/** A person's tab at `url`: fresh context, desktop size, page errors and failed HTTP answers recorded. */
async function person(url: string, name: string): Promise<{ page: Page; problems: string[] }> {
  const { page, errors } = await tier.page(null);
  page.setDefaultTimeout(T);
  await page.setViewportSize(DESKTOP);
  const problems = errors;
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  await page.goto(url);
  await page.fill('#name', name);
  expect(await page.isChecked('#with-camera')).toBe(true);
  await page.click('#join-button');
  await page.waitForSelector('#status[data-status="Connected"]');
  return { page, problems };
}

/** Wait until `page` has one remote tile named `name` whose video and audio keep arriving. */
function seesAndHears(page: Page, name: string): Promise<TileReport> {
  return untilFlowing(
    async () => (await page.evaluate(() => window.parleyDemo.tiles())).find((t) => t.name === name),
    (t) => t.videoWidth > 0 && t.framesShown > 0,
    `${name}'s tile playing`,
    T,
  );
}

function tile(page: Page, name: string): ReturnType<Page['locator']> {
  return page.locator('#tiles .tile', { has: page.locator('.tile-name', { hasText: new RegExp(`^${name}$`) }) });
}

describe('the demo page with video', () => {
  it(
    'two people see and hear each other, chat, mute, hide their video and leave the camera',
    async () => {
      const alice = await person(`${server.url}/`, 'Alice');
      const invite = await alice.page.inputValue('#invite-link');
      await alice.page.waitForSelector('#camera[aria-pressed="true"]'); // publishing
      const bob = await person(invite, 'Bob');

      const bobSees = await seesAndHears(bob.page, 'Alice');
      const aliceSees = await seesAndHears(alice.page, 'Bob');
      // Live: connected, not interrupted (an interruption under load may still be ending: wait for it).
      await tile(bob.page, 'Alice').and(bob.page.locator('[data-state="live"]')).waitFor();
      await tile(alice.page, 'Bob').and(alice.page.locator('[data-state="live"]')).waitFor();
      for (const t of [bobSees, aliceSees]) {
        expect(t.hasVideo && t.hasAudio).toBe(true);
        expect(t.muted).toBe(false); // heard, not only received
      }
      // Each page shows its own picture too (muted, mirrored) and the other's: two tiles.
      for (const page of [alice.page, bob.page]) expect(await page.locator('#tiles .tile').count()).toBe(2);
      await tile(alice.page, 'Alice \\(you\\)').waitFor();

      // Chat still works beside the video.
      await bob.page.fill('#message', 'I can see you!');
      await bob.page.click('#send');
      await alice.page.locator('#messages li.message', { hasText: 'I can see you!' }).waitFor();
      await alice.page.screenshot({ path: `${ARTIFACTS}desktop-two-people.png`, fullPage: true });
      await bob.page.screenshot({ path: `${ARTIFACTS}desktop-two-people-bob.png`, fullPage: true });

      // Alice mutes and hides her video: Bob's tile of her says so.
      await alice.page.click('#mute-audio');
      await tile(bob.page, 'Alice').and(bob.page.locator('[data-audio="off"]')).waitFor();
      await alice.page.click('#mute-video');
      await tile(bob.page, 'Alice').and(bob.page.locator('[data-video="off"]')).waitFor();
      expect(await tile(bob.page, 'Alice').locator('.tile-marks').textContent()).toBe('muted · camera off');
      await bob.page.screenshot({ path: `${ARTIFACTS}desktop-peer-camera-off.png`, fullPage: true });
      await alice.page.click('#mute-video');
      await tile(bob.page, 'Alice').and(bob.page.locator('[data-video="on"]')).waitFor();

      // Bob stops his camera: his tile leaves Alice's page (streamDestroyed); he still sees Alice.
      await bob.page.click('#camera');
      await bob.page.waitForSelector('#camera[aria-pressed="false"]');
      await tile(alice.page, 'Bob').waitFor({ state: 'detached' });
      expect(await bob.page.locator('#tiles .tile').count()).toBe(1);
      expect([...alice.problems, ...bob.problems]).toEqual([]);
    },
    MEDIA_TEST_TIMEOUT,
  );

  it(
    'shows a reconnecting badge on the tile of a publisher whose network dropped, and takes it off when it is back',
    async () => {
      // Alice's page, its credentials and its WebSocket travel through a proxy the test breaks.
      const proxy = await FaultProxy.start({ target: { port: new URL(server.url).port } });
      proxies.push(proxy);
      const alice = await person(`${proxy.url(server.url)}/`, 'Alice');
      await alice.page.waitForSelector('#camera[aria-pressed="true"]');
      const bob = await person(
        new URL(new URL(await alice.page.inputValue('#invite-link')).search, server.url).href,
        'Bob',
      );
      await seesAndHears(bob.page, 'Alice');
      const aliceTile = tile(bob.page, 'Alice');
      await aliceTile.and(bob.page.locator('[data-state="live"]')).waitFor();
      expect(await aliceTile.locator('.tile-badge').isVisible()).toBe(false);

      proxy.refuse(true);
      proxy.cut();
      await alice.page.waitForSelector('#status[data-status="Reconnecting"]');
      await aliceTile.and(bob.page.locator('[data-state="interrupted"]')).waitFor();
      expect(await aliceTile.locator('.tile-badge').isVisible()).toBe(true);
      await bob.page.screenshot({ path: `${ARTIFACTS}desktop-peer-reconnecting.png`, fullPage: true });

      proxy.restore();
      await alice.page.waitForSelector('#status[data-status="Connected"]');
      await aliceTile.and(bob.page.locator('[data-state="live"]')).waitFor();
      await seesAndHears(bob.page, 'Alice');
      expect([...alice.problems, ...bob.problems]).toEqual([]);
    },
    MEDIA_TEST_TIMEOUT,
  );
});
