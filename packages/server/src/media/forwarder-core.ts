/**
 * The request handling both forwarders share (./werift/core.ts, ./datachannel/core.ts): the
 * dispatch of the requests of ./worker-messages.ts, the lookups and checks of ids, a
 * subscription's producers, closing and stats. An implementation supplies the negotiation.
 */
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { MAX_CONSUMERS_PER_TRANSPORT, checkId, checkSdp } from './checks.js';
import {
  newRegistry,
  Router,
  type ConsumerBase,
  type ProducerBase,
  type Registry,
  type TransportBase,
} from './forwarder-objects.js';
import {
  ForwarderError,
  type CandidateInit,
  type ForwarderEvent,
  type ForwarderOptions,
  type ForwarderStats,
  type PublishResult,
  type SubscribeResult,
} from './types.js';
import type { WorkerRequest } from './worker-messages.js';

/** Owns every router, transport, producer and consumer of one forwarder host. */
export abstract class ForwarderCoreBase<T extends TransportBase, P extends ProducerBase, C extends ConsumerBase> {
  protected readonly reg: Registry<T, P, C>;

  constructor(
    protected readonly opts: ForwarderOptions,
    emit: (e: ForwarderEvent) => void,
  ) {
    this.reg = newRegistry(opts.disconnectTimeoutMs ?? 15_000, emit);
  }

  /** Negotiates a publisher's transport; `offer` is checked already. */
  protected abstract publish(routerId: string, transportId: string, offer: string): Promise<PublishResult>;
  /** Negotiates a subscription to `sources` (checked, all of `routerId`); `offer` is checked already. */
  protected abstract subscribe(
    routerId: string,
    transportId: string,
    sources: readonly P[],
    offer: string,
  ): Promise<SubscribeResult>;
  /** A new offer on a live transport (an ICE restart). */
  protected abstract renegotiate(transportId: string, offer: string): Promise<string>;
  /** A trickled candidate (checked: an RTCIceCandidateInit); `''` ends the candidates. */
  protected abstract candidate(t: T, c: CandidateInit): Promise<void> | void;
  /** A new transport of the implementation's kind, registered in `router`. */
  protected abstract createTransport(router: Router, transportId: string, direction: 'send' | 'recv'): T;

  /** Runs one request; throws {@link ForwarderError} for a request that cannot be served. */
  async handle(req: WorkerRequest): Promise<unknown> {
    switch (req.op) {
      case 'createRouter':
        if (!this.reg.routers.has(checkId(req.routerId, 'routerId'))) new Router(req.routerId, this.reg);
        return undefined;
      case 'publish':
        return this.publish(req.routerId, req.transportId, checkSdp(req.offer, 'offer'));
      case 'subscribe':
        checkSdp(req.offer, 'offer');
        return this.subscribe(req.routerId, req.transportId, this.sources(req.routerId, req.producerIds), req.offer);
      case 'renegotiate':
        return this.renegotiate(req.transportId, req.offer);
      case 'candidate': {
        const t = this.transport(req.transportId);
        const c = req.candidate as Partial<CandidateInit> | null;
        if (typeof c !== 'object' || c === null || typeof c.candidate !== 'string' || c.candidate.length > 1024)
          throw new ForwarderError('bad-request', 'candidate must be an RTCIceCandidateInit');
        await this.candidate(t, req.candidate);
        return undefined;
      }
      case 'requestKeyFrame':
        for (const p of this.transport(req.transportId).producers) p.requestKeyFrame();
        return undefined;
      case 'closeRouter':
        this.reg.routers.get(req.routerId)?.close();
        return undefined;
      case 'closeTransport':
        this.reg.transports.get(req.transportId)?.close('requested');
        return undefined;
      case 'closeProducer':
        this.reg.producers.get(req.producerId)?.close('requested');
        return undefined;
      case 'closeConsumer':
        this.reg.consumers.get(req.consumerId)?.close('requested');
        return undefined;
      case 'stats':
        return this.stats();
      case 'crash':
        if (this.opts.testHooks !== true) throw new ForwarderError('bad-request', 'crash is a test hook');
        setImmediate(() => {
          throw new Error('forwarder worker crash requested by a test');
        });
        return undefined;
      default:
        throw new ForwarderError('bad-request', `unknown request ${(req as { op?: unknown }).op as string}`);
    }
  }

  /** Closes everything (the host is stopping). */
  closeAll(): void {
    for (const r of [...this.reg.routers.values()]) r.close();
  }

  protected router(id: unknown): Router {
    const r = this.reg.routers.get(checkId(id, 'routerId'));
    if (r === undefined) throw new ForwarderError('not-found', `no router ${String(id)}`);
    return r;
  }

  protected transport(id: unknown): T {
    const t = this.reg.transports.get(checkId(id, 'transportId'));
    if (t === undefined) throw new ForwarderError('not-found', `no transport ${String(id)}`);
    return t;
  }

  /** A new transport in router `routerId`; its id must be new. */
  protected newTransport(routerId: string, transportId: string, direction: 'send' | 'recv'): T {
    const router = this.router(routerId);
    if (this.reg.transports.has(checkId(transportId, 'transportId')))
      throw new ForwarderError('bad-request', `transport ${transportId} exists`);
    return this.createTransport(router, transportId, direction);
  }

  /** The producers a subscription names: 1 to 16, all in router `routerId`. */
  private sources(routerId: string, producerIds: readonly string[]): P[] {
    if (!Array.isArray(producerIds) || producerIds.length === 0 || producerIds.length > MAX_CONSUMERS_PER_TRANSPORT)
      throw new ForwarderError('bad-request', `producerIds must list 1 to ${MAX_CONSUMERS_PER_TRANSPORT} producers`);
    const router = this.router(routerId);
    return (producerIds as readonly unknown[]).map((id) => {
      const p = typeof id === 'string' ? this.reg.producers.get(id) : undefined;
      if (p === undefined || p.transport.router !== router)
        throw new ForwarderError('not-found', `no producer ${String(id)} in router ${routerId}`);
      return p;
    });
  }

  private stats(): ForwarderStats {
    const r = this.reg;
    return {
      routers: r.routers.size,
      transports: r.transports.size,
      producers: r.producers.size,
      consumers: r.consumers.size,
      ...r.counters,
      workerBusyMs: Math.round(performance.eventLoopUtilization().active),
      workerHeapBytes: getHeapStatistics().used_heap_size,
    };
  }
}
