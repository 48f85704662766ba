/**
 * TLS served directly: the `tls` option of createServer makes the listener an https server
 * (and so every WebSocket wss), and {@link TlsReloader} swaps in a new certificate without
 * dropping a connection. Connections keep the context of their handshake; only new handshakes
 * see the new one (`server.setSecureContext`). A new pair that does not load is logged and the
 * old one kept.
 */
import type { Server as HttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../log/logger.js';

/** A certificate chain and its private key, PEM. */
export interface TlsPair {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/**
 * The `tls` option: a pair, or a loader called at start and on every reload (e.g. reading files
 * that a certificate manager renews).
 */
export type TlsSource = TlsPair | (() => TlsPair | Promise<TlsPair>);

function isPem(v: unknown): boolean {
  return (typeof v === 'string' && v !== '') || (Buffer.isBuffer(v) && v.length > 0);
}

/**
 * Check the shape of the `tls` option (its PEM is checked when it is loaded).
 * @throws TypeError naming the misuse
 */
export function tlsSourceOf(v: unknown): TlsSource | undefined {
  if (v === undefined || typeof v === 'function') return v as TlsSource | undefined;
  const o = v as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || !isPem(o.cert) || !isPem(o.key))
    throw new TypeError('tls must be { cert, key } (PEM strings or Buffers) or a function returning them');
  return { cert: o.cert as string | Buffer, key: o.key as string | Buffer };
}

/**
 * Load a pair from a source and check it (the key must match the certificate).
 * @throws the loader's error, or TLS's for an unusable pair
 */
export async function loadTlsPair(source: TlsSource): Promise<TlsPair> {
  const pair = tlsSourceOf(typeof source === 'function' ? await source() : source) as TlsPair;
  createSecureContext(pair);
  return pair;
}

/** Re-reads a server's certificate and key from its source on demand (SIGHUP in `parley serve`). */
export class TlsReloader {
  readonly #server: HttpsServer;
  readonly #source: TlsSource;
  readonly #logger: Logger;

  constructor(server: HttpsServer, source: TlsSource, logger: Logger) {
    this.#server = server;
    this.#source = source;
    this.#logger = logger;
  }

  /**
   * Load the pair again and use it for new handshakes; open connections are untouched.
   * @returns true when the new pair is in use; false when it did not load (logged; the old one stays)
   */
  async reload(): Promise<boolean> {
    try {
      const pair = await loadTlsPair(this.#source);
      this.#server.setSecureContext({ cert: pair.cert, key: pair.key });
      this.#logger.info('tls: certificate reloaded; new connections use it');
      return true;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.#logger.error({ err: why }, `tls: certificate reload failed, keeping the old one: ${why}`);
      return false;
    }
  }
}
