/**
 * A TLS ClientHello sent to the plain HTTP port (an `https://` or `wss://` URL pointed at
 * Parley) reaches the HTTP parser as garbage. Its first byte is 0x16 (TLS record type
 * "handshake"), which no HTTP method starts with, so the parse error can name the likely cause.
 */

/** TLS record content type of a handshake record: the first byte of a ClientHello. */
const TLS_HANDSHAKE_RECORD = 0x16;

/**
 * @param err the error of the HTTP server's `clientError` event (Node puts the bytes it could not
 *   parse in `rawPacket`)
 * @returns a log line, or undefined when the bytes do not look like TLS
 * @example const hint = tlsHint(err); if (hint) log(hint);
 */
export function tlsHint(err: Error): string | undefined {
  const raw = (err as Error & { rawPacket?: unknown }).rawPacket;
  if (!Buffer.isBuffer(raw) || raw[0] !== TLS_HANDSHAKE_RECORD) return undefined;
  return 'http: a client spoke TLS to this plain-HTTP port (looks like TLS: use http:// and ws://, or put a TLS proxy in front)';
}
