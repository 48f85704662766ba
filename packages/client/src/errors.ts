/**
 * The one error class of the client. Every failure the SDK reports (a rejected promise, the
 * `sessionError` event, `sessionDidFailWithError`) is a {@link ParleyError} with a numeric
 * {@link SessionErrorCode} from the protocol's table.
 */
import { SessionErrorCode } from '@parley/protocol';

export { SessionErrorCode };

/**
 * An error with an OpenTok-compatible numeric `code`, a readable message and an optional `cause`.
 *
 * @example
 * try {
 *   await session.connect(token);
 * } catch (err) {
 *   if (err instanceof ParleyError && err.code === SessionErrorCode.AuthorizationFailure) showLogin();
 * }
 */
export class ParleyError extends Error {
  override readonly name = 'ParleyError';

  /**
   * @param code - the error code (see {@link SessionErrorCode})
   * @param message - what went wrong, for humans
   * @param options - `cause`: the underlying error or close event, if any
   * @example new ParleyError(SessionErrorCode.InvalidSession, 'the session ID is malformed')
   */
  constructor(
    readonly code: SessionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /**
   * 1010: the action needs a connected session.
   * @example throw ParleyError.notConnected('cannot signal')
   */
  static notConnected(detail = 'the session is not connected'): ParleyError {
    return new ParleyError(SessionErrorCode.NotConnected, detail);
  }

  /**
   * 1011: a parameter is missing or has the wrong type.
   * @example throw ParleyError.invalidParameter('"to" must be a Connection or a connection ID')
   */
  static invalidParameter(detail: string): ParleyError {
    return new ParleyError(SessionErrorCode.NullOrInvalidParameter, detail);
  }

  /**
   * 1015: the method was called at an illegal time.
   * @example throw ParleyError.illegalState('connect() called while connected')
   */
  static illegalState(detail: string): ParleyError {
    return new ParleyError(SessionErrorCode.IllegalState, detail);
  }

  /**
   * 1022: an established connection dropped and could not be restored.
   * @example ParleyError.connectionDropped('the reconnect window (30000 ms) ran out')
   */
  static connectionDropped(detail: string, cause?: unknown): ParleyError {
    return new ParleyError(SessionErrorCode.ConnectionDropped, `connection dropped: ${detail}`, { cause });
  }

  /**
   * 404: the connection named does not exist in the session.
   * @example throw ParleyError.notFound('no connection "abc" in this session')
   */
  static notFound(detail: string): ParleyError {
    return new ParleyError(SessionErrorCode.NotFound, detail);
  }
}
