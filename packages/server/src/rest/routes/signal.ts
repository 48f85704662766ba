/**
 * `POST …/session/{sid}/signal` and `POST …/session/{sid}/connection/{cid}/signal`
 * (`opentok@2.23.2` lib/signaling.js): a signal from the server, which clients receive with `from: null`.
 */
import { SessionErrorCode, validateSignal } from '@parley/protocol';
import { readJsonObject } from '../body.js';
import { RestError, sendNoContent } from '../respond.js';
import { param, type RouteContext } from '../router.js';
import { NOT_FOUND_MESSAGE, requireSession } from './session-lookup.js';

/** Read and validate `{type?, data?}`: invalid type or non-string data → 400, data too long → 413. */
async function readSignal(ctx: RouteContext): Promise<{ type?: string; data?: string }> {
  const body = await readJsonObject(ctx.req);
  const problem = validateSignal({ type: body.type, data: body.data });
  if (problem !== null) {
    throw new RestError(problem.code === SessionErrorCode.SignalDataTooLong ? 413 : 400, problem.message);
  }
  // validateSignal guarantees both are strings when present.
  const signal: { type?: string; data?: string } = {};
  if (typeof body.type === 'string') signal.type = body.type;
  if (typeof body.data === 'string') signal.data = body.data;
  return signal;
}

/**
 * Signal every connection of a session. 204 when the session is in the store, even if nobody is
 * connected: the realtime core answers `session-not-found` for a session without live
 * connections, and "delivered to all zero connections" is the truthful outcome, so that case is
 * a 204 too. A session the store does not know (or another project's) is a 404.
 */
export async function signalSessionRoute(ctx: RouteContext): Promise<void> {
  const signal = await readSignal(ctx);
  const sessionId = param(ctx, 'sessionId');
  await requireSession(ctx, sessionId);
  const result = await ctx.realtime.serverSignal(sessionId, signal);
  if (result === 'connection-not-found') throw new RestError(404, NOT_FOUND_MESSAGE);
  sendNoContent(ctx.res);
}

/** Signal one connection: 204, or 404 when the session or the connection is unknown. */
export async function signalConnectionRoute(ctx: RouteContext): Promise<void> {
  const signal = await readSignal(ctx);
  const sessionId = param(ctx, 'sessionId');
  await requireSession(ctx, sessionId);
  const result = await ctx.realtime.serverSignal(sessionId, signal, param(ctx, 'connectionId'));
  if (result !== 'ok') throw new RestError(404, NOT_FOUND_MESSAGE);
  sendNoContent(ctx.res);
}
