/**
 * The join checks the gateway runs BEFORE an endpoint sees a socket (PROTOCOL.md §Handshake),
 * in a fixed order so the close code is predictable: session ID shape, then the token, then
 * project and session ownership.
 */
import {
  CloseCode,
  isRole,
  MAX_CONNECTION_DATA_LENGTH,
  MAX_TOKEN_LENGTH,
  parseSessionId,
  type JoinParams,
} from '@parley/protocol';
import { peekToken, verifyToken } from '@parley/server-sdk';
import type { JoinGrant } from '../core/endpoint.js';
import type { Store } from '../store/store.js';

/** Why a join was refused: the close code and a reason naming the failed check. */
export interface JoinRefusal {
  readonly code: CloseCode;
  readonly reason: string;
}

const refuse = (code: CloseCode, reason: string): JoinRefusal => ({ code, reason });
const auth = (reason: string): JoinRefusal => refuse(CloseCode.AuthenticationFailed, reason);
const invalidSession = (reason: string): JoinRefusal => refuse(CloseCode.InvalidSession, reason);

/**
 * Check a join's query against the store. Never throws for bad input.
 * @example
 * const result = await authenticateJoin(params, store, Math.floor(Date.now() / 1000));
 * if ('code' in result) refuse(result.code, result.reason); else core.join(ws, result);
 */
export async function authenticateJoin(
  params: JoinParams,
  store: Store,
  nowSeconds?: number,
): Promise<JoinGrant | JoinRefusal> {
  const { sessionId, token, apiKey: queryApiKey } = params;
  const parsed = parseSessionId(sessionId);
  if (parsed === null) return invalidSession(sessionId === '' ? 'missing session ID' : 'malformed session ID');

  if (token === '') return auth('missing token');
  if (token.length > MAX_TOKEN_LENGTH) return auth(`token longer than ${MAX_TOKEN_LENGTH} characters`);
  const peeked = peekToken(token);
  if (peeked === null) return auth('malformed token');
  const project = await store.getProject(peeked.apiKey);
  if (project === undefined) return auth('unknown API key in token');
  const verified = verifyToken(token, project.apiSecret, nowSeconds);
  if (!verified.ok) return auth(`token rejected: ${verified.reason}`);
  const claims = verified.claims;
  if (claims.sessionId !== sessionId) return auth('token is for another session');
  if (!isRole(claims.role)) return auth(`token role ${JSON.stringify(claims.role.slice(0, 20))} is unknown`);
  if (claims.connectionData.length > MAX_CONNECTION_DATA_LENGTH) {
    return auth(`connection data longer than ${MAX_CONNECTION_DATA_LENGTH} characters`);
  }
  if (queryApiKey !== '' && queryApiKey !== peeked.apiKey) return auth("API key is not the token's project");

  if (parsed.apiKey !== project.apiKey) return invalidSession('session belongs to another project');
  const session = await store.getSession(sessionId);
  if (session === undefined) return invalidSession('unknown session');
  if (session.apiKey !== project.apiKey) return invalidSession('session belongs to another project');

  return {
    sessionId,
    apiKey: project.apiKey,
    role: claims.role,
    data: claims.connectionData,
    mediaMode: session.mediaMode,
  };
}
