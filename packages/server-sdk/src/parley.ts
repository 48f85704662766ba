/**
 * The server SDK a backend uses: create sessions, mint tokens, signal and moderate over REST.
 */
import { MAX_SESSION_ID_LENGTH, validateSignal } from '@parley/protocol';
import { checkApiKey, checkApiSecret, checkObject, checkOneOf, describe } from './arguments.js';
import { ParleyApiError } from './errors.js';
import { generateToken } from './generate-token.js';
import { send, type HttpRequest } from './http.js';
import { mintRestJwt } from './rest-auth.js';
import { verifyToken } from './verify-token.js';
import type { TokenFormat, TokenOptions } from './token-data.js';

/**
 * Options of the {@link Parley} client.
 * @example new Parley('123456', 'secret', { apiUrl: 'https://parley.example.com', timeoutMs: 5000 })
 */
export interface ParleyOptions {
  /** Base URL of a Parley server; a path prefix is kept, trailing slashes are dropped. @default 'http://127.0.0.1:8720' */
  apiUrl?: string;
  /** Per-request timeout in milliseconds. @default 10000 */
  timeoutMs?: number;
}

/** Options of {@link Parley.createSession}. */
export interface CreateSessionOptions {
  /** 'relayed' (peer to peer, OpenTok's default) or 'routed'. @default 'relayed' */
  mediaMode?: 'routed' | 'relayed';
  /** 'always' needs the routed media mode. @default 'manual' */
  archiveMode?: 'manual' | 'always';
  /** An IPv4 address, a location hint. */
  location?: string;
  /** End-to-end encryption. */
  e2ee?: boolean;
}

/**
 * Which tokens {@link Parley.revokeTokens} revokes: exactly one selector.
 * @example { sessionId } | { connectionData: 'user=42' } | { tokenId } | { token }
 */
export type RevocationSelector =
  | { readonly sessionId: string }
  | { readonly connectionData: string }
  /** The JWT `jti`, else the token's nonce; `expireTime` (unix seconds) lets the server forget the rule sooner. */
  | { readonly tokenId: string; readonly expireTime?: number }
  /** A token of this project, verified locally; its ID and expiry are sent. */
  | { readonly token: string };

/** What the server did for {@link Parley.revokeTokens}. */
export interface RevocationResult {
  readonly kind: 'session' | 'data' | 'token';
  readonly value: string;
  /** Unix seconds: tokens issued at or before this second are refused. */
  readonly revokedAt: number;
  /** Unix seconds: when the server forgets the rule (every token it matches has expired). */
  readonly expiresAt: number;
  /** How many connected holders were disconnected (on the node that answered). */
  readonly disconnected: number;
}

