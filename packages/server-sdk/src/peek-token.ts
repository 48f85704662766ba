/**
 * Reading a token's API key before verifying it, to find the project whose secret verifies it.
 */
import { MAX_TOKEN_LENGTH } from '@parley/protocol';
import { decodeJsonSegment } from './jwt.js';
import { T1_SENTINEL, peekT1 } from './t1-token.js';
import type { TokenFormat } from './token-data.js';

/**
 * A token's format and claimed API key, NOT verified: use it only to look up the secret, then
 * call `verifyToken`.
 * @example const peeked: UnverifiedToken | null = peekToken(token);
 */
export interface UnverifiedToken {
  readonly format: TokenFormat;
  readonly apiKey: string;
}

/**
 * The format and claimed API key of a token (JWT: the `iss` claim; T1: `partner_id`), without
 * checking anything else. Null for garbage, an empty string or a non-string. Never throws.
 * @example
 * const peeked = peekToken(token);
 * const project = peeked && projects.get(peeked.apiKey);
 */
export function peekToken(token: string): UnverifiedToken | null {
  if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) return null;
  if (token.startsWith(T1_SENTINEL)) {
    const apiKey = peekT1(token);
    return apiKey === null ? null : { format: 't1', apiKey };
  }
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const iss = decodeJsonSegment(parts[1] ?? '')?.iss;
  if (typeof iss === 'string' && iss !== '') return { format: 'jwt', apiKey: iss };
  if (typeof iss === 'number' && Number.isSafeInteger(iss)) return { format: 'jwt', apiKey: String(iss) };
  return null;
}
