/**
 * The route table under `/v2/project/{apiKey}/` (the routes `opentok@2.23.2` calls: the endpoint list at the top of lib/client.js, plus lib/signaling.js and lib/moderation.js; docs/OPENTOK-COMPATIBILITY.md has the table). Order does not matter: patterns
 * are distinct in length or literal segments.
 */
import type { Route } from '../router.js';
import { forceDisconnectRoute } from './connections.js';
import { revokeTokensRoute } from './revocations.js';
import { signalConnectionRoute, signalSessionRoute } from './signal.js';
import {
  getStreamRoute,
  listStreamsRoute,
  muteSessionRoute,
  muteStreamRoute,
  setStreamClassListsRoute,
} from './streams.js';
import { unsupportedRoutes } from './unsupported.js';

/** Every route Parley knows under `/v2/project/{apiKey}/`. */
export const projectRoutes: readonly Route[] = [
  { pattern: 'session/:sessionId/signal', methods: { POST: signalSessionRoute } },
  { pattern: 'session/:sessionId/connection/:connectionId/signal', methods: { POST: signalConnectionRoute } },
  { pattern: 'session/:sessionId/connection/:connectionId', methods: { DELETE: forceDisconnectRoute } },
  { pattern: 'session/:sessionId/stream', methods: { GET: listStreamsRoute, PUT: setStreamClassListsRoute } },
  { pattern: 'session/:sessionId/stream/:streamId', methods: { GET: getStreamRoute } },
  { pattern: 'session/:sessionId/stream/:streamId/mute', methods: { POST: muteStreamRoute } },
  { pattern: 'session/:sessionId/mute', methods: { POST: muteSessionRoute } },
  // Parley's own (not OpenTok's): token revocation, docs/OPERATIONS.md §Tokens.
  { pattern: 'parley/revocations', methods: { POST: revokeTokensRoute } },
  ...unsupportedRoutes,
];
