/**
 * What a connected client's decoded messages do: acknowledgements, pings, `bye`, and the
 * sequenced requests (`signal`, `forceDisconnect`) with PROTOCOL.md §Sequencing's rules:
 * processed in order, duplicates dropped, a gap closes with 4002, a failure is a sequenced
 * `nack` written before the `ack` that covers it.
 *
 * The request pipeline: requests start in order, but each completes when the session bus answers
 * (at once with the in-memory bus, later with a cluster bus). `received` is the highest request
 * started; `highestProcessed`, what `ack` covers, is the highest request completed with every
 * one before it. A nack is written when its request completes. With nothing in flight a request
 * that completes at once moves `highestProcessed` directly (the fast path: no allocation).
 */
import {
  capabilityForClientMessage,
  CloseCode,
  SessionErrorCode,
  validateSignal,
  type ClientMessage,
  type ClientRequest,
  type DisconnectReason,
  type ByteRate,
  type ForceDisconnectRequest,
  type RateLimit,
  type SessionSignalBudget,
  type SignalRequest,
  type JsonValue,
  encodeMessage,
} from '@parley/protocol';
import type { DirectEvent, OpResult, SessionBus, SignalEvent } from '../bus/session-bus.js';
import type { ServerClock } from './clock.js';
import type { Connection } from './connection.js';
import type { MediaRouter } from '../media/router-hook.js';
import { StreamRequests } from './stream-requests.js';
import type { WireEncoder } from './wire-events.js';
import type { ServerCounters } from '../metrics/server-counters.js';

const PONG = encodeMessage({ t: 'pong' });

/** The parts of the endpoint a request handler uses. */
export interface EndpointActions {
  readonly bus: SessionBus;
  readonly clock: ServerClock;
  /** The endpoint's encoder (one slot: the signal encoded here is not encoded again for the fan-out). */
  readonly wire: WireEncoder;
  /** Where signals in and limit hits are counted. */
  readonly counters: ServerCounters;
  /** Append a sequenced message for one connection (held for replay, written this tick if connected). */
  deliver(c: Connection, encoded: string): void;
  /** Destroy a connection: close its socket with `code` and tell the others `reason`. */
  end(c: Connection, reason: DisconnectReason, code: number, closeReason: string): void;
  /** Mark a connection as having something to write this tick. */
  schedule(c: Connection): void;
  /** The media router of routed sessions (null: every session is relayed). */
  readonly router: MediaRouter | null;
}

/** The signal limits in force (PROTOCOL.md §Flow control). */
export interface SignalLimits {
  readonly rate: Readonly<RateLimit>;
  readonly bytes: Readonly<ByteRate>;
  readonly session: Readonly<SessionSignalBudget>;
}

/**
 * @example
 * const handler = new RequestHandler(actions, { rate: DEFAULT_SIGNAL_RATE, bytes: DEFAULT_SIGNAL_BYTE_RATE, session: DEFAULT_SESSION_SIGNAL_BUDGET });
 * handler.handle(conn, decodeClientFrame(text));
 */
export class RequestHandler {
  readonly #rate: Readonly<RateLimit>;
  readonly #rateText: string;
  readonly #budgetText: string;
  readonly #streams: StreamRequests;
  /** The bus keeps the session budget (cluster-wide): this node charges only the connection's. */
  readonly #busBudget: boolean;

