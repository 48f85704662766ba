/**
 * The bus's deliveries to this node's members (`BusListener.deliver`): each event encoded
 * once and written to the members it is for (a stream event only to those granted `streams`; a
 * routed stream's end also closes it in the forwarder), and the events of connections being
 * moved here by a claim, held until their state arrives and then written in the bus's order.
 */
import type { SessionEvent } from '../bus/session-bus.js';
import type { Logger } from '../log/logger.js';
import type { MediaRouter } from '../media/router-hook.js';
import type { ServerCounters } from '../metrics/server-counters.js';
import type { Connection } from './connection.js';
import type { ConnectionWriter } from './connection-writer.js';
import type { LocalSession } from './local-sessions.js';
import { isStreamEvent, type WireEncoder } from './wire-events.js';

/** The events the bus ordered for a connection after its move here, with their log positions. */
export interface IncomingEvents {
  readonly events: readonly SessionEvent[];
  readonly qs: readonly number[];
}

export class BusDelivery {
  /** Connections being moved here by a claim: the events the bus ordered after the move. */
  readonly #incoming = new Map<
    string,
    { readonly sessionId: string; readonly events: SessionEvent[]; readonly qs: number[] }
  >();

  constructor(
    private readonly writer: ConnectionWriter,
    private readonly wire: WireEncoder,
    private readonly counters: ServerCounters,
    private readonly router: MediaRouter | null,
    private readonly logger: Logger,
  ) {}

  /** An event of `session` (undefined: no member here) for everyone but `except`, or only for `to`. */
  deliver(
    session: LocalSession | undefined,
    sessionId: string,
    event: SessionEvent,
    except: string | null,
    to: string | null,
    q: number,
  ): void {
    // Connections moving here (rare): their events wait for their state.
    if (this.#incoming.size > 0) this.#holdIncoming(sessionId, event, except, to, q);
    if (session === undefined) return;
    if (event.kind !== 'signal' && isStreamEvent(event)) {
      this.#deliverStreamEvent(session, sessionId, event, except, to, q);
      return;
    }
    if (to !== null) {
      const target = session.get(to);
      if (target !== undefined) {
        if (event.kind === 'signal') this.counters.signalsOut++;
        this.writer.deliver(target, this.wire.encode(event), q);
      }
      return;
    }
    const encoded = this.wire.encode(event);
    for (const c of session.values()) if (c.id !== except) this.writer.deliver(c, encoded, q);
    if (event.kind === 'signal')
      this.counters.signalsOut += except !== null && session.has(except) ? session.size - 1 : session.size;
  }

  /** A stream event: only to connections granted `streams`; a routed stream's end closes it in the forwarder. */
  #deliverStreamEvent(
    session: LocalSession,
    sessionId: string,
    event: SessionEvent,
    except: string | null,
    to: string | null,
    q: number,
  ): void {
    if (event.kind === 'streamDestroyed' && session.routed && this.router !== null)
      this.router.onUnpublish(sessionId, event.streamId).catch((err: unknown) => {
        this.logger.warn({ err, sessionId }, 'media router: unpublish failed');
      });
    const encoded = this.wire.encode(event);
    for (const c of session.values()) {
      if ((to !== null && c.id !== to) || c.id === except || !c.wireCaps.includes('streams')) continue;
      this.writer.deliver(c, encoded, q);
    }
  }

  #holdIncoming(sessionId: string, event: SessionEvent, except: string | null, to: string | null, q: number): void {
    for (const [id, incoming] of this.#incoming) {
      if (incoming.sessionId !== sessionId || id === except || (to !== null && to !== id)) continue;
      incoming.events.push(event);
      incoming.qs.push(q);
    }
  }

  /** A claim moved the connection here: hold its events from now on. */
  expect(sessionId: string, connectionId: string): void {
    this.#incoming.set(connectionId, { sessionId, events: [], qs: [] });
  }

  /** The claim finished: stop holding, and hand over what was held (nothing when it never moved). */
  take(connectionId: string): IncomingEvents {
    const incoming = this.#incoming.get(connectionId) ?? { events: [], qs: [] };
    this.#incoming.delete(connectionId);
    return incoming;
  }

  /**
   * Write the held events to the adopted connection, filtered as {@link deliver} filters (a stream
   * event only with capability `streams`): the positions must be the ones a rebuild from the log
   * would give.
   */
  replay(c: Connection, incoming: IncomingEvents): void {
    const streams = c.wireCaps.includes('streams');
    incoming.events.forEach((e, i) => {
      if (streams || e.kind === 'signal' || !isStreamEvent(e))
        this.writer.deliver(c, this.wire.encode(e), incoming.qs[i] ?? -1);
    });
  }
}
