/**
 * The seam through which a part of the server offers metrics without importing prom-client: a
 * list of families, each read on scrape. The endpoint's counters use it (server-counters.ts), and
 * so do:
 *
 * - the media router's `stats()` (media-metrics.ts): `parley_forwarded_packets_total`,
 *   `parley_forwarded_bytes_total` (bitrate is its rate in PromQL), read asynchronously;
 * - a bus (`SessionBus.metricFamilies`): the embedded bus's `parley_streams`, the Redis bus's
 *   `parley_redis_round_trip_seconds`, `parley_redis_lost_subscriptions_total` (redis-metrics.ts).
 *
 * Keep the hot path cheap: increment a plain number field where the thing happens and let
 * `read()` return it; nothing here is called per message.
 */

/** One labelled value of a family. */
export interface LabelledValue {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** What a family reads: one number, or one value per label set. */
export type FamilyValue = number | readonly LabelledValue[];

/** One metric family, read on every scrape of `/metrics`. */
export interface MetricFamily {
  /** Without the `parley_` prefix, e.g. `signals_in_total` (counters end in `_total`). */
  readonly name: string;
  /** One sentence, shown as `# HELP`. */
  readonly help: string;
  /** A counter only goes up (for the life of the process); a gauge is a current value. */
  readonly type: 'counter' | 'gauge';
  /** The label names of a labelled family. @default [] */
  readonly labelNames?: readonly string[];
  /**
   * The value now: a number, or one value per label set; or a promise of one, for a value held
   * elsewhere (the media forwarder's worker thread), awaited by the scrape.
   */
  read(): FamilyValue | Promise<FamilyValue>;
}

/** Something that offers metric families (registered once, when the server starts). */
export interface MetricsSource {
  metricFamilies(): readonly MetricFamily[];
}
