/**
 * Routed media in a cluster (docs/CLUSTER.md §Routed media): a session's forwarder lives on one
 * node, the node of the session's first routed publish or subscribe call (recorded in the bus's
 * shared state). This {@link MediaRouter} wraps a node's own router: each call for a session whose
 * forwarder is here runs on the local router; a call for a session whose forwarder is on another
 * node travels there over the bus's node channels and its answer (or error) comes back the same
 * way. The forwarder's own answers and ICE candidates reach the client through the session bus
 * (`mediaFromServer`), whichever node holds it; they name the forwarder node's media address.
 *
 * ```
 *  node B (subscriber's)                       node A (the session's forwarder)
 *  StreamRequests ─> ClusterMediaRouter ─call─> Redis: where? ─PUBLISH n:A:c─> ClusterMediaRouter
 *                                                                              └─> local router ─┐
 *  client <── bus (mediaFromServer) <──────── answer / candidates ─────────── host.send <────────┘
 *         <── ack <── answer on n:B:c <────────────────────────────────────── done / error
 * ```
 */
import type { MediaPayload, StreamInfo } from '@parley/protocol';
import type { MediaRouter, MediaRouterStats, MediaSubscription } from './router-hook.js';

/** How long a call waits for the forwarder's node (a subscriber's offer may wait 15 s for the upload). */
const CALL_TIMEOUT_MS = 30_000;

/** A call to the forwarder's node, and its answer (plain JSON on the node channels). */
export type ForwarderMessage =
  | { readonly fr: { readonly id: number; readonly n: string; readonly m: Method; readonly a: readonly unknown[] } }
  | { readonly fa: { readonly id: number; readonly e?: string } };

/** The router calls that travel (stats and close stay local). */
type Method = 'onPublish' | 'onUnpublish' | 'onSubscribe' | 'onUnsubscribe' | 'onNegotiation' | 'onLeave';
const METHODS: ReadonlySet<string> = new Set<Method>([
  'onPublish',
  'onUnpublish',
  'onSubscribe',
  'onUnsubscribe',
  'onNegotiation',
  'onLeave',
]);

/** What a cluster bus gives the router: the session's forwarder node and the node channels. */
export interface ForwarderChannel {
  readonly nodeId: string;
  /**
   * Find the session's forwarder node (electing this node when there is none and `elect`), and
   * send `request` there unless it is this node, in the order of this node's bus operations:
   * 'here' (run it locally), 'sent', or 'none' (no forwarder and not electing).
   */
  call(sessionId: string, elect: boolean, request: string): Promise<'here' | 'sent' | 'none'>;
  /** Send a message to one node's channel (an answer), after this node's earlier bus operations. */
  send(node: string, message: string): void;
  /** Receive the calls and answers addressed to this node. */
  listen(handler: (message: ForwarderMessage) => void): void;
}

/**
 * @example
 * const router = new ClusterMediaRouter(localRouter, bus.forwarderChannel());
 */
export class ClusterMediaRouter implements MediaRouter {
  #next = 1;
  readonly #pending = new Map<number, { resolve(): void; reject(e: Error): void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly local: MediaRouter,
    private readonly channel: ForwarderChannel,
  ) {
    channel.listen((m) => {
      if ('fr' in m) this.#serve(m.fr);
      else this.#answered(m.fa.id, m.fa.e);
    });
  }

  onPublish(sessionId: string, stream: StreamInfo): Promise<void> {
    return this.#call(sessionId, 'onPublish', [sessionId, stream], true, () => this.local.onPublish(sessionId, stream));
  }

  /**
   * Nothing to do here: the bus tells the session's forwarder node itself when a stream ends
   * (once, as a call without answer), whichever node ended it.
   */
  onUnpublish(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Elects a forwarder node too: the stream exists (the bus accepted the subscription), and its
   * publisher's node may not have called yet; that call then follows to the same node, where the
   * subscription waits for it (ForwarderMediaRouter.onSubscribe).
   */
  onSubscribe(sessionId: string, s: MediaSubscription): Promise<void> {
    return this.#call(sessionId, 'onSubscribe', [sessionId, s], true, () => this.local.onSubscribe(sessionId, s));
  }

  onUnsubscribe(sessionId: string, s: MediaSubscription): Promise<void> {
    return this.#call(sessionId, 'onUnsubscribe', [sessionId, s], false, () => this.local.onUnsubscribe(sessionId, s));
  }

  onNegotiation(sessionId: string, from: string, payload: MediaPayload): Promise<void> {
    return this.#call(sessionId, 'onNegotiation', [sessionId, from, payload], false, () =>
      this.local.onNegotiation(sessionId, from, payload),
    );
  }

  onLeave(sessionId: string, connectionId: string): Promise<void> {
    return this.#call(sessionId, 'onLeave', [sessionId, connectionId], false, () =>
      this.local.onLeave(sessionId, connectionId),
    );
  }

  /** This node's forwarder only (each node reports its own on `/metrics`). */
  stats(): Promise<MediaRouterStats> {
    return this.local.stats?.() ?? Promise.resolve({ routers: 0, transports: 0, producers: 0, consumers: 0 });
  }

  async close(): Promise<void> {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(new Error('this node is closing'));
    }
    await this.local.close();
  }

  async #call(
    sessionId: string,
    m: Method,
    a: readonly unknown[],
    elect: boolean,
    here: () => Promise<void>,
  ): Promise<void> {
    const id = this.#next++;
    // Registered before the request leaves: the answer may overtake the bus's own reply.
    const answer = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#answered(id, "the session's forwarder node did not answer");
      }, CALL_TIMEOUT_MS);
      timer.unref();
      this.#pending.set(id, { resolve, reject, timer });
    });
    answer.catch(() => undefined);
    const request: ForwarderMessage = { fr: { id, n: this.channel.nodeId, m, a } };
    let where: 'here' | 'sent' | 'none';
    try {
      where = await this.channel.call(sessionId, elect, JSON.stringify(request));
    } catch (err) {
      this.#answered(id, undefined);
      throw err;
    }
    if (where === 'sent') return answer;
    this.#answered(id, undefined);
    if (where === 'here') return here();
    // No forwarder (none was elected, or its node died and its streams ended): nothing to close.
    if (m === 'onSubscribe' || m === 'onNegotiation') throw new Error('this session has no forwarder');
  }

  /** A call from another node: run it on the local router, then answer that node. */
  #serve(r: Extract<ForwarderMessage, { fr: unknown }>['fr']): void {
    const a = r.a as [string, never, never];
    let work: Promise<void>;
    try {
      if (!METHODS.has(r.m)) throw new Error(`unknown forwarder call ${JSON.stringify(r.m).slice(0, 40)}`);
      work = (this.local[r.m] as (...args: unknown[]) => Promise<void>).apply(this.local, a);
    } catch (err) {
      work = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // (id 0: the bus's own notice of a stream's end, which nobody waits for.)
    work.then(
      () => {
        if (r.id !== 0) this.channel.send(r.n, JSON.stringify({ fa: { id: r.id } }));
      },
      (err: unknown) => {
        const e = err instanceof Error ? err.message : String(err);
        if (r.id !== 0) this.channel.send(r.n, JSON.stringify({ fa: { id: r.id, e } }));
      },
    );
  }

  #answered(id: number, error: string | undefined): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    if (error === undefined) p.resolve();
    else p.reject(new Error(error));
  }
}
