/**
 * What the media tier's tests share (files named `*.media.test.ts`, run by `npm test` inside a
 * loopback-only network namespace: ARCHITECTURE.md §Tests). One Chromium per test file, started
 * with the media flags; each participant a page in a fresh browser context (its own storage, and
 * counted as visible and focused, so its media and timers run at full rate); what a page received
 * read back through support/media-page.js.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { assertLoopbackOnly, launchChromium, type LaunchedChromium } from '@parley/testkit';
import { ensureBundle, serveStatic, type StaticSite } from './browser-page.js';

/**
 * Deadline of one media test and of the tier's set-up (ms): a test waits for media several times,
 * and on two cores shared with the rest of the suite a browser and its first frames are slow.
 */
export const MEDIA_TEST_TIMEOUT = 120_000;

/** What support/media-page.js reports of the media a page receives. */
export interface Received {
  framesDecoded: number;
  videoWidth: number;
  videoHeight: number;
  /** Frames the `<video>` element presented (`getVideoPlaybackQuality().totalVideoFrames`). */
  framesShown: number;
  audioPackets: number;
  /** From `subscribe()` to the remote video's first frame (ms), once there is one. */
  firstFrameMs: number | null;
  /** Errors the publisher or subscriber reported. */
  errors: string[];
  /** The session's media mode as the server told the client (`routed`: through the forwarder). */
  mediaMode: string | null;
  /** The nominated ICE candidate pair, `local -> remote`. */
  pair: string | null;
}

/** The in-page API of support/media-page.js (`window.media`). */
export interface MediaPage {
  join(o: { url: string; apiKey: string; sessionId: string; token: string }): Promise<string>;
  publish(name: string): Promise<string>;
  setPublishing(o: { audio?: boolean; video?: boolean }): void;
  subscribe(streamId: string): Promise<void>;
  received(): Promise<Received>;
  hangUp(): Promise<void>;
}

declare global {
  interface Window {
    /** support/media-page.js, on the media page. */
    media: MediaPage;
  }
}

/** One test file's browser and static site. */
export interface MediaTier {
  readonly chrome: LaunchedChromium;
  readonly web: StaticSite;
  /** A page in a fresh context, recording page errors, at `path` of the static site (default the media page); null: not loaded yet. */
  page(path?: string | null): Promise<{ page: Page; errors: string[] }>;
  /** Close every page and context opened so far (between tests). */
  closePages(): Promise<void>;
  close(): Promise<void>;
}

/** Check the namespace, build the bundle if needed, start the static site and a media Chromium. */
export async function startMediaTier(): Promise<MediaTier> {
  assertLoopbackOnly();
  await ensureBundle();
  const web = await serveStatic();
  const chrome = await launchChromium({ media: true });
  const contexts: BrowserContext[] = [];
  return {
    chrome,
    web,
    async page(path = 'media') {
      const context = await chrome.browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      if (path !== null) await page.goto(`${web.url}${path}`, { waitUntil: 'load' });
      return { page, errors };
    },
    async closePages() {
      for (const context of contexts.splice(0)) await context.close();
    },
    async close() {
      for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
      await chrome.close();
      await web.close();
    },
  };
}

/** What {@link untilFlowing} compares between readings. */
export interface FlowReading {
  framesDecoded: number;
  audioPackets: number;
}

/**
 * Read until decoded video frames and audio packets have both been seen and then both risen, and
 * `ready` holds; returns the last reading. Polls: statistics have no events (each reading is a
 * fact the page reports; the deadline is generous for two busy cores). A failure shows the last
 * reading.
 */
export async function untilFlowing<R extends FlowReading>(
  read: () => Promise<R | undefined>,
  ready: (r: R) => boolean,
  what: string,
  deadlineMs = 30_000,
): Promise<R> {
  let first: R | undefined;
  let last: R | undefined;
  await expect
    .poll(
      async () => {
        last = await read();
        return last;
      },
      { timeout: deadlineMs, interval: 250, message: what },
    )
    .toSatisfy((r: R | undefined) => {
      if (r === undefined || r.framesDecoded === 0 || r.audioPackets === 0) return false;
      first ??= r;
      return ready(r) && r.framesDecoded > first.framesDecoded && r.audioPackets > first.audioPackets;
    });
  return last!;
}

/** Wait until the media page's remote video has a size and its decoded frames and audio packets keep coming. */
export function expectMediaFlowing(page: Page, deadlineMs?: number): Promise<Received> {
  return untilFlowing(
    () => page.evaluate(() => window.media.received()),
    (r) => r.videoWidth > 0,
    'the remote video and audio flowing',
    deadlineMs,
  );
}
