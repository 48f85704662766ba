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

/** What support/media-page.js reports of the media a page receives. */
export interface Received {
  framesDecoded: number;
  videoWidth: number;
  videoHeight: number;
  /** Frames the `<video>` element presented (`getVideoPlaybackQuality().totalVideoFrames`). */
  framesShown: number;
  audioPackets: number;
  /** From the call's start to the remote video's first frame (ms), once there is one. */
  firstFrameMs: number | null;
  /** Errors of the in-page signal handling. */
  errors: string[];
  /** The nominated ICE candidate pair, `local -> remote`. */
  pair: string | null;
}

/** The in-page API of support/media-page.js (`window.media`). */
export interface MediaPage {
  join(o: { url: string; apiKey: string; sessionId: string; token: string }): Promise<string>;
  answerCalls(): Promise<unknown>;
  call(to: string): Promise<void>;
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

/**
 * Wait until the page has decoded video frames that keep coming, a video size, and audio packets
 * that keep coming; returns the last reading. Polls (not a sleep: each reading is a fact the page
 * reports, and the deadline is generous for two busy cores).
 */
export async function expectMediaFlowing(page: Page, deadlineMs = 20_000): Promise<Received> {
  const read = () => page.evaluate(() => window.media.received());
  let first: Received | undefined;
  let last: Received | undefined;
  await expect
    .poll(
      async () => {
        last = await read();
        if (first === undefined && last.framesDecoded > 0 && last.audioPackets > 0) first = last;
        return (
          first !== undefined &&
          last.videoWidth > 0 &&
          last.framesDecoded > first.framesDecoded &&
          last.audioPackets > first.audioPackets
        );
      },
      { timeout: deadlineMs, interval: 200, message: () => `media flowing; last reading: ${JSON.stringify(last)}` },
    )
    .toBe(true);
  return last!;
}
