/**
 * Client connection tokens, minted locally (no network), field for field like `opentok@2.23.2`.
 */
import { checkApiKey, checkApiSecret, checkOneOf } from './arguments.js';
import { ISSUER_TYPE, signHs256 } from './jwt.js';
import { encodeT1 } from './t1-token.js';
import { buildTokenData, type TokenFormat, type TokenOptions } from './token-data.js';

/**
 * Generate a client connection token for `sessionId`.
 *
 * - `'jwt'` (default): HS256 JWT with payload keys, in order, `iss, ist, iat, exp, session_id,
 *   create_time, nonce, role, expire_time, [connection_data], initial_layout_class_list, scope`.
 * - `'t1'`: `'T1==' + base64('partner_id=…&sig=…:' + query string of the same claims from session_id on)`.
 *
 * Validation and messages are the official SDK's, except that `data` may be at most 1000
 * characters (the platform's documented limit; the SDK allows 1024).
 * @throws TypeError for a session of another API key, an invalid role, an expiry in the past,
 * data too long, a layout class list too long, an unknown format, or a bad key or secret.
 * @example
 * const token = generateToken('123456', 'secret', sessionId, { role: 'moderator', data: 'name=Alice' });
 * const legacy = generateToken('123456', 'secret', sessionId, {}, 't1'); // 'T1==…'
 */
export function generateToken(
  apiKey: string,
  apiSecret: string,
  sessionId: string,
  opts: TokenOptions = {},
  format: TokenFormat = 'jwt',
): string {
  checkApiKey(apiKey);
  checkApiSecret(apiSecret);
  checkOneOf('format', format, ['jwt', 't1'] as const);
  const nowMs = Date.now();
  const data = buildTokenData(apiKey, sessionId, opts, nowMs);
  if (format === 't1') return encodeT1(data, apiKey, apiSecret);
  const iat = Math.floor(nowMs / 1000);
  return signHs256({ iss: apiKey, ist: ISSUER_TYPE, iat, exp: data.expire_time, ...data }, apiSecret);
}
