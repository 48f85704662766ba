/**
 * `DELETE …/session/{sid}/connection/{cid}`: forceDisconnect (`opentok@2.23.2` lib/moderation.js).
 */
import { RestError, sendNoContent } from '../respond.js';
import { param, type RouteContext } from '../router.js';
import { NOT_FOUND_MESSAGE, requireSession } from './session-lookup.js';

/** Disconnect a connection (reason `forceDisconnected`): 204, or 404 when the session or connection is unknown. */
export async function forceDisconnectRoute(ctx: RouteContext): Promise<void> {
  const sessionId = param(ctx, 'sessionId');
  await requireSession(ctx, sessionId);
  const result = await ctx.realtime.forceDisconnect(sessionId, param(ctx, 'connectionId'));
  if (result !== 'ok') throw new RestError(404, NOT_FOUND_MESSAGE);
  sendNoContent(ctx.res);
}
