/**
 * Stream routes (`opentok@2.23.2` lib/client.js: getStream, listStreams, setStreamClassLists, muteStream, forceMute). Parley has no media yet, so no session has any
 * stream. Each answer below is what is TRUE with zero streams, in the form the official SDK
 * handles without crashing:
 *
 * | route                          | answer                                        |
 * |--------------------------------|-----------------------------------------------|
 * | GET  …/session/{sid}/stream     | 200 application/json `{"count":0,"items":[]}` |
 * | GET  …/stream/{id}              | 404 JSON (no such stream)                     |
 * | PUT  …/session/{sid}/stream     | 200 for an empty list; 400 JSON naming the first (unknown) stream ID otherwise |
 * | POST …/stream/{id}/mute         | 404 JSON (no such stream)                     |
 * | POST …/session/{sid}/mute       | 200 (nothing to mute)                          |
 *
 * All of them answer 404 for a session that is not in the store or belongs to another project.
 * When streams arrive, getStream must answer its 200 with a NON-JSON Content-Type (the SDK
 * JSON-parses that body twice: lib/api.js parses an `application/json` body, then lib/opentok.js getStream hands it to `new Stream(json)`, whose lib/stream.js calls `JSON.parse` again) and forceMuteAll's `active` state must be
 * kept for streams published later.
 */
import type { ServerResponse } from 'node:http';
import { readJsonObject } from '../body.js';
import { RestError, sendJson } from '../respond.js';
import { param, type RouteContext } from '../router.js';
import { requireSession } from './session-lookup.js';

const SESSION_NOT_FOUND = 'Session not found';
const STREAM_NOT_FOUND = 'Stream not found';

/** 200 with an empty body and no Content-Type, as OpenTok answers the PUT and mute calls. */
function sendEmptyOk(res: ServerResponse): void {
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(200, { 'Content-Length': '0' });
  res.end();
}

/** `GET …/session/{sid}/stream`: the session's streams, which today is always none. */
export async function listStreamsRoute(ctx: RouteContext): Promise<void> {
  await requireSession(ctx, param(ctx, 'sessionId'), SESSION_NOT_FOUND);
  sendJson(ctx.res, 200, { count: 0, items: [] });
}

/** `GET …/session/{sid}/stream/{id}`: 404, since no stream exists. */
export async function getStreamRoute(ctx: RouteContext): Promise<void> {
  await requireSession(ctx, param(ctx, 'sessionId'), SESSION_NOT_FOUND);
  throw new RestError(404, STREAM_NOT_FOUND);
}

/** `PUT …/session/{sid}/stream` with `{"items":[{"id","layoutClassList":[…]}]}`. */
export async function setStreamClassListsRoute(ctx: RouteContext): Promise<void> {
  const body = await readJsonObject(ctx.req);
  const items = body.items;
  if (!Array.isArray(items)) throw new RestError(400, 'items must be an array');
  const ids: string[] = [];
  for (const item of items as unknown[]) {
    const { id, layoutClassList } = (typeof item === 'object' && item !== null ? item : {}) as {
      id?: unknown;
      layoutClassList?: unknown;
    };
    if (typeof id !== 'string') throw new RestError(400, 'each item must have an id string');
    if (!Array.isArray(layoutClassList) || !layoutClassList.every((c) => typeof c === 'string')) {
      throw new RestError(400, 'each item must have a layoutClassList array of strings');
    }
    ids.push(id);
  }
  await requireSession(ctx, param(ctx, 'sessionId'), SESSION_NOT_FOUND);
  // OpenTok answers 400 for an invalid stream ID; with no streams, every ID is one.
  const first = ids[0];
  if (first !== undefined) throw new RestError(400, `Invalid stream ID: ${first}`);
  sendEmptyOk(ctx.res);
}

/** `POST …/session/{sid}/stream/{id}/mute`: 404, since no stream exists. */
export async function muteStreamRoute(ctx: RouteContext): Promise<void> {
  await requireSession(ctx, param(ctx, 'sessionId'), SESSION_NOT_FOUND);
  throw new RestError(404, STREAM_NOT_FOUND);
}

/**
 * `POST …/session/{sid}/mute` with `{"active":true,"excludedStreamIds":[…]}` or `{"active":false}`:
 * 200, nothing to mute. The `active` state is not recorded yet (no stream can be published).
 */
export async function muteSessionRoute(ctx: RouteContext): Promise<void> {
  const body = await readJsonObject(ctx.req);
  if (body.active !== undefined && typeof body.active !== 'boolean')
    throw new RestError(400, 'active must be a boolean');
  const excluded = body.excludedStreamIds;
  if (excluded !== undefined && (!Array.isArray(excluded) || !excluded.every((id) => typeof id === 'string'))) {
    throw new RestError(400, 'excludedStreamIds must be an array of stream ID strings');
  }
  await requireSession(ctx, param(ctx, 'sessionId'), SESSION_NOT_FOUND);
  sendEmptyOk(ctx.res);
}
