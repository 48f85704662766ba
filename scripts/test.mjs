#!/usr/bin/env node
// `npm test`: the prerequisites, then the build, then every test tier (vitest). On a fresh Debian
// machine as root it installs what it needs itself; where it cannot, it stops with one line that
// says what to run. Arguments go to vitest (`npm test -- packages/server/test/cli.test.ts`).
//
//   node scripts/test.mjs [--prerequisites-only] [vitest args…]
//
// For testing this script only (packages/testkit/test/test-prerequisites.test.ts):
//   PARLEY_TEST_CHROMIUM      the browser path to check instead of /usr/bin/chromium
//   PARLEY_TEST_REDIS         the redis-server path to check instead of PATH and /usr/bin/redis-server
//   PARLEY_TEST_INSTALL       the shell command to run instead of an apt-get install
//   PARLEY_TEST_AS_ROOT=1|0   behave as root, or as another user, whoever runs it
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The browser tier's Chromium: Debian's package (playwright-core drives it; a browser download fails here). */
const CHROMIUM = process.env.PARLEY_TEST_CHROMIUM || '/usr/bin/chromium';

/**
 * The cluster tier's Redis: Debian's `redis-server` (tests start private ones on ephemeral
 * ports; testkit's redis-server.ts). Found on PATH or in /usr/bin; REDIS_SERVER tells the tests.
 */
function findRedis() {
  if (process.env.PARLEY_TEST_REDIS) return process.env.PARLEY_TEST_REDIS;
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    if (executable(`${dir}/redis-server`)) return `${dir}/redis-server`;
  }
  return '/usr/bin/redis-server';
}
const REDIS = findRedis();

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Find a prerequisite, or install it (root with apt-get), or exit with one line saying what to run.
 * `what` names it and its tier, `pkg` is the Debian package.
 */
function ensure(path, what, pkg) {
  if (executable(path)) return;
  const asRoot = process.env.PARLEY_TEST_AS_ROOT;
  const isRoot = asRoot === '1' || (asRoot !== '0' && process.getuid?.() === 0);
  const install = process.env.PARLEY_TEST_INSTALL || `apt-get update && apt-get install -y ${pkg}`;
  const hasApt = Boolean(process.env.PARLEY_TEST_INSTALL) || existsSync('/usr/bin/apt-get');
  if (!hasApt) fail(`npm test needs ${what.name} at ${path} (${what.tier}): install Debian's ${pkg} package`);
  if (!isRoot)
    fail(
      `npm test needs ${what.name} at ${path} (${what.tier}): run  sudo apt-get update && sudo apt-get install -y ${pkg}`,
    );
  process.stderr.write(`npm test: ${what.name} is missing at ${path}; installing it: ${install}\n`);
  const r = spawnSync('/bin/sh', ['-c', install], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0 || !executable(path)) {
    fail(
      `npm test needs ${what.name} at ${path}; \`${install}\` did not install it (exit ${r.status}): run it by hand and read its errors`,
    );
  }
}

function fail(line) {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
const only = args[0] === '--prerequisites-only';
ensure(CHROMIUM, { name: 'Chromium', tier: 'the browser tier' }, 'chromium');
ensure(REDIS, { name: 'redis-server', tier: 'the cluster tier' }, 'redis-server');
if (only) {
  process.stdout.write(`npm test: prerequisites found (Chromium at ${CHROMIUM}, redis-server at ${REDIS})\n`);
  process.exit(0);
}
execFileSync(process.execPath, [`${root}scripts/build.mjs`], { cwd: root, stdio: 'inherit' });
const vitest = spawnSync(process.execPath, [`${root}node_modules/vitest/vitest.mjs`, 'run', ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, REDIS_SERVER: REDIS },
});
process.exit(vitest.status ?? 1);
