import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Where the tests are (scripts/test.mjs lists the same folders). */
const TESTS = ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'integration/**/*.test.ts'];
/** The media tier: tests that carry WebRTC audio or video (ARCHITECTURE.md §Tests). */
const MEDIA = '**/*.media.test.ts';
/**
 * Which tier this run is, set by scripts/test.mjs: `plain` leaves the media tier out, `media` runs
 * only it (inside a loopback-only network namespace); unset, a plain `npx vitest run FILE` runs
 * whatever it is given (a media test then checks its namespace itself and says what to run).
 */
const tier = process.env.PARLEY_TEST_TIER;

// Tests import the packages by name; these aliases point them at the TypeScript sources so a test
// run never depends on a stale build. The browser tier loads the built bundle on purpose.
export default defineConfig({
  resolve: {
    alias: {
      '@parley/protocol': src('./packages/protocol/src/index.ts'),
      '@parley/server-sdk': src('./packages/server-sdk/src/index.ts'),
      '@parley/server/media-peers': src('./packages/server/src/media/synthetic/rtp-peers.ts'),
      '@parley/server': src('./packages/server/src/index.ts'),
      '@parley/client': src('./packages/client/src/node.ts'),
      '@parley/testkit': src('./packages/testkit/src/index.ts'),
    },
  },
  test: {
    include: tier === 'media' ? TESTS.map((glob) => glob.replace(/\*\.test\.ts$/, '*.media.test.ts')) : TESTS,
    exclude: tier === 'plain' ? [...configDefaults.exclude, MEDIA] : configDefaults.exclude,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
