/**
 * The one check every session route makes: the session exists in the store AND belongs to the
 * project the request authenticated as. Either failure is the same 404, so a caller cannot probe
 * another project's session IDs.
 */
import type { SessionRecord } from '../../store/store.js';
import { RestError } from '../respond.js';
import type { RouteContext } from '../router.js';

/** The message OpenTok-style clients see for an unknown session or connection. */
export const NOT_FOUND_MESSAGE = 'Session or connection not found';

/**
 * Load `sessionId` for `ctx.apiKey`, or throw a 404 {@link RestError} with `message`.
 * @example const session = await requireSession(ctx, param(ctx, 'sessionId'));
 */
export async function requireSession(
  ctx: RouteContext,
  sessionId: string,
  message = NOT_FOUND_MESSAGE,
): Promise<SessionRecord> {
  const session = await ctx.store.getSession(sessionId);
  if (session === undefined || session.apiKey !== ctx.apiKey) throw new RestError(404, message);
  return session;
}
