/**
 * The counters the gateway, the endpoint, the writer and the REST API increment: plain number
 * fields (one increment where the thing happens, nothing allocated), read on scrape by the
 * families below. One instance per server.
 */
import type { LabelledValue, MetricFamily } from './metric-family.js';

/** Why a join (or, for the address and origin checks, any upgrade) was refused: the `reason` label. */
export type RefusalReason =
  | 'authentication'
  | 'invalid_session'
  | 'session_full'
  | 'draining'
  | 'unsupported_version'
  | 'origin'
  | 'address_limit';

/** Which limit refused something: the `limit` label of `parley_rate_limited_total`. */
export type LimitName =
  | 'signal_rate'
  | 'signal_budget'
  | 'flood'
  | 'ip_connect_rate'
  | 'ip_connections'
  | 'session_creation'
  | 'demo_sessions';

const REFUSAL_REASONS: readonly RefusalReason[] = [
  'authentication',
  'invalid_session',
  'session_full',
  'draining',
  'unsupported_version',
  'origin',
  'address_limit',
];
const LIMIT_NAMES: readonly LimitName[] = [
  'signal_rate',
  'signal_budget',
  'flood',
  'ip_connect_rate',
  'ip_connections',
  'session_creation',
  'demo_sessions',
];

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function labelled<K extends string>(label: string, counts: Record<K, number>): () => readonly LabelledValue[] {
  return () => Object.entries<number>(counts).map(([k, value]) => ({ labels: { [label]: k }, value }));
}

/** What the endpoint reports on scrape (gauges: read, never counted). */
export interface EndpointGauges {
  connectionCount(): number;
  sessionCount(): number;
  /** UTF-16 units of the sequenced messages held for replay, all connections together. */
  heldBytes(): number;
}

/**
 * @example
 * const counters = new ServerCounters();
 * counters.signalsIn++;
 * counters.rateLimited.signal_rate++;
 */
export class ServerCounters {
  joins = 0;
  signalsIn = 0;
  signalsOut = 0;
  messagesWritten = 0;
  resumes = 0;
  resumesFailed = 0;
  /** Streams published (accepted by the bus and, in a routed session, the media router). */
  streamPublishes = 0;
  /** Subscriptions started (accepted likewise). */
  streamSubscriptions = 0;
  /** Media negotiation messages (offers, answers, ICE candidates) accepted from clients. */
  mediaMessages = 0;
  /** Sockets closed because the client could not keep up: 4014 (replay buffer) and 4015 (unsent bytes). */
  readonly backpressure = { '4014': 0, '4015': 0 };
  readonly refusedJoins: Record<RefusalReason, number> = zeros(REFUSAL_REASONS);
  readonly rateLimited: Record<LimitName, number> = zeros(LIMIT_NAMES);

  /** The families of these counters and of the endpoint's gauges. */
  families(gauges: EndpointGauges): MetricFamily[] {
    const counter = (name: string, help: string, read: () => number): MetricFamily => ({
      name,
      help,
      type: 'counter',
      read,
    });
    return [
      {
        name: 'connections',
        help: 'WebSocket connections held (connected or waiting for a resume).',
        type: 'gauge',
        read: () => gauges.connectionCount(),
      },
      {
        name: 'sessions',
        help: 'Sessions with at least one connection on this node.',
        type: 'gauge',
        read: () => gauges.sessionCount(),
      },
      {
        name: 'replay_buffer_bytes',
        help: 'Sequenced messages held for replay, all connections (UTF-16 units).',
        type: 'gauge',
        read: () => gauges.heldBytes(),
      },
      counter('joins_total', 'Joins completed (welcome sent).', () => this.joins),
      counter(
        'signals_in_total',
        'Signals accepted from clients (passed validation and budgets).',
        () => this.signalsIn,
      ),
      counter(
        'signals_out_total',
        "Signal messages queued to this node's connections (one per recipient).",
        () => this.signalsOut,
      ),
      counter(
        'messages_written_total',
        'Messages written to sockets (every kind, replays included).',
        () => this.messagesWritten,
      ),
      counter('resumes_total', 'Resumes completed (resumed sent).', () => this.resumes),
      counter('resumes_failed_total', 'Resumes refused (4010, or refused while draining).', () => this.resumesFailed),
      counter('stream_publishes_total', "Streams published by this node's connections.", () => this.streamPublishes),
      counter(
        'stream_subscriptions_total',
        "Subscriptions started by this node's connections.",
        () => this.streamSubscriptions,
      ),
      counter(
        'media_messages_total',
        'Media negotiation messages (SDP offers and answers, ICE candidates) accepted from clients.',
        () => this.mediaMessages,
      ),
      {
        name: 'refused_joins_total',
        help: 'Joins refused, by reason (origin and address_limit: any upgrade).',
        type: 'counter',
        labelNames: ['reason'],
        read: labelled('reason', this.refusedJoins),
      },
      {
        name: 'rate_limited_total',
        help: 'Requests refused by a rate or count limit, by limit.',
        type: 'counter',
        labelNames: ['limit'],
        read: labelled('limit', this.rateLimited),
      },
      {
        name: 'backpressure_closes_total',
        help: 'Sockets closed because the client did not keep up, by close code (4014, 4015).',
        type: 'counter',
        labelNames: ['code'],
        read: labelled('code', this.backpressure),
      },
    ];
  }
}
