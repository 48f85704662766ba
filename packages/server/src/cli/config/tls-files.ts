/**
 * The TLS certificate and key files of `--tls-cert` / `--tls-key`: read and checked at start (a
 * missing file, or a key that does not match the certificate, is one line naming the setting),
 * and read again on every SIGHUP through the loader createServer is given.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { UsageError } from '../args.js';
import type { TlsPair } from '../../http/tls.js';
import type { Config, ResolvedSetting } from './load.js';

function readPem(s: ResolvedSetting, command: string): string {
  const path = s.value as string;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not allowed to read it' : String(err);
    throw new UsageError(`${s.from} ${path}: ${why}`, command);
  }
}

/** Read both files named by a configuration's tls-cert and tls-key (the files may change between calls). */
export function tlsFileLoader(certPath: string, keyPath: string): () => TlsPair {
  return () => ({ cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') });
}

/**
 * Read and check the configured certificate and key.
 * @returns the pair, or undefined when TLS is not configured
 * @throws UsageError naming the setting whose file is missing or unusable
 */
export function loadTlsFiles(config: Config, command = 'serve'): TlsPair | undefined {
  const cert = config.get('tls-cert');
  const key = config.get('tls-key');
  if (cert.value === undefined || key.value === undefined) return undefined;
  const [certPath, keyPath] = [cert.value as string, key.value as string];
  const pair = { cert: readPem(cert, command), key: readPem(key, command) };
  try {
    createSecureContext(pair);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new UsageError(
      `TLS certificate ${certPath} (${cert.from}) and key ${keyPath} (${key.from}) are not usable together: ${why}`,
      command,
    );
  }
  return pair;
}
