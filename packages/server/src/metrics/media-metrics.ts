/**
 * The media router's metrics: one `stats()` call per scrape (the forwarder answers from its
 * worker thread), shared by every family below. Bitrate is the rate of the byte counters in
 * PromQL, e.g. `8 * rate(parley_forwarded_bytes_total[1m])` bits per second.
 */
import type { MediaRouter, MediaRouterStats } from '../media/router-hook.js';
import type { LabelledValue, MetricFamily } from './metric-family.js';

type Counted = 'packetsIn' | 'bytesIn' | 'packetsOut' | 'bytesOut' | 'retransmitted' | 'keyFrameRequests';

/**
 * The families of a router with `stats()` (none without).
 * @example new ServerMetrics([...counters.families(core), ...mediaFamilies(router)], token)
 */
export function mediaFamilies(router: MediaRouter | null): MetricFamily[] {
  if (router?.stats === undefined) return [];
  const stats = router.stats.bind(router);
  // Every family of one scrape is collected in the same tick: they share one pending request.
  let pending: Promise<MediaRouterStats> | null = null;
  const read = (): Promise<MediaRouterStats> => {
    if (pending === null) {
      pending = stats().catch(() => ({ routers: 0, transports: 0, producers: 0, consumers: 0 }));
      void pending.finally(() => {
        pending = null;
      });
    }
    return pending;
  };
  const counter = (name: string, help: string, key: Counted): MetricFamily => ({
    name,
    help,
    type: 'counter',
    read: async () => (await read())[key] ?? 0,
  });
  return [
    {
      name: 'forwarder_objects',
      help: 'Media forwarder objects alive now, by kind (router per session, transport per peer).',
      type: 'gauge',
      labelNames: ['kind'],
      read: async (): Promise<LabelledValue[]> => {
        const s = await read();
        return (['routers', 'transports', 'producers', 'consumers'] as const).map((kind) => ({
          labels: { kind },
          value: s[kind],
        }));
      },
    },
    counter(
      'forwarder_received_packets_total',
      'RTP packets the media forwarder received from publishers.',
      'packetsIn',
    ),
    counter(
      'forwarder_received_bytes_total',
      'RTP payload bytes the media forwarder received from publishers.',
      'bytesIn',
    ),
    counter(
      'forwarded_packets_total',
      'RTP packets the media forwarder sent to subscribers (retransmissions apart).',
      'packetsOut',
    ),
    counter('forwarded_bytes_total', 'RTP payload bytes the media forwarder sent to subscribers.', 'bytesOut'),
    counter(
      'forwarder_retransmissions_total',
      'Packets resent to subscribers that reported them lost (NACK).',
      'retransmitted',
    ),
    counter('forwarder_keyframe_requests_total', 'Key frames asked of publishers (PLI).', 'keyFrameRequests'),
  ];
}
