/**
 * `parley serve --tls-cert --tls-key` (issue 12): https and wss from the CLI, `parley session
 * create` reaching it over https, and SIGHUP re-reading the files: a connection open across the
 * reload stays up, new handshakes get the new certificate, and a broken file on a later SIGHUP is
 * logged while the certificate in use stays.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Session } from '@parley/client';
import { nextEvent, selfSignedCert, waitFor, type TestCert } from '@parley/testkit';
import { buildServer, cli, serve, stop, type Serving } from './support/cli-run.js';

let tmp: string;
let first: TestCert;
let second: TestCert;
beforeAll(() => {
  buildServer();
  tmp = mkdtempSync(join(tmpdir(), 'parley-tls-serve-'));
  first = selfSignedCert('parley-first');
  second = selfSignedCert('parley-second');
}, 120_000);
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

class TrustingWebSocket extends WebSocket {
  constructor(url: string) {
    super(url, { ca: [first.cert, second.cert] });
  }
}

function fingerprint(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: hostname, port: Number(port), ca: [first.cert, second.cert] }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

/** Wait (with a deadline) until the server's stderr has a line matching `re`. */
function logged(s: Serving, re: RegExp): Promise<true> {
  return waitFor<true>(
    (resolve) => {
      const check = () => {
        if (re.test(s.stderr())) resolve(true);
      };
      s.child.stderr?.on('data', check);
      check();
      return () => s.child.stderr?.off('data', check);
    },
    10_000,
    () => `a log line ${String(re)}; got:\n${s.stderr()}`,
  );
}

describe('parley serve with TLS', () => {
  it('serves https/wss; SIGHUP swaps the certificate for new handshakes and keeps open connections', async () => {
    const dataDir = join(tmp, 'data');
    const certFile = join(tmp, 'cert.pem');
    const keyFile = join(tmp, 'key.pem');
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, first.key);
    const s = await serve(
      ['--port', '0', '--data-dir', dataDir, '--tls-cert', certFile, '--tls-key', keyFile, '--log-format', 'json'],
      { env: {} },
    );
    try {
      const url = /Parley listening on (https:\/\/127\.0\.0\.1:\d+) \(WebSocket wss:/.exec(s.out)?.[1] ?? '';
      expect(url).not.toBe('');
      expect(await fingerprint(url)).toBe(first.fingerprint256);
      const trust = { NODE_EXTRA_CA_CERTS: certFile };
      const sessionId = cli(['session', 'create', '--data-dir', dataDir], { env: trust }).stdout.trim();
      expect(sessionId).toMatch(/^[12]_/);
      const token = (data: string) => cli(['token', sessionId, '--data', data, '--data-dir', dataDir]).stdout.trim();
      const apiKey = /API key: +(\d+)/.exec(s.out)?.[1] ?? '';
      const open = async (data: string) => {
        const session = new Session(apiKey, sessionId, undefined, { url, WebSocket: TrustingWebSocket });
        await session.connect(token(data));
        return session;
      };
      const a = await open('name=a');
      let aDropped = false;
      a.on('sessionReconnecting', () => {
        aDropped = true;
      });

      writeFileSync(certFile, second.cert);
      writeFileSync(keyFile, second.key);
      s.child.kill('SIGHUP');
      await logged(s, /tls: certificate reloaded/);
      expect(await fingerprint(url)).toBe(second.fingerprint256);
      const b = await open('name=b');
      const got = nextEvent(b, 'signal', 5_000, (e) => e.type === 'across-reload');
      await a.signal({ type: 'across-reload', data: 'still here' });
      expect((await got).data).toBe('still here');

      writeFileSync(certFile, 'not a certificate');
      s.child.kill('SIGHUP');
      await logged(s, /tls: certificate reload failed, keeping the old one/);
      expect(await fingerprint(url)).toBe(second.fingerprint256);
      expect(aDropped).toBe(false);
      expect(s.stderr()).not.toContain(first.key);
      await Promise.all([a.disconnect(), b.disconnect()]);
    } finally {
      expect(await stop(s.child)).toBe(0);
    }
  }, 60_000);

  it('a missing or mismatched file is one line naming the setting, exit 2', () => {
    const certFile = join(tmp, 'only-cert.pem');
    const keyFile = join(tmp, 'other-key.pem');
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, second.key);
    const missing = cli(['serve', '--port', '0', '--tls-cert', certFile], {
      env: { PARLEY_TLS_KEY: join(tmp, 'nope.pem') },
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(
      `parley: PARLEY_TLS_KEY ${join(tmp, 'nope.pem')}: no such file (parley serve --help)\n`,
    );
    const mismatch = cli(['config', 'check', '--tls-cert', certFile, '--tls-key', keyFile]);
    expect(mismatch.status).toBe(2);
    expect(mismatch.stderr).toMatch(
      /^parley: TLS certificate \S+only-cert\.pem \(--tls-cert\) and key \S+other-key\.pem \(--tls-key\) are not usable together: .*key values mismatch/,
    );
  });
});
