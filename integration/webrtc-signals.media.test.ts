/**
 * The media tier's own proof, independent of the SDK's streams: two Chromium pages with fake
 * cameras and microphones call each other with a plain RTCPeerConnection whose offer, answer and
 * ICE candidates travel as Parley signals through a real server. Both receive decoded video and
 * audio, over 127.0.0.1 (the test runs in a loopback-only network namespace: `npm test` puts it
 * there, and the launcher refuses otherwise).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, startHarness, type Harness } from './harness.js';
import { expectMediaFlowing, MEDIA_TEST_TIMEOUT, startMediaTier, type MediaTier } from './media-tier.js';

let tier: MediaTier;
let h: Harness | undefined;

beforeAll(async () => {
  tier = await startMediaTier();
}, MEDIA_TEST_TIMEOUT);
afterAll(async () => {
  await tier.close();
});
afterEach(async () => {
  await tier.closePages();
  await h?.cleanup();
  h = undefined;
});

describe('WebRTC between two Chromium pages, negotiated over Parley signals', () => {
  it(
    'carries fake-camera video and microphone audio both ways, over loopback',
    async () => {
      h = await startHarness();
      const join = { url: h.server.url, apiKey: API_KEY, sessionId: h.sessionId };
      const alice = await tier.page();
      const bob = await tier.page();
      await alice.page.evaluate((o) => window.media.join(o), { ...join, token: h.token({ data: 'name=Alice' }) });
      const bobId = await bob.page.evaluate((o) => window.media.join(o), {
        ...join,
        token: h.token({ data: 'name=Bob' }),
      });
      await bob.page.evaluate(() => window.media.answerCalls());
      await alice.page.evaluate((to) => window.media.call(to), bobId);

      const atBob = await expectMediaFlowing(bob.page);
      const atAlice = await expectMediaFlowing(alice.page);
      for (const r of [atBob, atAlice]) {
        expect(r.errors).toEqual([]);
        expect(r.videoWidth).toBeGreaterThan(0);
        expect(r.videoHeight).toBeGreaterThan(0);
        expect(r.pair).toMatch(/^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/);
      }
      expect(alice.errors).toEqual([]);
      expect(bob.errors).toEqual([]);
      // For docs/BENCHMARKS.md's "subscribe to first frame" context: what a raw call takes here.
      console.log(
        `raw WebRTC over signals: first remote frame after ${Math.round(atBob.firstFrameMs ?? -1)} ms (callee), ${Math.round(atAlice.firstFrameMs ?? -1)} ms (caller)`,
      );
      await alice.page.evaluate(() => window.media.hangUp());
      await bob.page.evaluate(() => window.media.hangUp());
    },
    MEDIA_TEST_TIMEOUT,
  );
});
