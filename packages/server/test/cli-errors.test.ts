/**
 * `parley serve` mistakes: each is one line on stderr naming the flag or the environment
 * variable at fault, exit status 2, and nothing is created before the mistake is found.
 * Demo-credential minting (issue 8 #6) is decided by demoMode, tested here without binding a
 * non-loopback address (tests listen on 127.0.0.1 only).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoMode, isLoopbackHost } from '../src/cli/serve.js';
import { buildServer, cli } from './support/cli-run.js';

let tmp: string;
beforeAll(() => {
  buildServer();
  tmp = mkdtempSync(join(tmpdir(), 'parley-cli-errors-'));
}, 120_000);
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('parley serve: one line per mistake', () => {
  it('a bad port names the environment variable or the flag it came from', () => {
    const fromEnv = cli(['serve'], { env: { PARLEY_PORT: 'abc' } });
    expect(fromEnv.status).toBe(2);
    expect(fromEnv.stderr).toBe(
      'parley: PARLEY_PORT must be an integer from 0 to 65535; got abc (parley serve --help)\n',
    );
    expect(cli(['serve', '--port', '70000']).stderr).toBe(
      'parley: --port must be an integer from 0 to 65535; got 70000 (parley serve --help)\n',
    );
  });

  it('a bad --drain (or PARLEY_DRAIN) names where it came from', () => {
    expect(cli(['serve', '--drain', 'sometimes']).stderr).toBe(
      'parley: --drain must be service or node; got sometimes (parley serve --help)\n',
    );
    const fromEnv = cli(['serve'], { env: { PARLEY_DRAIN: 'cluster' } });
    expect(fromEnv.status).toBe(2);
    expect(fromEnv.stderr).toBe('parley: PARLEY_DRAIN must be service or node; got cluster (parley serve --help)\n');
  });

  it('a port in use is one line with the --port hint, and no data dir or project is created', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    const dataDir = join(tmp, 'busy');
    try {
      const r = cli(['serve', '--port', String(port), '--data-dir', dataDir]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(
        `parley: port ${port} on 127.0.0.1 is in use (another server?): stop it or pick another --port (parley serve --help)\n`,
      );
      expect(r.stdout).toBe('');
      expect(existsSync(dataDir)).toBe(false);
      const fromEnv = cli(['serve', '--data-dir', dataDir], { env: { PARLEY_PORT: String(port) } });
      expect(fromEnv.stderr).toContain('stop it or pick another PARLEY_PORT');
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('a host that is not a local address is one line, and nothing is created', () => {
    const dataDir = join(tmp, 'badhost');
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this machine.
    const r = cli(['serve', '--host', '192.0.2.1', '--port', '0', '--data-dir', dataDir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'parley: cannot listen on host 192.0.2.1: no such local address (--host) (parley serve --help)\n',
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a data dir that cannot be created is one line with its absolute path', () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, '');
    const r = cli(['serve', '--port', '0', '--data-dir', join(file, 'data')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `parley: data dir ${join(file, 'data')}: a parent is not a directory; pick another with --data-dir (or PARLEY_DATA_DIR) (parley serve --help)\n`,
    );
  });

  it('--data-dir /proc/x fails at once instead of spinning (Node recursive mkdir loops on ENOENT there)', () => {
    // cli() gives up after 15 s; the old code never returned.
    const r = cli(['serve', '--port', '0', '--data-dir', '/proc/parley-test']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'parley: data dir /proc/parley-test: cannot be created here; pick another with --data-dir (or PARLEY_DATA_DIR) (parley serve --help)\n',
    );
  });

  it('--api-key without --api-secret, and --demo-credentials with --api-key, are refused', () => {
    expect(cli(['serve', '--api-key', '123']).stderr).toBe(
      'parley: api-key is set (--api-key) but api-secret is not: give --api-secret, PARLEY_API_SECRET or "apiSecret" in the config file (parley serve --help)\n',
    );
    const r = cli(['serve', '--api-key', '123', '--api-secret', 's'], { env: { PARLEY_DEMO_CREDENTIALS: '1' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'parley: demo-credentials (PARLEY_DEMO_CREDENTIALS) mints for the development project only; not with api-key (--api-key) (parley serve --help)\n',
    );
    expect(cli(['serve'], { env: { PARLEY_DEMO_CREDENTIALS: 'maybe' } }).stderr).toMatch(
      /^parley: PARLEY_DEMO_CREDENTIALS must be 1 or 0 \(or true or false\); got maybe/,
    );
  });
});

describe('demo credential minting (issue 8 #6)', () => {
  it('is on by default only on a loopback bind', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) {
      expect(isLoopbackHost(host), host).toBe(true);
      expect(demoMode(host, undefined, false), host).toEqual({ demo: true, warning: undefined });
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
      expect(isLoopbackHost(host), host).toBe(false);
      expect(demoMode(host, undefined, false), host).toEqual({ demo: false, warning: undefined });
    }
  });

  it('is on for a network bind only when asked for, with a warning', () => {
    const m = demoMode('0.0.0.0', undefined, true);
    expect(m.demo).toBe(true);
    expect(m.warning).toMatch(/^WARNING: demo credentials are on while listening on 0\.0\.0\.0: anyone who can reach/);
  });

  it('is never on for a configured project', () => {
    expect(demoMode('127.0.0.1', '123', false)).toEqual({ demo: false, warning: undefined });
    expect(() => demoMode('0.0.0.0', '123', true)).toThrow(/not with --api-key/);
  });
});
