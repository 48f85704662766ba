#!/usr/bin/env node
// `npm test`: the prerequisites, then the build, then every test tier (vitest). On a fresh Debian
// machine as root it installs what it needs itself; where it cannot, it stops with one line that
// says what to run. Arguments go to vitest (`npm test -- packages/server/test/cli.test.ts`).
//
// Two vitest runs: the tests without media, then the media tier (`*.media.test.ts`: anything that
// carries WebRTC audio or video) inside a network namespace that has only loopback, with the
// servers those tests start inside it too:
//   unshare -n sh -c 'ip link set lo up && exec node vitest.mjs run …'     (PARLEY_TEST_TIER=media)
// libwebrtc picks the machine's external interface even when only 127.0.0.1 candidates are
// exchanged; in the namespace there is none. `unshare -n` needs root (or CAP_SYS_ADMIN); without
// it `unshare -r -n` (an unprivileged user namespace) is tried; when neither works `npm test`
// stops with one line saying so, unless the arguments select no media test.
// A tier the arguments select no file of is not run.
//
//   node scripts/test.mjs [--prerequisites-only] [vitest args…]
//
// For testing this script only (packages/testkit/test/test-prerequisites.test.ts):
//   PARLEY_TEST_CHROMIUM      the browser path to check instead of /usr/bin/chromium
//   PARLEY_TEST_REDIS         the redis-server path to check instead of PATH and /usr/bin/redis-server
//   PARLEY_TEST_INSTALL       the shell command to run instead of an apt-get install
//   PARLEY_TEST_AS_ROOT=1|0   behave as root, or as another user, whoever runs it
//   PARLEY_TEST_UNSHARE       the program to run instead of `unshare` (e.g. /bin/false)
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { relative, resolve } from 'node:path';
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

/** What `unshare` is called (a test may substitute a program that fails). */
const UNSHARE = process.env.PARLEY_TEST_UNSHARE || 'unshare';
/** The shell line run inside the new namespace: bring loopback up, then become the command given as "$@". */
const IN_NAMESPACE = 'ip link set lo up && exec "$@"';
const MEDIA_SUFFIX = '.media.test.ts';
/** Where vitest.config.ts looks for tests (keep the two in step). */
const TEST_DIRS = ['packages', 'apps', 'integration'];

/**
 * How to make a loopback-only network namespace here, or stop with one line: `unshare -n` (root
 * or CAP_SYS_ADMIN), else `unshare -r -n` (a user namespace of our own, where unprivileged user
 * namespaces are allowed). Returns unshare's flags.
 */
function namespaceFlags() {
  const why = [];
  for (const flags of [['-n'], ['-r', '-n']]) {
    const r = spawnSync(UNSHARE, [...flags, 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8' });
    if (r.status === 0) return flags;
    why.push(
      `unshare ${flags.join(' ')}: ${(r.error?.message ?? r.stderr ?? '').trim().split('\n')[0] || `exit ${r.status}`}`,
    );
  }
  fail(
    `npm test needs a loopback-only network namespace for the media tests (*${MEDIA_SUFFIX}) and cannot make one (${why.join('; ')}): run npm test as root or with CAP_SYS_ADMIN, or allow unprivileged user namespaces, or pass only other test files (npm test -- FILE)`,
  );
}

/** Every test file vitest would find, relative to the root (node_modules and dist left out). */
function testFiles() {
  const files = [];
  for (const dir of TEST_DIRS) {
    if (!existsSync(`${root}${dir}`)) continue;
    for (const entry of readdirSync(`${root}${dir}`, { withFileTypes: true, recursive: true })) {
      const path = relative(root, resolve(entry.parentPath, entry.name));
      if (entry.isFile() && path.endsWith('.test.ts') && !/(^|\/)(node_modules|dist)\//.test(path)) files.push(path);
    }
  }
  return files;
}

/** vitest options that take the next argument as their value (so it is not read as a file filter). */
const TAKES_VALUE = new Set([
  '-t',
  '--testNamePattern',
  '-c',
  '--config',
  '-r',
  '--root',
  '--dir',
  '--project',
  '--reporter',
  '--outputFile',
  '--exclude',
  '--shard',
  '--pool',
  '--maxWorkers',
  '--bail',
  '--retry',
  '--sequence.seed',
  '--environment',
  '--testTimeout',
  '--hookTimeout',
  '--mode',
]);

/** The positional arguments: vitest's file filters (a file runs when its path contains one). */
function filtersOf(argv) {
  const filters = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg.startsWith('-')) {
      if (TAKES_VALUE.has(arg)) i += 1;
    } else filters.push(arg);
  }
  return filters;
}

/** Which tiers the arguments select: with no filter both; else each tier with a file a filter matches. */
function tiersFor(argv) {
  const filters = filtersOf(argv);
  const files = testFiles();
  const matches = (file) =>
    filters.length === 0 || filters.some((f) => file.includes(f) || resolve(root, file).includes(resolve(f)));
  const media = files.some((f) => f.endsWith(MEDIA_SUFFIX) && matches(f));
  const plain = files.some((f) => !f.endsWith(MEDIA_SUFFIX) && matches(f));
  // Nothing matches: let vitest's own run say "No test files found".
  return { plain: plain || !media, media };
}

/** Run vitest over `tier`'s files; the media tier inside a new namespace made with unshare's `flags`. */
function vitest(tier, argv, flags) {
  const command = [process.execPath, `${root}node_modules/vitest/vitest.mjs`, 'run', ...argv];
  const [file, ...rest] = tier === 'media' ? [UNSHARE, ...flags, 'sh', '-c', IN_NAMESPACE, 'sh', ...command] : command;
  const r = spawnSync(file, rest, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PARLEY_TEST_TIER: tier, REDIS_SERVER: REDIS },
  });
  return r.status ?? 1;
}

const args = process.argv.slice(2);
const only = args[0] === '--prerequisites-only';
const vitestArgs = only ? args.slice(1) : args;
const tiers = tiersFor(vitestArgs);
ensure(CHROMIUM, { name: 'Chromium', tier: 'the browser tier' }, 'chromium');
ensure(REDIS, { name: 'redis-server', tier: 'the cluster tier' }, 'redis-server');
const flags = tiers.media ? namespaceFlags() : [];
if (only) {
  const how = flags.includes('-r') ? ' (in a user namespace)' : '';
  const namespace = tiers.media ? `; a loopback-only network namespace for the media tests${how}` : '';
  process.stdout.write(
    `npm test: prerequisites found (Chromium at ${CHROMIUM}, redis-server at ${REDIS}${namespace})\n`,
  );
  process.exit(0);
}
execFileSync(process.execPath, [`${root}scripts/build.mjs`], { cwd: root, stdio: 'inherit' });
const plain = tiers.plain ? vitest('plain', vitestArgs, flags) : 0;
if (tiers.media)
  process.stdout.write('\nnpm test: the media tier (*.media.test.ts), in a loopback-only network namespace\n');
const media = tiers.media ? vitest('media', vitestArgs, flags) : 0;
process.exit(plain !== 0 ? plain : media);
