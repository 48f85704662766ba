/**
 * The endpoint's media router: built from the configured factory (none: every session carries
 * media relayed), with its way back to the clients through the bus; in a cluster, a routed
 * session's media goes through one node's forwarder (../media/cluster-router.ts).
 */
import type { SessionBus } from '../bus/session-bus.js';
import type { Logger } from '../log/logger.js';
import { ClusterMediaRouter } from '../media/cluster-router.js';
import type { MediaRouter, MediaRouterFactory } from '../media/router-hook.js';

export function buildMediaRouter(
  factory: MediaRouterFactory | undefined,
  bus: SessionBus,
  logger: Logger,
): MediaRouter | null {
  const localRouter =
    factory?.({
      send: (sessionId, connectionId, payload) => {
        bus.stream(sessionId, { op: 'mediaFromServer', to: connectionId, payload }, () => undefined);
      },
      failed: (sessionId, streamId, subscriberId, reason) => {
        logger.warn({ sessionId, streamId, subscriberId }, `media router lost a peer: ${reason}`);
        if (subscriberId === null)
          bus.stream(
            sessionId,
            { op: 'unpublish', streamId, by: null, reason: 'networkDisconnected' },
            () => undefined,
          );
      },
    }) ?? null;
  const channel = localRouter === null ? undefined : bus.forwarderChannel?.();
  return localRouter !== null && channel !== undefined ? new ClusterMediaRouter(localRouter, channel) : localRouter;
}