const DEFAULT_API_URL = 'http://127.0.0.1:8720';
const DEFAULT_TIMEOUT_MS = 10_000;
const USER_AGENT = 'Parley-Server-SDK/0.1.0';
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function normalizeApiUrl(apiUrl: unknown): string {
  if (typeof apiUrl !== 'string') throw new TypeError(`apiUrl must be a string, got ${describe(apiUrl)}`);
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new TypeError(`apiUrl is not a valid URL: ${describe(apiUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError('apiUrl must be an http: or https: URL');
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new TypeError('apiUrl must not carry credentials, a query or a fragment');
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function checkId(name: string, value: unknown, maxLength = MAX_SESSION_ID_LENGTH): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  if (value === '') throw new TypeError(`${name} must not be empty`);
  if (value.length > maxLength) throw new TypeError(`${name} is longer than ${maxLength} characters`);
  return value;
}

/**
 * A backend's handle on a Parley server, with one project's API key and secret. Tokens are minted
 * locally; the other methods are REST calls authenticated with a fresh `X-OPENTOK-AUTH` JWT each,
 * that reject with {@link ParleyApiError} (or a `TypeError` for a bad argument, before any request).
 * @example
 * const parley = new Parley('123456', process.env.PARLEY_SECRET!, { apiUrl: 'http://127.0.0.1:8720' });
 * const { sessionId } = await parley.createSession({ mediaMode: 'routed' });
 * const token = parley.generateToken(sessionId, { role: 'moderator' });
 */
export class Parley {
  /** The project's API key, as a string. */
  readonly apiKey: string;
  /** The base URL, without a trailing slash. */
  readonly apiUrl: string;
  readonly #apiSecret: string;
  readonly #timeoutMs: number;

  /**
   * @param apiKey a string or a number (converted with `String`, like the official SDK).
   * @throws TypeError for a bad key, secret, URL or timeout.
   * @example const parley = new Parley(123456, 'secret');
   */
  constructor(apiKey: string | number, apiSecret: string, options: ParleyOptions = {}) {
    if (typeof apiKey === 'number' && !(Number.isSafeInteger(apiKey) && apiKey >= 0)) {
      throw new TypeError(`apiKey must be a non-negative integer when a number, got ${apiKey}`);
    }
    this.apiKey = checkApiKey(typeof apiKey === 'number' ? String(apiKey) : apiKey);
    this.#apiSecret = checkApiSecret(apiSecret);
    checkObject('options', options);
    this.apiUrl = normalizeApiUrl(options.apiUrl ?? DEFAULT_API_URL);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new TypeError(`timeoutMs must be a positive number, got ${describe(timeoutMs)}`);
    }
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Create a session: `POST {apiUrl}/session/create` with the official SDK's form body
   * (`archiveMode`, [`location`], [`e2ee`], `p2p.preference` = 'disabled' for routed / 'enabled' for relayed).
   * @throws TypeError (rejects) for a bad option, including 'always' archiving without routed media.
   * @example const { sessionId } = await parley.createSession({ mediaMode: 'routed', archiveMode: 'always' });
   */
  async createSession(opts: CreateSessionOptions = {}): Promise<{ sessionId: string }> {
    const { location, e2ee }: { location?: unknown; e2ee?: unknown } = checkObject('options', opts);
    const mediaMode = checkOneOf('mediaMode', opts.mediaMode ?? 'relayed', ['routed', 'relayed'] as const);
    const archiveMode = checkOneOf('archiveMode', opts.archiveMode ?? 'manual', ['manual', 'always'] as const);
    if (archiveMode === 'always' && mediaMode !== 'routed') {
      throw new TypeError('A session with always archive mode must also have the routed media mode.');
    }
    if (location !== undefined && (typeof location !== 'string' || !IPV4.test(location))) {
      throw new TypeError('Invalid arguments when calling createSession, location must be an IPv4 address');
    }
    if (e2ee !== undefined && typeof e2ee !== 'boolean') {
      throw new TypeError(`e2ee must be a boolean, got ${describe(e2ee)}`);
    }
    const form = new URLSearchParams({ archiveMode });
    if (location !== undefined) form.set('location', location);
    if (e2ee !== undefined) form.set('e2ee', String(e2ee));
    form.set('p2p.preference', mediaMode === 'routed' ? 'disabled' : 'enabled');
    const request = this.#request('POST', '/session/create', form.toString(), 'application/x-www-form-urlencoded');
    const response = await send(request);
    const first: unknown = Array.isArray(response.json) ? response.json[0] : undefined;
    const sessionId =
      typeof first === 'object' && first !== null ? (first as { session_id?: unknown }).session_id : undefined;
    if (typeof sessionId !== 'string' || sessionId === '') {
      throw new ParleyApiError(
        `POST ${request.url} answered ${response.status} without a JSON array holding a session_id`,
        response.status,
      );
    }
    return { sessionId };
  }

  /**
   * Mint a client connection token locally (no network); see the standalone `generateToken`.
   * @throws TypeError with the official SDK's messages.
   * @example const token = parley.generateToken(sessionId, { role: 'subscriber' }, { format: 't1' });
   */
  generateToken(sessionId: string, opts?: TokenOptions, options?: { format?: TokenFormat }): string {
    return generateToken(this.apiKey, this.#apiSecret, sessionId, opts, options?.format);
  }

  /**
   * Send a signal to every client of a session, or to one connection: `POST
   * /v2/project/{apiKey}/session/{sessionId}[/connection/{connectionId}]/signal` with JSON
   * `{type?, data?}`; the server answers 204.
   * @throws TypeError (rejects) for a type over 128 characters or outside `[A-Za-z0-9-_~.]`, data over 8192.
   * @example await parley.signal(sessionId, { type: 'chat', data: 'hello' }, connectionId);
   */
  async signal(sessionId: string, payload: { type?: string; data?: string }, connectionId?: string): Promise<void> {
    checkId('sessionId', sessionId);
    if (connectionId !== undefined) checkId('connectionId', connectionId);
    checkObject('payload', payload);
    const problem = validateSignal(payload);
    if (problem !== null) throw new TypeError(problem.message);
    const body = JSON.stringify({
      ...(payload.type !== undefined && { type: payload.type }),
      ...(payload.data !== undefined && { data: payload.data }),
    });
    await send(this.#request('POST', `${this.#sessionPath(sessionId, connectionId)}/signal`, body, 'application/json'));
  }

  /**
   * Disconnect a client: `DELETE /v2/project/{apiKey}/session/{sessionId}/connection/{connectionId}`;
   * the server answers 204 (404 for an unknown session or connection).
   * @example await parley.forceDisconnect(sessionId, connectionId);
   */
  async forceDisconnect(sessionId: string, connectionId: string): Promise<void> {
    checkId('sessionId', sessionId);
    checkId('connectionId', connectionId);
    await send(this.#request('DELETE', this.#sessionPath(sessionId, connectionId)));
  }

  /**
   * Revoke client tokens (a Parley extension; OpenTok has no such call): `POST
   * /v2/project/{apiKey}/parley/revocations`. Tokens matching the selector and issued at or before
   * now are refused at join until they expire; connected holders are disconnected (close 4012,
   * reason "token revoked"). Tokens minted afterwards work.
   * @throws TypeError (rejects) for a bad selector or a `token` that is not a valid token of this project.
   * @example await parley.revokeTokens({ connectionData: 'user=42' });
   */
  async revokeTokens(selector: RevocationSelector): Promise<RevocationResult> {
    const body = revocationBody(checkObject('selector', selector), this.#apiSecret);
    const path = `/v2/project/${encodeURIComponent(this.apiKey)}/parley/revocations`;
    const response = await send(this.#request('POST', path, JSON.stringify(body), 'application/json'));
    return response.json as RevocationResult;
  }

  #sessionPath(sessionId: string, connectionId?: string): string {
    const session = `/v2/project/${encodeURIComponent(this.apiKey)}/session/${encodeURIComponent(sessionId)}`;
    return connectionId === undefined ? session : `${session}/connection/${encodeURIComponent(connectionId)}`;
  }

  #request(method: HttpRequest['method'], path: string, body?: string, contentType?: string): HttpRequest {
    const headers: Record<string, string> = {
      'User-Agent': USER_AGENT,
      Accept: 'application/json',
      'X-OPENTOK-AUTH': mintRestJwt(this.apiKey, this.#apiSecret),
      ...(contentType !== undefined && { 'Content-Type': contentType }),
    };
    return {
      method,
      url: this.apiUrl + path,
      headers,
      ...(body !== undefined && { body }),
      timeoutMs: this.#timeoutMs,
    };
  }
}

/** The request body for a selector (a `token` is verified with the secret and sent as its ID). */
function revocationBody(selector: Record<string, unknown>, apiSecret: string): Record<string, unknown> {
  const keys = Object.keys(selector).filter((k) => selector[k] !== undefined);
  const one = (k: string): string => {
    const v = selector[k];
    if (typeof v !== 'string' || v === '') throw new TypeError(`${k} must be a non-empty string`);
    return v;
  };
  if (keys.length === 1 && keys[0] === 'token') {
    const verified = verifyToken(one('token'), apiSecret);
    if (!verified.ok) throw new TypeError(`token cannot be revoked: ${verified.reason}`);
    if (verified.claims.tokenId === '') throw new TypeError('token cannot be revoked: it has no jti and no nonce');
    return { tokenId: verified.claims.tokenId, expireTime: verified.claims.expireTime };
  }
  if (keys.length === 1 && (keys[0] === 'sessionId' || keys[0] === 'connectionData'))
    return { [keys[0]]: one(keys[0]) };
  if (keys.includes('tokenId') && keys.every((k) => k === 'tokenId' || k === 'expireTime')) {
    const expireTime = selector.expireTime;
    if (expireTime !== undefined && (typeof expireTime !== 'number' || !Number.isFinite(expireTime)))
      throw new TypeError('expireTime must be unix seconds');
    return { tokenId: one('tokenId'), ...(expireTime !== undefined && { expireTime }) };
  }
  throw new TypeError('give exactly one of sessionId, connectionData, tokenId (with an optional expireTime) or token');
}
