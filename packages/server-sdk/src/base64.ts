/**
 * The package's one base64 codec. Decoding is strict: only the canonical encoding of some bytes
 * is accepted (no stray characters, no non-zero padding bits, padding exactly as the variant
 * wants), so a token has one spelling and a tampered character never decodes silently.
 * @internal
 */

/** Encode bytes (or a string as UTF-8) as base64url without padding (RFC 7515 §2). */
export function base64UrlEncode(input: Uint8Array | string): string {
  return (typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input)).toString('base64url');
}

/**
 * Decode `text` as `variant` ('base64url': no padding; 'base64': standard alphabet with padding).
 * Returns null unless `text` is exactly the canonical encoding of the bytes it decodes to.
 */
export function decodeBase64(text: string, variant: 'base64' | 'base64url'): Buffer | null {
  const bytes = Buffer.from(text, variant);
  return bytes.toString(variant) === text ? bytes : null;
}

/** Decode canonical base64url text to UTF-8 text; null when either step fails. */
export function base64UrlDecodeText(text: string): string | null {
  const bytes = decodeBase64(text, 'base64url');
  return bytes === null ? null : utf8(bytes);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decode; null for invalid byte sequences. */
export function utf8(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}
