import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

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
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'integration/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
