/**
 * `npm test` (scripts/test.mjs) does its own set-up: it finds Chromium and redis-server, installs
 * them as root with apt-get, or stops with one line saying what to run (issue 9 #1, issue 13).
 * Tested without uninstalling anything: the script's test-only variables point it at a missing
 * path and a fake installer (a shell command that creates the "browser" or the "server").
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

function prerequisites(env: Record<string, string>) {
  const r = spawnSync(process.execPath, [SCRIPT, '--prerequisites-only'], {
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
      /^npm test: prerequisites found \(Chromium at \/usr\/bin\/chromium, redis-server at \S+\)\n$/,
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
    expect(r.stdout).toMatch(new RegExp(`^npm test: prerequisites found \\(Chromium at ${browser}, redis-server at `));
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
    const found = /redis-server at (\S+)\)/.exec(r.stdout)?.[1];
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
      `npm test: prerequisites found (Chromium at ${process.execPath}, redis-server at ${server})\n`,
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
});
