/**
 * Stream routes (`opentok@2.23.2` lib/client.js: getStream, listStreams, setStreamClassLists,
 * forceMuteStream, forceMute; docs/OPENTOK-COMPATIBILITY.md), answered from the session bus's
 * live streams:
 *
 * | route                          | answer                                                        |
 * |--------------------------------|---------------------------------------------------------------|
 * | GET  …/session/{sid}/stream     | 200 application/json `{"count","items":[{id,videoType,name,layoutClassList}]}` |
 * | GET  …/stream/{id}              | 200 the stream, NOT as application/json (see below); 404 unknown |
 * | PUT  …/session/{sid}/stream     | 200 empty; 400 naming the first unknown stream ID (nothing changed) |
 * | POST …/stream/{id}/mute         | 200 empty (its publisher is muted: muteForced + hasAudio false); 404 unknown |
 * | POST …/session/{sid}/mute       | `active: true`: mute all but `excludedStreamIds`, and streams published later; `active: false`: stop that. 200 empty |
 *
 * All of them answer 404 for a session that is not in the store or belongs to another project.
 * getStream answers its 200 as `text/plain`: the SDK JSON-parses that body twice (lib/api.js parses
 * an `application/json` body, then lib/opentok.js getStream hands the result to `new Stream(json)`,
 * whose lib/stream.js calls `JSON.parse` again), so a JSON Content-Type would crash it.
 */
import type { ServerResponse } from 'node:http';
import type { StreamOp, StreamOpResult, StreamView } from '../../bus/session-bus.js';
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

/** OpenTok's stream JSON. */
function streamJson(v: StreamView): Record<string, unknown> {
  return { id: v.id, videoType: v.videoType, name: v.name, layoutClassList: v.layoutClassList };
}

/** Run a stream operation on a session of this project; a stream the bus does not know is a 404 (or `notFound`). */
async function run(
  ctx: RouteContext,
  op: StreamOp,
  notFound: (id: string) => RestError = () => new RestError(404, STREAM_NOT_FOUND),
): Promise<Extract<StreamOpResult, { ok: true }>> {
  const sessionId = param(ctx, 'sessionId');
  await requireSession(ctx, sessionId, SESSION_NOT_FOUND);
  const result = await ctx.realtime.stream(sessionId, op);
  if (result.ok) return result;
  if (op.op === 'classes') {
    // Nobody connected: no stream exists, so only an empty list is valid.
    const first = op.items[0];
    if (first === undefined) return { ok: true };
    if (result.error === 'session-not-found') throw notFound(first.id);
  }
  // Nobody connected: the session exists but has no streams at all.
  if (result.error === 'stream-not-found' || result.error === 'session-not-found')
    throw notFound(result.detail ?? (op.op === 'classes' ? (op.items[0]?.id ?? '') : ''));
  throw new RestError(400, result.error);
}

/** `GET …/session/{sid}/stream`: the session's streams, oldest first. */
export async function listStreamsRoute(ctx: RouteContext): Promise<void> {
  const result = await run(ctx, { op: 'list' });
  const items = (result.streams ?? []).map(streamJson);
  sendJson(ctx.res, 200, { count: items.length, items });
}

/** `GET …/session/{sid}/stream/{id}`: one stream (text/plain JSON: see the header comment). */
export async function getStreamRoute(ctx: RouteContext): Promise<void> {
  const id = param(ctx, 'streamId');
  const result = await run(ctx, { op: 'list' });
  const view = (result.streams ?? []).find((s) => s.id === id);
  if (view === undefined) throw new RestError(404, STREAM_NOT_FOUND);
  const text = JSON.stringify(streamJson(view));
  if (ctx.res.headersSent || ctx.res.writableEnded) return;
  ctx.res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  ctx.res.end(text);
}

/** `PUT …/session/{sid}/stream` with `{"items":[{"id","layoutClassList":[…]}]}`: all or nothing. */
export async function setStreamClassListsRoute(ctx: RouteContext): Promise<void> {
  const body = await readJsonObject(ctx.req);
  const items = body.items;
  if (!Array.isArray(items)) throw new RestError(400, 'items must be an array');
  const parsed: { id: string; layoutClassList: string[] }[] = [];
  for (const item of items as unknown[]) {
    const { id, layoutClassList } = (typeof item === 'object' && item !== null ? item : {}) as {
      id?: unknown;
      layoutClassList?: unknown;
    };
    if (typeof id !== 'string') throw new RestError(400, 'each item must have an id string');
    if (!Array.isArray(layoutClassList) || !layoutClassList.every((c) => typeof c === 'string')) {
      throw new RestError(400, 'each item must have a layoutClassList array of strings');
    }
    parsed.push({ id, layoutClassList: layoutClassList });
  }
  // OpenTok answers 400 for an invalid stream ID.
  await run(ctx, { op: 'classes', items: parsed }, (id) => new RestError(400, `Invalid stream ID: ${id}`));
  sendEmptyOk(ctx.res);
}

/** `POST …/session/{sid}/stream/{id}/mute`: force that stream's audio off. */
export async function muteStreamRoute(ctx: RouteContext): Promise<void> {
  await run(ctx, { op: 'forceMute', streamId: param(ctx, 'streamId') });
  sendEmptyOk(ctx.res);
}

/** `POST …/session/{sid}/mute` with `{"active":true,"excludedStreamIds":[…]}` or `{"active":false}`. */
export async function muteSessionRoute(ctx: RouteContext): Promise<void> {
  const body = await readJsonObject(ctx.req);
  if (body.active !== undefined && typeof body.active !== 'boolean')
    throw new RestError(400, 'active must be a boolean');
  const excluded = body.excludedStreamIds;
  if (excluded !== undefined && (!Array.isArray(excluded) || !excluded.every((id) => typeof id === 'string'))) {
    throw new RestError(400, 'excludedStreamIds must be an array of stream ID strings');
  }
  const op: StreamOp =
    body.active === false ? { op: 'disableForceMute' } : { op: 'forceMute', excluded: excluded ?? [] };
  // A session nobody is connected to has nothing to mute (and no later publisher to remember it for).
  const sessionId = param(ctx, 'sessionId');
  await requireSession(ctx, sessionId, SESSION_NOT_FOUND);
  await ctx.realtime.stream(sessionId, op);
  sendEmptyOk(ctx.res);
}
