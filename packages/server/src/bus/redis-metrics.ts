/**
 * The Redis bus's metrics (`SessionBus.metricFamilies`): plain fields its parts count, read on
 * scrape. The round trip is the last lease renewal's (every `renewEveryMs`): no extra traffic.
 */
import type { MetricFamily } from '../metrics/metric-family.js';

/** What the families read. */
export interface RedisBusGauges {
  ready(): boolean;
  roundTripSeconds(): number;
  /** Subscriptions found lost and renewed: session channels and the node channel. */
  lostSubscriptions(): number;
  gapFills(): number;
  operations(): number;
  /** Claims answered by rebuilding the member (its node died or did not hand over), and those that could not be. */
  rebuilds(): { readonly ok: number; readonly refused: number };
}

/**
 * @example bus.metricFamilies = () => redisFamilies({ ready: () => true, ... })
 */
export function redisFamilies(g: RedisBusGauges): MetricFamily[] {
  return [
    {
      name: 'redis_ready',
      help: 'Whether both Redis connections of the bus are up (1) or not (0).',
      type: 'gauge',
      read: () => (g.ready() ? 1 : 0),
    },
    {
      name: 'redis_round_trip_seconds',
      help: 'Round trip of the last lease renewal to Redis (NaN before the first).',
      type: 'gauge',
      read: () => g.roundTripSeconds(),
    },
    {
      name: 'redis_lost_subscriptions_total',
      help: 'Redis subscriptions found lost (a session behind Redis, or node pings unanswered) and renewed.',
      type: 'counter',
      read: () => g.lostSubscriptions(),
    },
    {
      name: 'redis_gap_fills_total',
      help: 'Gaps in a session feed filled from its log in Redis.',
      type: 'counter',
      read: () => g.gapFills(),
    },
    {
      name: 'redis_operations_total',
      help: 'Session operations sent to Redis (joins, signals, leaves…; housekeeping apart).',
      type: 'counter',
      read: () => g.operations(),
    },
    {
      name: 'redis_rebuilds_total',
      help: 'Connections of a dead (or unanswering) node rebuilt here from their checkpoint and the session log, by result.',
      type: 'counter',
      labelNames: ['result'],
      read: () => {
        const r = g.rebuilds();
        return [
          { labels: { result: 'ok' }, value: r.ok },
          { labels: { result: 'refused' }, value: r.refused },
        ];
      },
    },
  ];
}
