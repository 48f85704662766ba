/**
 * Random identifiers and secrets of the endpoint.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A connection ID: 128 random bits in OpenTok's UUID-like layout (8-4-4-4-12 hex), URL-safe.
 * Not `randomUUID()`, which carries only 122 random bits.
 * @example newConnectionId() // 'c3a1f0e2-9b4d-1a7e-8f00-2b6c9d1e4f3a'
 */
export function newConnectionId(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A resume key: 128 random bits, base64url.
 * @example newResumeKey().length // 22
 */
export function newResumeKey(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Compare two secrets in constant time (for equal lengths; lengths are not secret).
 * @example safeEqual(key, given)
 */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
