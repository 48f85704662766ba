/**
 * Minting OpenTok-layout session IDs (`1_` + base64url of `1~apiKey~location~createTime~random~…`, the layout `opentok@2.23.2` lib/opentok.js decodeSessionId reads). Parsing lives in `@parley/protocol`
 * (`parseSessionId`), because the browser client needs it too.
 */
import { randomBytes } from 'node:crypto';
import { checkApiKey, checkObject, describe } from './arguments.js';
import { base64UrlEncode } from './base64.js';

/** Options of {@link mintSessionId}. */
export interface MintSessionIdOptions {
  /** Relayed (peer-to-peer) media mode: field 5 is "P". @default false */
  relayed?: boolean;
  /** Location hint (field 2), e.g. an IPv4 address. @default '' */
  location?: string;
}

const LOCATION = /^[A-Za-z0-9.:_-]{0,45}$/;

/**
 * Mint a new session ID in OpenTok's layout:
 * `'1_' + base64url_nopad('1~{apiKey}~{location}~{Date.now()}~{24 chars of base64 from 18 random bytes}~{P if relayed}~')`.
 * The result uses only `[A-Za-z0-9_-]` (safe in URL paths unencoded) and is accepted by the official
 * SDK's `generateToken`, which checks only that field 1 equals its API key.
 * @throws TypeError for an invalid API key or location.
 * @example
 * const sessionId = mintSessionId('123456', { relayed: true });
 * parseSessionId(sessionId)?.apiKey; // '123456'
 */
export function mintSessionId(apiKey: string, opts: MintSessionIdOptions = {}): string {
  checkApiKey(apiKey);
  const { relayed = false, location = '' }: { relayed?: unknown; location?: unknown } = checkObject('options', opts);
  if (typeof relayed !== 'boolean') throw new TypeError(`relayed must be a boolean, got ${describe(relayed)}`);
  if (typeof location !== 'string' || !LOCATION.test(location)) {
    throw new TypeError('location must be at most 45 characters of letters, digits, ".", ":", "_" and "-"');
  }
  const random = randomBytes(18).toString('base64');
  return `1_${base64UrlEncode(`1~${apiKey}~${location}~${Date.now()}~${random}~${relayed ? 'P' : ''}~`)}`;
}