  constructor(
    private readonly core: EndpointActions,
    private readonly limits: SignalLimits,
  ) {
    this.#rate = limits.rate;
    this.#busBudget = core.bus.sessionBudget === true;
    this.#rateText = `signal rate limit exceeded (${limits.rate.perSecond} per second, burst ${limits.rate.burst})`;
    const { bytes, session } = limits;
    this.#budgetText =
      `signal budget exceeded (per connection ${bytes.perSecond} bytes/s, burst ${bytes.burst}; ` +
      `per session ${session.perSecond} signals/s, burst ${session.burst}, ` +
      `${session.bytesPerSecond} bytes/s, burst ${session.byteBurst})`;
    this.#streams = new StreamRequests(core.bus, core.clock, core.router, core.counters, {
      complete: (c, s) => {
        this.#complete(c, s);
      },
      nack: (c, s, code, message) => {
        this.#nack(c, s, code, message);
      },
      reply: (c, s, data) => {
        this.#reply(c, s, data);
      },
    });
  }

  /** Process one frame's messages, in order, stopping as soon as the connection is no longer connected. */
  handle(c: Connection, messages: readonly ClientMessage[]): void {
    let admitted: 'new' | 'duplicate' | 'closed';
    for (let i = 0; i < messages.length; i++) {
      if (c.state !== 'connected') return;
      const m = messages[i] as ClientMessage;
      switch (m.t) {
        case 'ping':
          if (!this.#ack(c, m.a)) return;
          // At most one pong outstanding: a client that pings without reading gets no more
          // pongs (its pings still count as liveness), so it cannot queue pongs at the server.
          if (!c.pongOutstanding) {
            c.pongOutstanding = true;
            c.pongQueued = true;
            c.out.push(PONG);
            this.core.schedule(c);
          }
          break;
        case 'ack':
          if (!this.#ack(c, m.a)) return;
          break;
        case 'bye':
          this.core.end(c, 'clientDisconnected', CloseCode.Normal, 'bye');
          return;
        case 'signal':
        case 'forceDisconnect':
        case 'time':
          admitted = this.#admit(c, m);
          if (admitted === 'closed') return;
          if (admitted === 'duplicate') break;
          if (m.t === 'signal') this.#signal(c, m);
          else if (m.t === 'forceDisconnect') this.#forceDisconnect(c, m);
          else this.#reply(c, m.s, { now: this.core.clock.now() });
          break;
        case 'publish':
        case 'unpublish':
        case 'streamUpdate':
        case 'subscribe':
        case 'unsubscribe':
        case 'media':
        case 'forceUnpublish':
        case 'forceMute':
        case 'disableForceMute':
          admitted = this.#admit(c, m);
          if (admitted === 'closed') return;
          if (admitted === 'duplicate') break;
          this.#streams.handle(c, m);
          break;
        default: {
          const never: never = m;
          throw new Error(`unhandled message ${JSON.stringify(never)}`);
        }
      }
    }
  }

  /**
   * Admit a request into the pipeline: the capability its type needs (else 4002), then duplicates
   * (dropped and re-acknowledged) and gaps (4002).
   */
  #admit(c: Connection, m: ClientRequest): 'new' | 'duplicate' | 'closed' {
    const needs = m.t === 'signal' ? undefined : capabilityForClientMessage(m.t);
    if (needs !== undefined && !c.wireCaps.includes(needs)) {
      // A request type behind a capability the connection was not granted (PROTOCOL.md §Evolution).
      const reason = `request type ${m.t} needs capability ${needs}`;
      this.core.end(c, 'networkDisconnected', CloseCode.ProtocolError, reason);
      return 'closed';
    }
    if (m.s <= c.received) {
      // A duplicate (the client resent before learning it was processed): drop it, but
      // re-acknowledge so the client can let go of it.
      c.ackPending = true;
      this.core.schedule(c);
      return 'duplicate';
    }
    if (m.s !== c.received + 1) {
      const reason = `request s=${m.s} skips s=${c.received + 1}`;
      this.core.end(c, 'networkDisconnected', CloseCode.ProtocolError, reason);
      return 'closed';
    }
    c.received = m.s;
    c.inFlight.push(false);
    return 'new';
  }

  /** Apply a client acknowledgement; false when it was invalid and the connection was closed. */
  #ack(c: Connection, a: number): boolean {
    if (a > c.sent) {
      this.core.end(
        c,
        'networkDisconnected',
        CloseCode.ProtocolError,
        `ack ${a} is beyond the last message sent (${c.sent})`,
      );
      return false;
    }
    if (a > c.acked) c.release(a);
    return true;
  }

  /**
   * Request `s` is done (a nack, if any, already delivered): the ack covers it once every
   * request before it is done too.
   */
  #complete(c: Connection, s: number): void {
    if (c.state === 'closed') return;
    const inFlight = c.inFlight;
    const k = s - c.highestProcessed - 1;
    if (k < 0 || k >= inFlight.length) return;
    inFlight[k] = true;
    let n = 0;
    while (n < inFlight.length && inFlight[n] === true) n++;
    if (n === 0) return;
    // The fast path (everything done): no splice, no allocation.
    if (n === inFlight.length) inFlight.length = 0;
    else inFlight.splice(0, n);
    c.highestProcessed += n;
    c.ackPending = true;
    this.core.schedule(c);
  }

  /** A request's result: a sequenced reply written on completion, before the ack that covers it (like a nack). */
  #reply(c: Connection, r: number, data: JsonValue): void {
    if (this.core.bus.direct !== undefined) this.#direct(c, { kind: 'reply', r, data });
    else {
      if (c.state !== 'closed') this.core.deliver(c, encodeMessage({ t: 'reply', r, data }));
      this.#complete(c, r);
    }
  }

  #nack(c: Connection, r: number, code: SessionErrorCode, message: string): void {
    if (this.core.bus.direct !== undefined) this.#direct(c, { kind: 'nack', r, code, message });
    else {
      if (c.state !== 'closed') this.core.deliver(c, encodeMessage({ t: 'nack', r, code, message }));
      this.#complete(c, r);
    }
  }

  /**
   * A cluster bus orders the answer in the session's log (so another node can rebuild what this
   * connection received): it comes back through the bus's deliver, then the request completes.
   */
  #direct(c: Connection, event: DirectEvent): void {
    if (c.state === 'closed') {
      this.#complete(c, event.r);
      return;
    }
    this.core.bus.direct?.(c.sessionId, c.id, event, () => {
      this.#complete(c, event.r);
    });
  }

  #signal(c: Connection, m: SignalRequest): void {
    if (!c.capabilities.canSignal) {
      this.#nack(c, m.s, SessionErrorCode.UnableToSendSignal, `role ${c.role} may not send signals`);
      return;
    }
    // Rate first, so invalid requests cannot be used to flood either.
    const rate = this.#rate;
    const now = this.core.clock.now();
    if (!c.signals.take(1, rate.perSecond, rate.burst, now)) {
      if (++c.refusedInARow > 2 * rate.burst) {
        this.core.counters.rateLimited.flood++;
        this.core.end(c, 'networkDisconnected', CloseCode.Flood, 'kept sending signals far past the rate limit');
        return;
      }
      this.core.counters.rateLimited.signal_rate++;
      this.#nack(c, m.s, SessionErrorCode.RateLimitExceeded, this.#rateText);
      return;
    }
    c.refusedInARow = 0;
    const problem = validateSignal(m);
    if (problem !== null) {
      this.#nack(c, m.s, problem.code, problem.message);
      return;
    }
    // An empty type means "no type" (PROTOCOL.md §Limits): receivers never see type "".
    const type = m.type === '' ? undefined : m.type;
    // `r` (the request number) is for a cluster bus's log; the wire encoding leaves it out.
    const event: SignalEvent = { kind: 'signal', from: c.id, type, data: m.data, r: m.s };
    const bytes = Buffer.byteLength(this.core.wire.encode(event), 'utf8');
    if (!this.#charge(c, bytes, now)) {
      this.core.counters.rateLimited.signal_budget++;
      this.#nack(c, m.s, SessionErrorCode.RateLimitExceeded, this.#budgetText);
      return;
    }
    const s = m.s;
    const to = m.to ?? null;
    if (this.#busBudget) {
      this.#signalCharged(c, s, event, to, bytes);
      return;
    }
    this.core.counters.signalsIn++;
    this.core.bus.signal(c.sessionId, event, to, (result: OpResult) => {
      if (result === 'ok') {
        this.#complete(c, s);
        return;
      }
      // Nobody received it: give the budget back.
      this.#refund(c, bytes);
      this.#notFound(c, s, to);
    });
  }

  /**
   * A signal over a bus that keeps the session's budget (the Redis bus): the bus checks and takes
   * it atomically with the signal. Refused: the same 429 as on one node, never counted towards
   * 4029; the connection's bytes are given back (nobody received it).
   */
  #signalCharged(c: Connection, s: number, event: SignalEvent, to: string | null, bytes: number): void {
    const charge = { bytes, budget: this.limits.session };
    this.core.bus.signal(
      c.sessionId,
      event,
      to,
      (result: OpResult) => {
        if (result === 'ok') {
          this.core.counters.signalsIn++;
          this.#complete(c, s);
          return;
        }
        c.signalBytes.tokens = Math.min(this.limits.bytes.burst, c.signalBytes.tokens + bytes);
        if (result === 'over-budget') {
          this.core.counters.rateLimited.signal_budget++;
          this.#nack(c, s, SessionErrorCode.RateLimitExceeded, this.#budgetText);
        } else {
          this.core.counters.signalsIn++;
          this.#notFound(c, s, to);
        }
      },
      charge,
    );
  }

  #notFound(c: Connection, s: number, to: string | null): void {
    const target = (to ?? '').slice(0, 64);
    this.#nack(c, s, SessionErrorCode.NotFound, `connection ${target} is not in the session`);
  }

  /**
   * Take one signal of `bytes` encoded bytes from the connection's byte bucket and the session's
   * two buckets, all or nothing. These budgets are what keep a burst inside every receiver's
   * replay bound (PROTOCOL.md §Flow control).
   */
  #charge(c: Connection, bytes: number, now: number): boolean {
    const { bytes: perConnection, session } = this.limits;
    const mine = c.signalBytes;
    const shared = c.budget;
    mine.refill(perConnection.perSecond, perConnection.burst, now);
    if (this.#busBudget) {
      if (mine.tokens < bytes) return false;
      mine.tokens -= bytes;
      return true;
    }
    shared.signals.refill(session.perSecond, session.burst, now);
    shared.bytes.refill(session.bytesPerSecond, session.byteBurst, now);
    if (mine.tokens < bytes || shared.signals.tokens < 1 || shared.bytes.tokens < bytes) return false;
    mine.tokens -= bytes;
    shared.signals.tokens -= 1;
    shared.bytes.tokens -= bytes;
    return true;
  }

  #refund(c: Connection, bytes: number): void {
    const { bytes: perConnection, session } = this.limits;
    c.signalBytes.tokens = Math.min(perConnection.burst, c.signalBytes.tokens + bytes);
    c.budget.signals.tokens = Math.min(session.burst, c.budget.signals.tokens + 1);
    c.budget.bytes.tokens = Math.min(session.byteBurst, c.budget.bytes.tokens + bytes);
  }

  #forceDisconnect(c: Connection, m: ForceDisconnectRequest): void {
    if (!c.capabilities.canForceDisconnect) {
      this.#nack(
        c,
        m.s,
        SessionErrorCode.UnableToForceDisconnect,
        `role ${c.role} may not force a disconnect; moderators only`,
      );
      return;
    }
    const s = m.s;
    const target = m.connectionId;
    this.core.bus.forceDisconnect(
      c.sessionId,
      target,
      'moderator',
      (result: OpResult) => {
        if (result === 'ok') this.#complete(c, s);
        else this.#nack(c, s, SessionErrorCode.NotFound, `connection ${target.slice(0, 64)} is not in the session`);
      },
      { connectionId: c.id, s },
    );
  }
}
