/** What the Parley endpoint (parley-endpoint.ts) is built with. */
import type {
  ByteRate,
  IceServerInfo,
  RateLimit,
  ReplayBounds,
  SessionSignalBudget,
  SessionTimings,
} from '@parley/protocol';
import type { SessionBus } from '../bus/session-bus.js';
import type { Logger } from '../log/logger.js';
import type { MediaRouterFactory } from '../media/router-hook.js';
import type { ServerCounters } from '../metrics/server-counters.js';
import type { ServerClock } from './clock.js';

export interface ParleyEndpointOptions {
  readonly bus: SessionBus;
  readonly timings: Readonly<SessionTimings>;
  readonly replay: Readonly<ReplayBounds>;
  readonly signalRate?: Readonly<RateLimit>;
  /** @default DEFAULT_SIGNAL_BYTE_RATE */
  readonly signalBytes?: Readonly<ByteRate>;
  /** @default DEFAULT_SESSION_SIGNAL_BUDGET (counted per node) */
  readonly sessionSignals?: Readonly<SessionSignalBudget>;
  /** @default DEFAULT_MAX_UNSENT_BYTES */
  readonly maxUnsentBytes?: number;
  readonly maxConnectionsPerSession: number;
  /** @default a logger that writes nothing */
  readonly logger?: Logger;
  /** @default systemClock */
  readonly clock?: ServerClock;
  /** Where the metrics are counted. @default a new ServerCounters */
  readonly counters?: ServerCounters;
  /** STUN/TURN servers every client is given in `welcome` (capability `streams`). @default [] */
  readonly iceServers?: readonly IceServerInfo[];
  /** Builds the forwarder of routed sessions; without one, every session carries media relayed. */
  readonly mediaRouter?: MediaRouterFactory;
}
