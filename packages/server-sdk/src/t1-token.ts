/**
 * The legacy `T1==` token format of `opentok-token@1.1.1` (its index.js):
 * `'T1==' + base64('partner_id={apiKey}&sig={hex HMAC-SHA1(secret, DATA)}:' + DATA)`, where DATA is
 * the claims as a query string in the SDK's key order.
 * @internal
 */
import { decodeBase64, utf8 } from './base64.js';
import { bytesEqual, hmac } from './hmac.js';
import type { TokenData } from './token-data.js';

/** Every T1 token starts with this. */
export const T1_SENTINEL = 'T1==';

const COLON = 0x3a;
const HEX_SHA1 = /^[0-9a-fA-F]{40}$/;

/**
 * Serialise like Node's `querystring.stringify` (whose escaping equals `encodeURIComponent`'s:
 * a space becomes %20, ':' is escaped, so the first ':' of a token is always the separator).
 */
function queryString(data: TokenData): string {
  return Object.entries(data)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`)
    .join('&');
}

/** Encode claims as a T1 token. */
export function encodeT1(data: TokenData, apiKey: string, apiSecret: string): string {
  const dataString = queryString(data);
  const sig = hmac('sha1', apiSecret, dataString).toString('hex');
  return T1_SENTINEL + Buffer.from(`partner_id=${apiKey}&sig=${sig}:${dataString}`, 'utf8').toString('base64');
}

/** A T1 token split at its first ':'; `dataBytes` are exactly as received. */
interface T1Parts {
  readonly head: URLSearchParams;
  readonly dataBytes: Buffer;
}

/** Split a T1 token; null when it is not one (wrong sentinel, non-canonical base64, no ':', bad UTF-8). */
function splitT1(token: string): T1Parts | null {
  if (!token.startsWith(T1_SENTINEL)) return null;
  const decoded = decodeBase64(token.slice(T1_SENTINEL.length), 'base64');
  if (decoded === null) return null;
  const colon = decoded.indexOf(COLON);
  if (colon < 0) return null;
  const head = utf8(decoded.subarray(0, colon));
  if (head === null) return null;
  return { head: new URLSearchParams(head), dataBytes: decoded.subarray(colon + 1) };
}

/** The `partner_id` of a T1 token, unverified; null when there is none. */
export function peekT1(token: string): string | null {
  const partnerId = splitT1(token)?.head.get('partner_id');
  return partnerId === null || partnerId === undefined || partnerId === '' ? null : partnerId;
}

export type T1Verification =
  | { readonly ok: true; readonly fields: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly problem: 'malformed' | 'signature' };

/**
 * Check a T1 token's signature (hex HMAC-SHA1 of the DATA bytes exactly as received, compared in
 * constant time), then parse DATA. A key that appears twice makes the token malformed. Never throws.
 */
export function verifyT1(token: string, apiSecret: string): T1Verification {
  const parts = splitT1(token);
  if (parts === null) return { ok: false, problem: 'malformed' };
  const sig = parts.head.get('sig');
  if (sig === null || !HEX_SHA1.test(sig)) return { ok: false, problem: 'malformed' };
  if (!bytesEqual(Buffer.from(sig, 'hex'), hmac('sha1', apiSecret, parts.dataBytes))) {
    return { ok: false, problem: 'signature' };
  }
  const dataString = utf8(parts.dataBytes);
  if (dataString === null) return { ok: false, problem: 'malformed' };
  const fields = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(dataString)) {
    if (fields.has(key)) return { ok: false, problem: 'malformed' };
    fields.set(key, value);
  }
  return { ok: true, fields };
}
