/**
 * The package's one HMAC helper, and the constant-time comparison every signature check uses.
 * @internal
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC of `data` keyed with the UTF-8 bytes of `secret` (what jsonwebtoken and opentok-token do). */
export function hmac(algorithm: 'sha1' | 'sha256', secret: string, data: string | Uint8Array): Buffer {
  return createHmac(algorithm, secret).update(data).digest();
}

/** Constant-time equality of two byte strings; false (without comparing) when the lengths differ. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
