/**
 * The configuration registry (issue 12): flag > environment > config file > default, every
 * mistake one line naming where the bad value came from, unknown file keys refused with a
 * suggestion, and `parley config check` printing the effective values and their sources with
 * secrets shown as (set).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseFlags, registryOptions } from '../src/cli/config/load.js';
import { SETTINGS } from '../src/cli/config/registry.js';
import { closest } from '../src/cli/config/suggest.js';
import { buildServer, cli } from './support/cli-run.js';

let tmp: string;
beforeAll(() => {
  buildServer();
  tmp = mkdtempSync(join(tmpdir(), 'parley-config-'));
}, 120_000);
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function file(name: string, content: unknown): string {
  const path = join(tmp, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const load = (args: string[], env: Record<string, string> = {}) => loadConfig(parseFlags(args), env);

describe('precedence: flag > environment > file > default', () => {
  it('each setting takes the strongest source there is, and says which', () => {
    const path = file('all.json', { port: 9001, host: '::1', drain: 'node', logLevel: 'debug' });
    const c = load(['--config', path, '--port', '9003'], { PARLEY_PORT: '9002', PARLEY_HOST: '127.0.0.2' });
    expect([c.get('port').value, c.get('port').from, c.get('port').source]).toEqual([9003, '--port', 'flag']);
    expect([c.get('host').value, c.get('host').from]).toEqual(['127.0.0.2', 'PARLEY_HOST']);
    expect([c.get('drain').value, c.get('drain').from]).toEqual(['node', `${path}: drain`]);
    expect([c.get('data-dir').value, c.get('data-dir').from]).toEqual(['./.parley', 'the default']);
    expect(c.get('log-level').value).toBe('debug');
    expect(c.file).toBe(path);
  });

  it('PARLEY_CONFIG names the file when --config does not; an empty variable counts as unset', () => {
    const path = file('env.json', { port: 9100 });
    expect(load([], { PARLEY_CONFIG: path }).get('port').value).toBe(9100);
    expect(load([], { PARLEY_CONFIG: path, PARLEY_PORT: '' }).get('port').from).toBe(`${path}: port`);
  });

  it('file values may be JSON-typed or text: 8720 and "8720", true and "1"', () => {
    const path = file('types.json', { port: '9200', demoCredentials: true, trustProxy: 2 });
    const c = load(['--config', path]);
    expect([c.get('port').value, c.get('demo-credentials').value, c.get('trust-proxy').value]).toEqual([9200, true, 2]);
  });

  it('the rows that name a createServer option become those options, unset ones left out', () => {
    const c = load(['--port', '0', '--drain', 'node'], { PARLEY_TRUST_PROXY: '1' });
    expect(registryOptions(c)).toEqual({
      port: 0,
      host: '127.0.0.1',
      dataDir: './.parley',
      drain: 'node',
      trustProxy: 1,
    });
  });
});

describe('mistakes name their source', () => {
  it('a bad value names the flag, the variable or the file and key it came from', () => {
    const path = file('bad.json', { port: 'http' });
    expect(() => load(['--port=-1'])).toThrow('--port must be an integer from 0 to 65535; got -1');
    expect(() => load([], { PARLEY_LOG_LEVEL: 'loud' })).toThrow(
      'PARLEY_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got loud',
    );
    expect(() => load(['--config', path])).toThrow(`${path}: port must be an integer from 0 to 65535; got http`);
    expect(() => load(['--config', file('badbool.json', { demoCredentials: 'maybe' })])).toThrow(
      /demoCredentials must be 1 or 0 \(or true or false\); got maybe$/,
    );
  });

  it('a bad secret is never echoed', () => {
    const path = file('secret.json', { apiSecret: 12345 });
    expect(() => load(['--config', path])).toThrow(
      `${path}: apiSecret must be a non-empty API secret; got (a secret, not shown)`,
    );
  });

  it('an unknown key is refused with the nearest known one, or the list of keys', () => {
    expect(() => load(['--config', file('typo.json', { prot: 1 })])).toThrow(
      /unknown key "prot" \(did you mean "port"\?\)$/,
    );
    expect(() => load(['--config', file('kebab.json', { 'data-dir': 'x' })])).toThrow(/did you mean "dataDir"/);
    expect(() => load(['--config', file('junk.json', { zzzzzz: 1 })])).toThrow(
      /unknown key "zzzzzz" \(the keys: port, host, /,
    );
    expect(
      closest(
        'PARLEY_TLS_CRET',
        SETTINGS.map((s) => s.env),
      ),
    ).toBe('PARLEY_TLS_CERT');
  });

  it('a missing file, a file that is not JSON, and JSON that is not an object each say so', () => {
    expect(() => load(['--config', join(tmp, 'none.json')])).toThrow(
      `config file ${join(tmp, 'none.json')} (--config): no such file`,
    );
    expect(() => load([], { PARLEY_CONFIG: join(tmp, 'none.json') })).toThrow(/\(PARLEY_CONFIG\): no such file$/);
    expect(() => load(['--config', file('broken.json', '{"port": ')])).toThrow(/broken\.json: not valid JSON: /);
    expect(() => load(['--config', file('array.json', [1])])).toThrow(
      /array\.json: must hold one JSON object of settings/,
    );
  });

  it('an unknown PARLEY_* variable is a warning with a suggestion, not an error', () => {
    expect(load([], { PARLEY_PROT: '1', PARLEY_TEST_LOG: '1' }).warnings).toEqual([
      'PARLEY_PROT is not a Parley setting (did you mean "PARLEY_PORT"?); ignored',
    ]);
  });
});

describe('the registry', () => {
  it('has unique names, flags, variables and keys; every variable is PARLEY_*; every default parses', () => {
    for (const field of ['name', 'flag', 'env', 'key'] as const)
      expect(new Set(SETTINGS.map((s) => s[field])).size, field).toBe(SETTINGS.length);
    for (const s of SETTINGS) {
      expect(s.env, s.name).toMatch(/^PARLEY_[A-Z_]+$/);
      const d = s.default();
      if (d !== undefined) expect(s.parse(typeof d === 'string' ? d : (d as never)), s.name).toEqual(d);
    }
  });
});

describe('parley config check', () => {
  it('prints every setting with its value and source, secrets as (set), and exits 0', () => {
    const path = file('check.json', { apiKey: '4711', apiSecret: 'very-secret-value', port: 9300 });
    const r = cli(['config', 'check', '--config', path, '--log-format', 'pretty'], {
      env: { PARLEY_HOST: '127.0.0.3' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('very-secret-value');
    expect(r.stdout).toMatch(new RegExp(`^  api-secret +\\(set\\) +${path}: apiSecret$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^  port +9300 +${path}: port$`, 'm'));
    expect(r.stdout).toMatch(/^ {2}host +127\.0\.0\.3 +PARLEY_HOST$/m);
    expect(r.stdout).toMatch(/^ {2}log-format +pretty +--log-format$/m);
    expect(r.stdout).toMatch(/^ {2}tls-cert +\(unset\) +the default$/m);
    for (const s of SETTINGS) expect(r.stdout).toMatch(new RegExp(`^  ${s.name} `, 'm'));
    expect(r.stdout.endsWith('OK\n')).toBe(true);
  });

  it('a mistake is one line naming its source, exit 2; half a pair names both halves', () => {
    const r = cli(['config', 'check'], { env: { PARLEY_PORT: '99999' } });
    expect([r.status, r.stdout, r.stderr]).toEqual([
      2,
      '',
      'parley: PARLEY_PORT must be an integer from 0 to 65535; got 99999 (parley config --help)\n',
    ]);
    const half = cli(['config', 'check', '--tls-cert', 'cert.pem']);
    expect(half.status).toBe(2);
    expect(half.stderr).toBe(
      'parley: tls-cert is set (--tls-cert) but tls-key is not: give --tls-key, PARLEY_TLS_KEY or "tlsKey" in the config file (parley config --help)\n',
    );
  });

  it('parley serve refuses the same mistakes before it creates anything', () => {
    const path = file('serve-typo.json', { hots: '0.0.0.0' });
    const r = cli(['serve', '--config', path]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`parley: ${path}: unknown key "hots" (did you mean "host"?) (parley serve --help)\n`);
  });
});
