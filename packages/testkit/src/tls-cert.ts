/**
 * A self-signed certificate made at test time (with the `openssl` command), for TLS tests: valid
 * for `127.0.0.1` and `localhost` for one day, with an EC P-256 key (fast to make). Being
 * self-signed, the certificate is its own CA: pass `cert` as `ca` to trust it.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate (PEM), its private key (PEM), and the certificate's SHA-256 fingerprint. */
export interface TestCert {
  readonly cert: string;
  readonly key: string;
  /** `AB:CD:…`, as `tls.TLSSocket.getPeerCertificate().fingerprint256` reports it. */
  readonly fingerprint256: string;
}

/**
 * Make a fresh self-signed certificate for 127.0.0.1 / localhost.
 * @param commonName - the subject's CN, to tell two certificates apart in a failure message
 * @example const { cert, key } = selfSignedCert(); createServer({ tls: { cert, key } });
 */
export function selfSignedCert(commonName = 'parley-test'): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '1',
        '-subj',
        `/CN=${commonName}`,
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'pipe', timeout: 30_000 },
    );
    const cert = readFileSync(certPath, 'utf8');
    return { cert, key: readFileSync(keyPath, 'utf8'), fingerprint256: new X509Certificate(cert).fingerprint256 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
