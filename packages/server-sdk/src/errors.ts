/**
 * The error the {@link Parley} class's network methods reject with.
 */

/**
 * A REST call failed. `status` is the HTTP status the server answered with, or 0 when no answer
 * came (network error, timeout). For an error answer, `message` is the server's JSON `message`.
 * @example
 * try { await parley.signal(sessionId, { type: 'chat', data: 'hi' }); }
 * catch (e) { if (e instanceof ParleyApiError && e.status === 404) console.log('no such session'); }
 */
export class ParleyApiError extends Error {
  override readonly name = 'ParleyApiError';
  /** HTTP status; 0 for network errors and timeouts. */
  readonly status: number;

  constructor(message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}
