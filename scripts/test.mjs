#!/usr/bin/env node
// `npm test`: the prerequisites, then the build, then every test tier (vitest). On a fresh Debian
// machine as root it installs what it needs itself; where it cannot, it stops with one line that
// says what to run. Arguments go to vitest (`npm test -- packages/server/test/cli.test.ts`).
//
//   node scripts/test.mjs [--prerequisites-only] [vitest args…]
//
// For testing this script only (packages/testkit/test/test-prerequisites.test.ts):
//   PARLEY_TEST_CHROMIUM      the browser path to check instead of /usr/bin/chromium
//   PARLEY_TEST_INSTALL       the shell command to run instead of the apt-get install
//   PARLEY_TEST_AS_ROOT=1|0   behave as root, or as another user, whoever runs it
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The browser tier's Chromium: Debian's package (playwright-core drives it; a browser download fails here). */
const CHROMIUM = process.env.PARLEY_TEST_CHROMIUM || '/usr/bin/chromium';
const APT_INSTALL = 'apt-get update && apt-get install -y chromium';

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Find Chromium, or install it (root with apt-get), or exit with one line saying what to run. */
function ensureChromium() {
  if (executable(CHROMIUM)) return;
  const asRoot = process.env.PARLEY_TEST_AS_ROOT;
  const isRoot = asRoot === '1' || (asRoot !== '0' && process.getuid?.() === 0);
  const install = process.env.PARLEY_TEST_INSTALL || APT_INSTALL;
  const hasApt = Boolean(process.env.PARLEY_TEST_INSTALL) || existsSync('/usr/bin/apt-get');
  if (!hasApt) fail(`npm test needs Chromium at ${CHROMIUM} (the browser tier): install Debian's chromium package`);
  if (!isRoot)
    fail(
      `npm test needs Chromium at ${CHROMIUM} (the browser tier): run  sudo apt-get update && sudo apt-get install -y chromium`,
    );
  process.stderr.write(`npm test: Chromium is missing at ${CHROMIUM}; installing it: ${install}\n`);
  const r = spawnSync('/bin/sh', ['-c', install], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0 || !executable(CHROMIUM)) {
    fail(
      `npm test needs Chromium at ${CHROMIUM}; \`${install}\` did not install it (exit ${r.status}): run it by hand and read its errors`,
    );
  }
}

function fail(line) {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
const only = args[0] === '--prerequisites-only';
ensureChromium();
if (only) {
  process.stdout.write(`npm test: prerequisites found (Chromium at ${CHROMIUM})\n`);
  process.exit(0);
}
execFileSync(process.execPath, [`${root}scripts/build.mjs`], { cwd: root, stdio: 'inherit' });
const vitest = spawnSync(process.execPath, [`${root}node_modules/vitest/vitest.mjs`, 'run', ...args], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(vitest.status ?? 1);
