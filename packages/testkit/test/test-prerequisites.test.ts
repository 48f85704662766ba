/**
 * `npm test` (scripts/test.mjs) does its own set-up: it finds Chromium and redis-server, installs
 * them as root with apt-get, or stops with one line saying what to run (issue 9 #1, issue 13); and
 * the media tier needs a loopback-only network namespace (`unshare -n`), or `npm test` stops with
 * one line saying so (issue 11). Tested without uninstalling anything or dropping privileges: the
 * script's test-only variables point it at a missing path, a fake installer (a shell command that
 * creates the "browser" or the "server") and an `unshare` that fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REDIS_SERVER_PATH } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../../scripts/test.mjs', import.meta.url));
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'parley-prereq-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function prerequisites(env: Record<string, string>, args: string[] = []) {
  const r = spawnSync(process.execPath, [SCRIPT, '--prerequisites-only', ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm test prerequisites', () => {
  // (The redis-server cases point the Chromium check at an executable that surely exists.)
  it('an installed Chromium is found, and nothing is installed', () => {
    const r = prerequisites({ PARLEY_TEST_INSTALL: 'exit 99' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^npm test: prerequisites found \(Chromium at \/usr\/bin\/chromium, redis-server at \S+; a loopback-only network namespace for the media tests\)\n$/,
    );
  });

  it('a missing Chromium is installed as root with the install command, then found', () => {
    const browser = join(tmp, 'installed-chromium');
    const r = prerequisites({
      PARLEY_TEST_CHROMIUM: browser,
      PARLEY_TEST_INSTALL: `printf '#!/bin/sh\\n' > '${browser}' && chmod 755 '${browser}'`,
      PARLEY_TEST_AS_ROOT: '1',
    });
    expect(r.stderr).toMatch(new RegExp(`^npm test: Chromium is missing at ${browser}; installing it: printf`));
    expect(r.status).toBe(0);
    expect(existsSync(browser)).toBe(true);
    expect(r.stdout).toMatch(
      new RegExp(
        `^npm test: prerequisites found \\(Chromium at ${browser}, redis-server at \\S+; a loopback-only network`,
      ),
    );
  });

  it('an install that does not produce the browser fails with one line', () => {
    const browser = join(tmp, 'never-installed');
    const r = prerequisites({ PARLEY_TEST_CHROMIUM: browser, PARLEY_TEST_INSTALL: 'true', PARLEY_TEST_AS_ROOT: '1' });
    expect(r.status).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(
      `npm test needs Chromium at ${browser}; \`true\` did not install it (exit 0): run it by hand and read its errors`,
    );
  });

  it('as a non-root user it stops with one line saying what to run', () => {
    const browser = join(tmp, 'missing');
    const r = prerequisites({ PARLEY_TEST_CHROMIUM: browser, PARLEY_TEST_AS_ROOT: '0', PARLEY_TEST_INSTALL: '' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `npm test needs Chromium at ${browser} (the browser tier): run  sudo apt-get update && sudo apt-get install -y chromium\n`,
    );
    expect(existsSync(browser)).toBe(false);
  });

  it('redis-server is found on PATH or in /usr/bin', () => {
    const r = prerequisites({ PARLEY_TEST_CHROMIUM: process.execPath, PARLEY_TEST_INSTALL: 'exit 99' });
    expect(r.status).toBe(0);
    const found = /redis-server at ([^\s;)]+)/.exec(r.stdout)?.[1];
    expect(found === REDIS_SERVER_PATH || found?.endsWith('/redis-server')).toBe(true);
  });

  it('a missing redis-server is installed as root with the install command, then found', () => {
    const server = join(tmp, 'installed-redis-server');
    const r = prerequisites({
      PARLEY_TEST_CHROMIUM: process.execPath,
      PARLEY_TEST_REDIS: server,
      PARLEY_TEST_INSTALL: `printf '#!/bin/sh\\n' > '${server}' && chmod 755 '${server}'`,
      PARLEY_TEST_AS_ROOT: '1',
    });
    expect(r.stderr).toMatch(new RegExp(`^npm test: redis-server is missing at ${server}; installing it: printf`));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      `npm test: prerequisites found (Chromium at ${process.execPath}, redis-server at ${server}; a loopback-only network namespace for the media tests)\n`,
    );
  });

  it('as a non-root user a missing redis-server stops it with one line saying what to run', () => {
    const server = join(tmp, 'missing-redis');
    const r = prerequisites({
      PARLEY_TEST_CHROMIUM: process.execPath,
      PARLEY_TEST_REDIS: server,
      PARLEY_TEST_AS_ROOT: '0',
      PARLEY_TEST_INSTALL: '',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `npm test needs redis-server at ${server} (the cluster tier): run  sudo apt-get update && sudo apt-get install -y redis-server\n`,
    );
  });

  // The media tier (*.media.test.ts) runs in `unshare -n`; where that is not permitted (not root,
  // no CAP_SYS_ADMIN) npm test stops with one line, never skipping the media tests silently.
  const NO_UNSHARE = { PARLEY_TEST_UNSHARE: '/bin/false' };

  it('stops with one line when no loopback-only network namespace can be made', () => {
    const r = prerequisites(NO_UNSHARE);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'npm test needs a loopback-only network namespace for the media tests (*.media.test.ts) and cannot make one ' +
        '(unshare -n: exit 1; unshare -r -n: exit 1): run npm test as root or with CAP_SYS_ADMIN, or allow unprivileged ' +
        'user namespaces, or pass only other test files (npm test -- FILE)\n',
    );
  });

  it('says why unshare failed when it could not run at all', () => {
    const r = prerequisites({ PARLEY_TEST_UNSHARE: join(tmp, 'no-such-unshare') });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^npm test needs a loopback-only network namespace .* \(unshare -n: spawnSync .*no-such-unshare ENOENT; unshare -r -n: spawnSync .*ENOENT\): /,
    );
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('falls back to a user namespace of its own where only that is permitted (not root)', () => {
    // An `unshare` that refuses -n alone, as for a user without CAP_SYS_ADMIN, and allows -r -n.
    const fake = join(tmp, 'unshare-userns-only');
    writeFileSync(
      fake,
      '#!/bin/sh\n[ "$1" = "-r" ] && [ "$2" = "-n" ] && exit 0\necho "unshare failed: Operation not permitted" >&2\nexit 1\n',
      {
        mode: 0o755,
      },
    );
    const r = prerequisites({ PARLEY_TEST_UNSHARE: fake });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^npm test: prerequisites found \(Chromium at \/usr\/bin\/chromium, redis-server at \S+; a loopback-only network namespace for the media tests \(in a user namespace\)\)\n$/,
    );
  });

  it('asks for no namespace when the arguments select only tests without media', () => {
    const r = prerequisites(NO_UNSHARE, ['packages/server/test/cli.test.ts', '-t', 'media']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^npm test: prerequisites found \(Chromium at \/usr\/bin\/chromium, redis-server at \S+\)\n$/,
    );
  });

  it('asks for the namespace when a filter selects a media test', () => {
    expect(prerequisites(NO_UNSHARE, ['integration/streams-browser.media.test.ts']).status).toBe(1);
    expect(prerequisites(NO_UNSHARE, ['streams-browser']).status).toBe(1);
    // A name filter (-t VALUE) is not a file filter: every file is selected, the media tier too.
    expect(prerequisites(NO_UNSHARE, ['-t', 'cli']).status).toBe(1);
  });
});
