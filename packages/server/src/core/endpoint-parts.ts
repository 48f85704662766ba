/**
 * The endpoint's collaborators, built from its options (defaults applied) and wired to its
 * transitions: the endpoint (parley-endpoint.ts) stays the one owner of its connections' states;
 * its write path, request pipeline, timers, deliveries and moves only ask it, through
 * {@link EndpointTransitions}, to detach, forget or destroy a connection, or to resume one.
 */
import {
  CloseCode,
  DEFAULT_MAX_UNSENT_BYTES,
  DEFAULT_SESSION_SIGNAL_BUDGET,
  DEFAULT_SIGNAL_BYTE_RATE,
  DEFAULT_SIGNAL_RATE,
  type ByteRate,
  type DisconnectReason,
  type RateLimit,
  type ResumeParams,
  type SessionTimings,
} from '@parley/protocol';
import type { WebSocket } from 'ws';
import type { SessionBus } from '../bus/session-bus.js';
import { SILENT_LOGGER } from '../log/logger.js';
import type { MediaRouter } from '../media/router-hook.js';
import { ServerCounters } from '../metrics/server-counters.js';
import { BusDelivery } from './bus-delivery.js';
import { systemClock, type ServerClock } from './clock.js';
import type { Connection } from './connection.js';
import { ConnectionMoves } from './connection-moves.js';
import { ConnectionWriter } from './connection-writer.js';
import { EndpointLog } from './endpoint-log.js';
import { buildMediaRouter } from './endpoint-media.js';
import type { ParleyEndpointOptions } from './endpoint-options.js';
import { Liveness } from './liveness.js';
import { LocalSessions } from './local-sessions.js';
import { RequestHandler } from './request-handler.js';
import type { SocketCloser } from './socket-closer.js';
import { WireEncoder } from './wire-events.js';

/** What the endpoint does to a connection when one of its collaborators asks. */
export interface EndpointTransitions {
  /** Every connection the endpoint holds, by ID. */
  readonly byId: Map<string, Connection>;
  readonly closer: SocketCloser;
  shuttingDown(): boolean;
  /** The one funnel every end of a connection goes through. */
  destroy(c: Connection, reason: DisconnectReason, code: number, closeReason: string, tellOthers: boolean): void;
  /** The transport is gone but the connection is kept for `reconnectWindow`. */
  detach(c: Connection): void;
  /** Drop `c` from this node without leaving the bus (it lives on another node now). */
  forget(c: Connection, code: number, closeReason: string): void;
  /** Resume `c` on `ws` (or refuse with 4010). */
  resumeOn(c: Connection, ws: WebSocket, p: ResumeParams, ip: string): void;
  /** Close `ws` with 4010 and count and log the refusal. */
  refuseResume(ws: WebSocket, p: ResumeParams, reason: string): void;
  /** Run a handler; an exception is logged, never allowed to crash the process. */
  readonly guard: (fn: () => void) => void;
}

export interface EndpointParts {
  readonly log: EndpointLog;
  readonly counters: ServerCounters;
  readonly clock: ServerClock;
  readonly bus: SessionBus;
  readonly rate: Readonly<RateLimit>;
  readonly signalBytes: Readonly<ByteRate>;
  /** The timings every `welcome` and `resumed` carries. */
  readonly timingFields: SessionTimings;
  readonly sessions: LocalSessions;
  readonly writer: ConnectionWriter;
  readonly router: MediaRouter | null;
  readonly requests: RequestHandler;
  readonly delivery: BusDelivery;
  readonly liveness: Liveness;
  readonly moves: ConnectionMoves;
}

export function buildEndpointParts(options: ParleyEndpointOptions, t: EndpointTransitions): EndpointParts {
  const logger = options.logger ?? SILENT_LOGGER;
  const log = new EndpointLog(logger);
  const counters = options.counters ?? new ServerCounters();
  const clock = options.clock ?? systemClock;
  const bus = options.bus;
  const rate = options.signalRate ?? DEFAULT_SIGNAL_RATE;
  const signalBytes = options.signalBytes ?? DEFAULT_SIGNAL_BYTE_RATE;
  const sessionSignals = options.sessionSignals ?? DEFAULT_SESSION_SIGNAL_BUDGET;
  const sessions = new LocalSessions(sessionSignals, clock);
  const { timings, replay } = options;
  const { heartbeatInterval, heartbeatTimeout, reconnectWindow } = timings;
  const maxUnsent = options.maxUnsentBytes ?? DEFAULT_MAX_UNSENT_BYTES;
  const writer = new ConnectionWriter(replay, maxUnsent, counters, {
    overflowed: (c) => {
      t.guard(() => {
        counters.backpressure['4014']++;
        const reason = `replay buffer overflow: ${c.heldCount} messages unacknowledged`;
        t.destroy(c, 'networkDisconnected', CloseCode.BufferOverflow, reason, true);
      });
    },
    // The peer left more than the bound unread: drop this transport like a heartbeat timeout (the
    // connection is kept for the reconnect window, its replay buffer bounded as ever), so the
    // unsent bytes go with the socket (terminated after the close grace).
    slowReader: (c, ws, unsent) => {
      counters.backpressure['4015']++;
      t.detach(c);
      t.closer.close(ws, CloseCode.SlowReader, `${unsent} bytes unread (bound ${writer.maxUnsent})`);
    },
    guard: t.guard,
  });
  const router = buildMediaRouter(options.mediaRouter, bus, logger);
  const wire = new WireEncoder();
  const requests = new RequestHandler(
    {
      router,
      bus,
      counters,
      clock,
      wire,
      deliver: (c, s) => {
        writer.deliver(c, s);
      },
      end: (c, reason, code, closeReason) => {
        t.destroy(c, reason, code, closeReason, true);
      },
      schedule: (c) => {
        writer.schedule(c);
      },
    },
    { rate, bytes: signalBytes, session: sessionSignals },
  );
  const delivery = new BusDelivery(writer, wire, counters, router, logger);
  // ONE timer for every connection: a wall-clock deadline check, so a late timer still notices.
  const liveness = new Liveness(clock, timings, () => t.byId.values(), {
    stale: (c, idleMs) => {
      const ws = c.socket;
      t.detach(c);
      if (ws) t.closer.close(ws, CloseCode.HeartbeatTimeout, `heartbeat timeout: no frame for ${idleMs} ms`);
    },
    expired: (c) => {
      t.destroy(c, 'networkDisconnected', CloseCode.Normal, '', true);
    },
    guard: t.guard,
  });
  const moves = new ConnectionMoves({
    ...t,
    bus,
    clock,
    log,
    writer,
    delivery,
    sessions,
    liveness,
    timings,
    replay,
    rate,
    signalBytes,
  });
  const timingFields = { heartbeatInterval, heartbeatTimeout, reconnectWindow };
  return {
    log,
    counters,
    clock,
    bus,
    rate,
    signalBytes,
    timingFields,
    sessions,
    writer,
    router,
    requests,
    delivery,
    liveness,
    moves,
  };
}
