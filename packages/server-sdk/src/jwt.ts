/**
 * A tiny HS256 JSON Web Token signer and verifier: all the JWT the OpenTok wire needs.
 * The header is always `{"alg":"HS256","typ":"JWT"}`, byte for byte what jsonwebtoken 9 writes.
 * @internal
 */
import { base64UrlDecodeText, base64UrlEncode, decodeBase64 } from './base64.js';
import { bytesEqual, hmac } from './hmac.js';

/** The `ist` claim of REST and connection JWTs: they are issued by a project. */
export const ISSUER_TYPE = 'project';

const HEADER = base64UrlEncode('{"alg":"HS256","typ":"JWT"}');

/** JSON object claims, keys in the order they are serialised. */
export type JwtClaims = Record<string, unknown>;

/** Why {@link verifyHs256} refused a token. */
export type JwtProblem = 'malformed' | 'algorithm' | 'signature';

export type JwtVerification =
  { readonly ok: true; readonly claims: JwtClaims } | { readonly ok: false; readonly problem: JwtProblem };

/** Sign `claims` (serialised with JSON.stringify, so in insertion order) with HMAC-SHA256. */
export function signHs256(claims: JwtClaims, secret: string): string {
  const signingInput = `${HEADER}.${base64UrlEncode(JSON.stringify(claims))}`;
  return `${signingInput}.${hmac('sha256', secret, signingInput).toString('base64url')}`;
}

/** Parse one base64url JSON segment that must hold an object; null otherwise. Never throws. */
export function decodeJsonSegment(segment: string): JwtClaims | null {
  const text = base64UrlDecodeText(segment);
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JwtClaims) : null;
  } catch {
    return null;
  }
}

/**
 * Verify an HS256 JWT: header alg must be exactly "HS256" ('none' and every other algorithm are
 * refused before any signature work), then the signature is compared in constant time, and only
 * then is the payload parsed. Claims are not checked here. Never throws.
 */
export function verifyHs256(token: string, secret: string): JwtVerification {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, problem: 'malformed' };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJsonSegment(headerPart);
  if (header === null) return { ok: false, problem: 'malformed' };
  if (header.alg !== 'HS256') return { ok: false, problem: 'algorithm' };
  const signature = decodeBase64(signaturePart, 'base64url');
  const expected = hmac('sha256', secret, `${headerPart}.${payloadPart}`);
  if (signature === null || !bytesEqual(signature, expected)) return { ok: false, problem: 'signature' };
  const claims = decodeJsonSegment(payloadPart);
  if (claims === null) return { ok: false, problem: 'malformed' };
  return { ok: true, claims };
}
