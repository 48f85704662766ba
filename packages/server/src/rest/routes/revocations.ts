/**
 * `POST /v2/project/{apiKey}/parley/revocations`: revoke client tokens. A Parley extension, not
 * part of OpenTok's REST API (the `parley/` segment says so). docs/OPERATIONS.md §Tokens.
 *
 * Body (JSON), exactly one selector: `{"sessionId": "…"}` (every token of that session),
 * `{"connectionData": "…"}` (every token carrying exactly that connection data), or
 * `{"tokenId": "…"}` (one token: its JWT `jti`, else its nonce), with an optional `expireTime`
 * (the token's expiry, unix seconds) so the rule is pruned sooner. Tokens issued at or before
 * the revocation's time (rounded up to the second) are refused at join (4004 "token revoked") until they expire; holders
 * connected to this node are disconnected (4012 "token revoked"). Answers 200
 * `{"kind","value","revokedAt","expiresAt","disconnected"}`.
 */
import { MAX_CONNECTION_DATA_LENGTH, MAX_SESSION_ID_LENGTH, MAX_TOKEN_LENGTH } from '@parley/protocol';
import { readJsonObject } from '../body.js';
import { RestError, sendJson } from '../respond.js';
import type { RouteContext } from '../router.js';
import type { Revocation, RevocationKind } from '../../tokens/revocation.js';
import { revocationExpiry } from '../../tokens/token-policy.js';
import { requireSession } from './session-lookup.js';

/** Body field → rule kind, and the longest value accepted. */
const SELECTORS: readonly (readonly [field: string, kind: RevocationKind, maxLength: number])[] = [
  ['sessionId', 'session', MAX_SESSION_ID_LENGTH],
  ['connectionData', 'data', MAX_CONNECTION_DATA_LENGTH],
  ['tokenId', 'token', MAX_TOKEN_LENGTH],
];

const ONE_SELECTOR = 'Give exactly one of sessionId, connectionData or tokenId (a non-empty string)';

function selectorOf(body: Record<string, unknown>): { kind: RevocationKind; value: string } {
  const given = SELECTORS.filter(([field]) => body[field] !== undefined);
  const [selector] = given;
  if (given.length !== 1 || selector === undefined) throw new RestError(400, ONE_SELECTOR);
  const [field, kind, maxLength] = selector;
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new RestError(400, ONE_SELECTOR);
  if (value.length > maxLength) throw new RestError(400, `${field} is longer than ${maxLength} characters`);
  return { kind, value };
}

function expireTimeOf(body: Record<string, unknown>, kind: RevocationKind): number | undefined {
  const v = body.expireTime;
  if (v === undefined) return undefined;
  if (kind !== 'token') throw new RestError(400, 'expireTime goes only with tokenId');
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RestError(400, 'expireTime must be unix seconds');
  return v;
}

/** Save the rule, disconnect the holders, answer what was done. */
export async function revokeTokensRoute(ctx: RouteContext): Promise<void> {
  const body = await readJsonObject(ctx.req);
  const { kind, value } = selectorOf(body);
  const tokenExpireTime = expireTimeOf(body, kind);
  if (kind === 'session') await requireSession(ctx, value);
  const nowSeconds = ctx.now() / 1000;
  // Rounded up: the SDKs round a token's create_time to the nearest second, so one minted just
  // before now may say the next second.
  const revokedAt = Math.ceil(nowSeconds);
  const rule: Revocation = {
    apiKey: ctx.apiKey,
    kind,
    value,
    revokedAt,
    expiresAt: revocationExpiry(ctx.tokenPolicy, revokedAt, tokenExpireTime),
  };
  await ctx.store.putRevocation(rule, nowSeconds);
  const disconnected = (await ctx.realtime.revokeHolders?.(rule, nowSeconds)) ?? 0;
  sendJson(ctx.res, 200, { kind, value, revokedAt, expiresAt: rule.expiresAt, disconnected });
}
