/**
 * The decisions of a join (PROTOCOL.md "Handshake"): what is wrong before any network, and after a
 * failed attempt whether to give up (refused, or out of attempts) or to try again and when.
 */
import { connectErrorForClose, parseSessionId, SessionErrorCode } from '@parley/protocol';
import { ParleyError } from './errors.js';

/** Empty token (1004), malformed session ID (1005), session of another API key (1004), or null. @internal */
export function joinProblem(apiKey: string, sessionId: string, token: unknown): ParleyError | null {
  if (typeof token !== 'string' || token === '')
    return new ParleyError(SessionErrorCode.AuthorizationFailure, 'the token is empty');
  const parsed = parseSessionId(sessionId);
  if (parsed === null)
    return new ParleyError(SessionErrorCode.InvalidSession, `the session ID ${JSON.stringify(sessionId)} is malformed`);
  if (parsed.apiKey !== apiKey) {
    return new ParleyError(
      SessionErrorCode.AuthorizationFailure,
      `the session ID belongs to API key ${parsed.apiKey}, not ${apiKey}`,
    );
  }
  return null;
}

/** What failing join attempts are measured against. @internal */
export interface JoinRetry {
  readonly urls: readonly string[];
  readonly connectAttempts: number;
  readonly connectRetryDelays: readonly number[];
}

/**
 * Attempt number `attempt` (1-based) closed with `code`: the error to fail `connect()` with (a
 * refusal, or the last attempt), or the delay before the next attempt.
 * @internal
 */
export function afterFailedJoin(
  code: number,
  reason: string,
  cause: unknown,
  attempt: number,
  retry: JoinRetry,
): { readonly error: ParleyError } | { readonly retryIn: number } {
  const mapped = connectErrorForClose(code);
  // A socket that never opened closes with 1006 and no reason; the cause (Node) says why.
  const why = reason !== '' ? reason : cause instanceof Error ? cause.message : '';
  const detail = why === '' ? `closed with ${code}` : `${why} (${code})`;
  const options = { cause: cause ?? { code, reason } };
  if (mapped !== SessionErrorCode.ConnectionFailed)
    return { error: new ParleyError(mapped, `connect refused: ${detail}`, options) };
  if (attempt >= retry.connectAttempts) {
    const message = `could not reach ${retry.urls.join(' or ')} after ${attempt} attempt(s): ${detail}`;
    return { error: new ParleyError(SessionErrorCode.ConnectionFailed, message, options) };
  }
  const delays = retry.connectRetryDelays;
  return { retryIn: delays[Math.min(attempt - 1, delays.length - 1)] ?? 0 };
}

/** Where a join or resume opens its transport: the session's {@link Link}, seen from here. @internal */
export interface Opener {
  open(query: string, openTimeout: number): void;
  wait(fn: () => void, ms: number): void;
}

/** One `connect()` call: its token, its attempts so far, and its promise. @internal */
export class JoinJob {
  private attempts = 0;

  constructor(
    private readonly query: string,
    private readonly link: Opener,
    private readonly retry: JoinRetry & { readonly openTimeout: number },
    readonly resolve: () => void,
    readonly reject: (error: Error) => void,
  ) {}

  /** Open the next attempt's transport. */
  open(): void {
    this.link.open(this.query, this.retry.openTimeout);
  }

  /** The attempt's transport was lost: schedule the next attempt (null), or the error to fail `connect()` with. */
  failed(code: number, reason: string, cause: unknown): ParleyError | null {
    this.attempts++;
    const next = afterFailedJoin(code, reason, cause, this.attempts, this.retry);
    if ('error' in next) return next.error;
    this.link.wait(() => {
      this.open();
    }, next.retryIn);
    return null;
  }
}
