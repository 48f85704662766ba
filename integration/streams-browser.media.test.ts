/**
 * Streams between browsers, through the SDK's public API only: one Chromium page publishes its
 * fake camera and microphone (`session.publish(new Publisher(...))`), another subscribes
 * (`session.subscribe(stream)`), in a relayed session (peer to peer) and in a routed one (through
 * the server's forwarder); the subscriber's video has decoded frames that keep coming and a size,
 * and its audio packets keep arriving. Runs in the media tier's loopback-only namespace.
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

/** The session modes this file covers (routed: through the server's own forwarder, `forwarder: true`). */
const MODES = ['relayed', 'routed'] as const;

describe.each(MODES)('in a %s session, Chromium to Chromium', (mediaMode) => {
  it(
    'the subscriber decodes the publisher’s camera video and receives its audio',
    async () => {
      h = await startHarness({ forwarder: true });
      const { sessionId } = await h.parley.createSession({ mediaMode });
      const join = { url: h.server.url, apiKey: API_KEY, sessionId };
      const alice = await tier.page();
      const bob = await tier.page();
      await alice.page.evaluate((o) => window.media.join(o), {
        ...join,
        token: h.token({ sessionId, data: 'name=Alice' }),
      });
      await bob.page.evaluate((o) => window.media.join(o), {
        ...join,
        token: h.token({ sessionId, data: 'name=Bob' }),
      });

      const streamId = await alice.page.evaluate(() => window.media.publish('Alice camera'));
      await bob.page.evaluate((id) => window.media.subscribe(id), streamId);
      const atBob = await expectMediaFlowing(bob.page);
      expect(atBob.errors).toEqual([]);
      expect(atBob.mediaMode).toBe(mediaMode); // routed really through the forwarder, not relayed instead
      expect(atBob.videoWidth).toBeGreaterThan(0);
      expect(atBob.framesShown).toBeGreaterThan(0);
      expect(atBob.pair).toMatch(/^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/);
      expect(await alice.page.evaluate(() => window.media.received().then((r) => r.errors))).toEqual([]);
      expect([...alice.errors, ...bob.errors]).toEqual([]);
      // docs/BENCHMARKS.md: subscribe() to the first frame on screen, as this run saw it.
      console.log(`${mediaMode}: subscribe() to first frame ${Math.round(atBob.firstFrameMs ?? -1)} ms`);
    },
    MEDIA_TEST_TIMEOUT,
  );
});
