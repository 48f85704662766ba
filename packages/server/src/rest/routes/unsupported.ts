/**
 * OpenTok REST features Parley does not implement (archives, broadcasts, SIP, renders, captions…: `opentok@2.23.2` lib/archiving.js, lib/client.js, lib/sipInterconnect.js, lib/render.js, lib/captions.js; the list is in docs/OPENTOK-COMPATIBILITY.md). After authentication they
 * answer `501 {"message":"<feature> is not supported by Parley"}`, which every SDK call turns
 * into an `Unexpected response from OpenTok` error without crashing.
 *
 * One exception: `GET …/callback` (listCallbacks) answers `200 []`. opentok@2.23.2's
 * listCallbacks calls `body.map` even after reporting an error, so ANY error reply makes it throw
 * inside its promise chain and crash the caller's process; and since callbacks cannot be
 * registered here, "no callbacks" is the true answer.
 */
import { RestError, sendJson } from '../respond.js';
import type { HttpMethod, Route, RouteContext, RouteHandler } from '../router.js';

/** A handler that always answers 501 for `feature`. */
export function notSupported(feature: string): RouteHandler {
  return (): Promise<void> => Promise.reject(new RestError(501, `${feature} is not supported by Parley`));
}

function routes(feature: string, table: Record<string, readonly HttpMethod[]>): Route[] {
  const handler = notSupported(feature);
  return Object.entries(table).map(([pattern, methods]) => ({
    pattern,
    methods: Object.fromEntries(methods.map((m) => [m, handler])),
  }));
}

/** `GET …/callback`: the (always empty) list of registered callbacks. */
function listCallbacksRoute(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, []);
  return Promise.resolve();
}

/** Every unsupported route (docs/OPENTOK-COMPATIBILITY.md, "Peripheral routes"), with the methods the SDK uses on it. */
export const unsupportedRoutes: readonly Route[] = [
  ...routes('Archiving', {
    archive: ['GET', 'POST'],
    'archive/:archiveId': ['GET', 'DELETE'],
    'archive/:archiveId/stop': ['POST'],
    'archive/:archiveId/streams': ['PATCH'],
    'archive/:archiveId/layout': ['PUT'],
  }),
  ...routes('Live streaming broadcast', {
    broadcast: ['GET', 'POST'],
    'broadcast/:broadcastId': ['GET'],
    'broadcast/:broadcastId/stop': ['POST'],
    'broadcast/:broadcastId/streams': ['PATCH'],
    'broadcast/:broadcastId/layout': ['PUT'],
  }),
  ...routes('SIP interconnect (dial)', { dial: ['POST'] }),
  ...routes('Audio Connector (WebSocket connect)', { connect: ['POST'] }),
  ...routes('DTMF (play-dtmf)', {
    'session/:sessionId/play-dtmf': ['POST'],
    'session/:sessionId/connection/:connectionId/play-dtmf': ['POST'],
  }),
  ...routes('Live captions', { captions: ['POST'], 'captions/:captionsId/stop': ['POST'] }),
  ...routes('Experience Composer (render)', { render: ['GET', 'POST'], 'render/:renderId': ['GET', 'DELETE'] }),
  { pattern: 'callback', methods: { GET: listCallbacksRoute, POST: notSupported('Callbacks') } },
  ...routes('Callbacks', { 'callback/:callbackId': ['DELETE'] }),
];
