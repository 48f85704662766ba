/**
 * The claims of a client connection token, built and validated exactly like `opentok@2.23.2`'s
 * `generateToken` (lib/opentok.js), except that connection data is limited to the documented
 * 1000 characters instead of the SDK's 1024.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import { MAX_CONNECTION_DATA_LENGTH, ROLES, parseSessionId } from '@parley/protocol';
import { checkObject, describe, plain } from './arguments.js';

/**
 * Token wire format: `'jwt'` (HS256 JWT, the official SDK's default since 2.19) or `'t1'` (the legacy
 * `T1==` format).
 * @example generateToken(apiKey, apiSecret, sessionId, {}, 't1')
 */
export type TokenFormat = 'jwt' | 't1';

/**
 * Options of a connection token, as the official SDK takes them.
 * @example const opts: TokenOptions = { role: 'moderator', data: 'name=Alice', expireTime: Math.floor(Date.now() / 1000) + 3600 };
 */
export interface TokenOptions {
  /** 'publisher' (default), 'subscriber', 'publisheronly' or 'moderator'. */
  role?: string;
  /** Connection data the other clients see (at most 1000 characters); '' means none. */
  data?: string;
  /** Expiry, unix seconds (rounded like the official SDK). @default now + 24 h */
  expireTime?: number;
  /** Layout classes for the client's streams; an array is joined with spaces. */
  initialLayoutClassList?: string | string[];
}

/** Token claims in the official SDK's key order (`connection_data` only when there is data). */
export interface TokenData {
  session_id: string;
  create_time: number;
  nonce: number;
  role: string;
  expire_time: number;
  connection_data?: string;
  initial_layout_class_list: string;
  scope: 'session.connect';
}

const MAX_LAYOUT_CLASS_LIST_LENGTH = 1024;
const DEFAULT_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

/** A random float in [0, 1) with 53 random bits, like Math.random() but from the CSPRNG. */
function randomNonce(): number {
  return Number(randomBytes(8).readBigUInt64BE() >> 11n) / 2 ** 53;
}

/**
 * Validate the arguments and build the token claims. `nowMs` is the clock reading; `now` is its
 * rounded second, as the SDK computes it.
 * @throws TypeError with the official SDK's message for each misuse.
 */
export function buildTokenData(apiKey: string, sessionId: unknown, opts: TokenOptions, nowMs: number): TokenData {
  if (typeof sessionId !== 'string') throw new TypeError('Token cannot be generated without a sessionId parameter');
  if (parseSessionId(sessionId)?.apiKey !== apiKey) {
    throw new TypeError('Token cannot be generated unless the session belongs to the API Key');
  }
  checkObject('token options', opts);
  const now = Math.round(nowMs / 1000);
  const role: unknown = opts.role ?? 'publisher';
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    throw new TypeError(`Invalid role for token generation: ${plain(role)}`);
  }
  let expireTime = now + DEFAULT_TOKEN_LIFETIME_SECONDS;
  const requested: unknown = opts.expireTime;
  if (requested !== undefined) {
    if (typeof requested !== 'number' || !Number.isFinite(requested)) {
      throw new TypeError(`Invalid expireTime for token generation: ${plain(requested)}`);
    }
    expireTime = Math.round(requested);
  }
  if (expireTime < now) {
    throw new TypeError(`Invalid expireTime for token generation, time cannot be in the past: ${expireTime} < ${now}`);
  }
  const data = opts.data;
  if (data !== undefined && data !== '' && (typeof data !== 'string' || data.length > MAX_CONNECTION_DATA_LENGTH)) {
    throw new TypeError(
      `Invalid data for token generation, must be a string with maximum length ${MAX_CONNECTION_DATA_LENGTH}`,
    );
  }
  const layout = layoutClassList(opts.initialLayoutClassList);
  return {
    session_id: sessionId,
    create_time: now,
    nonce: randomNonce(),
    role,
    expire_time: expireTime,
    ...(data !== undefined && data !== '' && { connection_data: data }),
    initial_layout_class_list: layout,
    scope: 'session.connect',
  };
}

function layoutClassList(value: unknown): string {
  let list: string;
  if (value === undefined) list = '';
  else if (typeof value === 'string') list = value;
  else if (Array.isArray(value) && value.every((c): c is string => typeof c === 'string')) list = value.join(' ');
  else throw new TypeError(`initialLayoutClassList must be a string or an array of strings, got ${describe(value)}`);
  if (list.length > MAX_LAYOUT_CLASS_LIST_LENGTH) {
    throw new TypeError(
      'Invalid initial layout class list for token generation, must have concatenated length of less than 1024',
    );
  }
  return list;
}
