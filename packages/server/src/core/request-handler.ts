/**
 * What a connected client's decoded messages do: acknowledgements, pings, `bye`, and the
 * sequenced requests (`signal`, `forceDisconnect`) with PROTOCOL.md §Sequencing's rules:
 * processed in order, duplicates dropped, a gap closes with 4002, a failure is a sequenced
 * `nack` written before the tick's cumulative `ack`.
 */
import {
  CloseCode,
  encodeMessage,
  SessionErrorCode,
  validateSignal,
  type ClientMessage,
  type DisconnectReason,
  type ByteRate,
  type ForceDisconnectRequest,
  type RateLimit,
  type SessionSignalBudget,
  type SignalRequest,
} from '@parley/protocol';
import type { Connection } from './connection.js';

const PONG = encodeMessage({ t: 'pong' });

/** The parts of the core a request handler uses. */
export interface CoreActions {
  /** Append a sequenced message for one connection (held for replay, written this tick if connected). */
  deliver(c: Connection, encoded: string): void;
  /** {@link deliver} to every connection of a session. */
  broadcast(sessionId: string, encoded: string): void;
  /** A live (not closed) connection of a session. */
  lookup(sessionId: string, connectionId: string): Connection | undefined;
  /** Destroy a connection: close its socket with `code` and tell the others `reason`. */
  end(c: Connection, reason: DisconnectReason, code: number, closeReason: string): void;
  /** Mark a connection as having something to write this tick. */
  schedule(c: Connection): void;
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

  constructor(
    private readonly core: CoreActions,
    private readonly limits: SignalLimits,
  ) {
    this.#rate = limits.rate;
    this.#rateText = `signal rate limit exceeded (${limits.rate.perSecond} per second, burst ${limits.rate.burst})`;
    const { bytes, session } = limits;
    this.#budgetText =
      `signal budget exceeded (per connection ${bytes.perSecond} bytes/s, burst ${bytes.burst}; ` +
      `per session ${session.perSecond} signals/s, burst ${session.burst}, ` +
      `${session.bytesPerSecond} bytes/s, burst ${session.byteBurst})`;
  }

  /** Process one frame's messages, in order, stopping as soon as the connection is no longer connected. */
  handle(c: Connection, messages: readonly ClientMessage[]): void {
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
          if (m.s <= c.highestProcessed) {
            // A duplicate (the client resent before learning it was processed): drop it, but
            // re-acknowledge so the client can let go of it.
            c.ackPending = true;
            this.core.schedule(c);
            break;
          }
          if (m.s !== c.highestProcessed + 1) {
            const reason = `request s=${m.s} skips s=${c.highestProcessed + 1}`;
            this.core.end(c, 'networkDisconnected', CloseCode.ProtocolError, reason);
            return;
          }
          c.highestProcessed = m.s;
          c.ackPending = true;
          this.core.schedule(c);
          if (m.t === 'signal') this.#signal(c, m);
          else this.#forceDisconnect(c, m);
          break;
        default: {
          const never: never = m;
          throw new Error(`unhandled message ${JSON.stringify(never)}`);
        }
      }
    }
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

  #nack(c: Connection, r: number, code: SessionErrorCode, message: string): void {
    this.core.deliver(c, encodeMessage({ t: 'nack', r, code, message }));
  }

  #signal(c: Connection, m: SignalRequest): void {
    if (!c.capabilities.canSignal) {
      this.#nack(c, m.s, SessionErrorCode.UnableToSendSignal, `role ${c.role} may not send signals`);
      return;
    }
    // Rate first, so invalid requests cannot be used to flood either.
    const rate = this.#rate;
    const now = Date.now();
    if (!c.signals.take(1, rate.perSecond, rate.burst, now)) {
      if (++c.refusedInARow > 2 * rate.burst) {
        this.core.end(c, 'networkDisconnected', CloseCode.Flood, 'kept sending signals far past the rate limit');
        return;
      }
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
    const encoded = encodeMessage({ t: 'signal', from: c.id, type, data: m.data });
    let target: Connection | undefined;
    if (m.to !== undefined) {
      target = this.core.lookup(c.sessionId, m.to);
      if (target === undefined) {
        this.#nack(c, m.s, SessionErrorCode.NotFound, `connection ${m.to.slice(0, 64)} is not in the session`);
        return;
      }
    }
    if (!this.#charge(c, Buffer.byteLength(encoded, 'utf8'), now)) {
      this.#nack(c, m.s, SessionErrorCode.RateLimitExceeded, this.#budgetText);
      return;
    }
    if (target === undefined) this.core.broadcast(c.sessionId, encoded);
    else this.core.deliver(target, encoded);
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
    shared.signals.refill(session.perSecond, session.burst, now);
    shared.bytes.refill(session.bytesPerSecond, session.byteBurst, now);
    if (mine.tokens < bytes || shared.signals.tokens < 1 || shared.bytes.tokens < bytes) return false;
    mine.tokens -= bytes;
    shared.signals.tokens -= 1;
    shared.bytes.tokens -= bytes;
    return true;
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
    const target = this.core.lookup(c.sessionId, m.connectionId);
    if (target === undefined) {
      this.#nack(c, m.s, SessionErrorCode.NotFound, `connection ${m.connectionId.slice(0, 64)} is not in the session`);
      return;
    }
    this.core.end(target, 'forceDisconnected', CloseCode.ForceDisconnected, 'disconnected by a moderator');
  }
}
