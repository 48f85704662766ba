/**
 * The datachannel forwarder's request handler (runs inside its worker): negotiates the objects
 * of ./objects.ts on libdatachannel peer connections and answers the requests of
 * ../worker-messages.ts. Tracks are added before the client's offer is set, so the answer
 * carries exactly what the forwarder forwards: VP8 and Opus at the client's own payload types,
 * no header extensions, and for a subscriber the SSRC it will receive.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import ndc from 'node-datachannel';
import { MAX_CONSUMERS_PER_TRANSPORT, checkId, checkSdp } from '../checks.js';
import {
  ForwarderError,
  type CandidateInit,
  type ConsumerInfo,
  type ForwarderEvent,
  type ForwarderOptions,
  type ForwarderStats,
  type ProducerInfo,
  type PublishResult,
  type SubscribeResult,
} from '../types.js';
import type { WorkerRequest } from '../worker-messages.js';
import { Consumer, Producer, Router, Transport, type Registry } from './objects.js';
import { offeredMedia, type OfferedMedia } from './sdp.js';

/** How long the forwarder's own ICE gathering may take before an offer is refused. */
const GATHER_TIMEOUT_MS = 10_000;

/** Owns every router, transport, producer and consumer of one worker. */
export class DatachannelCore {
  private readonly reg: Registry;

  constructor(
    private readonly opts: ForwarderOptions,
    emit: (e: ForwarderEvent) => void,
  ) {
    this.reg = {
      routers: new Map(),
      transports: new Map(),
      producers: new Map(),
      consumers: new Map(),
      counters: {
        packetsIn: 0,
        packetsOut: 0,
        bytesIn: 0,
        bytesOut: 0,
        nacksIn: 0,
        retransmitted: 0,
        nackMisses: 0,
        keyFrameRequests: 0,
      },
      disconnectTimeoutMs: opts.disconnectTimeoutMs ?? 15_000,
      emit,
    };
  }

  /** Runs one request; throws {@link ForwarderError} for a request that cannot be served. */
  async handle(req: WorkerRequest): Promise<unknown> {
    switch (req.op) {
      case 'createRouter':
        if (!this.reg.routers.has(checkId(req.routerId, 'routerId'))) new Router(req.routerId, this.reg);
        return undefined;
      case 'publish':
        return this.publish(req.routerId, req.transportId, req.offer);
      case 'subscribe':
        return this.subscribe(req.routerId, req.transportId, req.producerIds, req.offer);
      case 'renegotiate':
        this.transport(req.transportId);
        // libdatachannel (libjuice) has no ICE restart: the client must publish or subscribe anew.
        throw new ForwarderError('bad-request', 'the datachannel forwarder cannot renegotiate (no ICE restart)');
      case 'candidate':
        this.candidate(req.transportId, req.candidate);
        return undefined;
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

  /** Closes everything (the worker is stopping). */
  closeAll(): void {
    for (const r of [...this.reg.routers.values()]) r.close();
    ndc.cleanup();
  }

  private router(id: unknown): Router {
    const r = this.reg.routers.get(checkId(id, 'routerId'));
    if (r === undefined) throw new ForwarderError('not-found', `no router ${String(id)}`);
    return r;
  }

  private transport(id: unknown): Transport {
    const t = this.reg.transports.get(checkId(id, 'transportId'));
    if (t === undefined) throw new ForwarderError('not-found', `no transport ${String(id)}`);
    return t;
  }

  private newTransport(routerId: string, transportId: string, direction: 'send' | 'recv'): Transport {
    const router = this.router(routerId);
    if (this.reg.transports.has(checkId(transportId, 'transportId')))
      throw new ForwarderError('bad-request', `transport ${transportId} exists`);
    const pc = new ndc.PeerConnection(transportId, { iceServers: [], bindAddress: this.opts.mediaAddress });
    return new Transport(transportId, router, direction, pc, this.reg);
  }

  /** A track for one offered m-line with only the forwarded codec, at the offerer's payload type. */
  private addTrack(
    t: Transport,
    m: OfferedMedia & { payloadType: number },
    dir: 'SendOnly' | 'RecvOnly',
    ssrc?: number,
  ) {
    const media = m.kind === 'video' ? new ndc.Video(m.mid, dir) : new ndc.Audio(m.mid, dir);
    if (media instanceof ndc.Video) media.addVP8Codec(m.payloadType);
    else media.addOpusCodec(m.payloadType);
    if (ssrc !== undefined) media.addSSRC(ssrc, 'parley', `parley-${t.id}`, `${m.kind}-${m.mid}`);
    return t.pc.addTrack(media);
  }

  /** Sets the client's offer and waits for the forwarder's answer with all its candidates. */
  private async answer(t: Transport, offer: string): Promise<string> {
    const gathered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new ForwarderError('bad-sdp', 'ICE gathering did not complete'));
      }, GATHER_TIMEOUT_MS);
      t.pc.onGatheringStateChange((s) => {
        if (s === 'complete') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    try {
      t.pc.setRemoteDescription(offer, 'offer');
    } catch (e) {
      throw new ForwarderError('bad-sdp', `offer rejected: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (t.pc.gatheringState() !== 'complete') await gathered;
    const sdp = t.pc.localDescription()?.sdp;
    if (sdp === undefined || t.closed) throw new ForwarderError('bad-sdp', 'no local description');
    return sdp;
  }

  private async publish(routerId: string, transportId: string, offer: string): Promise<PublishResult> {
    checkSdp(offer, 'offer');
    const t = this.newTransport(routerId, transportId, 'send');
    try {
      const producers: ProducerInfo[] = [];
      for (const m of offeredMedia(offer)) {
        if (m.payloadType === undefined || (m.direction !== 'sendonly' && m.direction !== 'sendrecv')) continue;
        const track = this.addTrack(t, { ...m, payloadType: m.payloadType }, 'RecvOnly');
        const p = new Producer(randomUUID(), m.kind, m.mid, t, track, this.reg);
        producers.push({ producerId: p.id, kind: m.kind, mid: m.mid });
      }
      if (producers.length === 0) throw new ForwarderError('bad-sdp', 'offer sends no VP8 video or Opus audio');
      return { answer: await this.answer(t, offer), producers };
    } catch (e) {
      t.close('requested');
      throw e;
    }
  }

  private async subscribe(
    routerId: string,
    transportId: string,
    producerIds: readonly string[],
    offer: string,
  ): Promise<SubscribeResult> {
    checkSdp(offer, 'offer');
    if (!Array.isArray(producerIds) || producerIds.length === 0 || producerIds.length > MAX_CONSUMERS_PER_TRANSPORT)
      throw new ForwarderError('bad-request', `producerIds must list 1 to ${MAX_CONSUMERS_PER_TRANSPORT} producers`);
    const router = this.router(routerId);
    const sources = (producerIds as readonly unknown[]).map((id) => {
      const p = typeof id === 'string' ? this.reg.producers.get(id) : undefined;
      if (p === undefined || p.transport.router !== router)
        throw new ForwarderError('not-found', `no producer ${String(id)} in router ${routerId}`);
      return p;
    });
    const t = this.newTransport(routerId, transportId, 'recv');
    try {
      const consumers: ConsumerInfo[] = [];
      // Each m-line the subscriber offers to receive gets the first unused producer of its kind.
      const left: Producer[] = [...sources];
      for (const m of offeredMedia(offer)) {
        if (m.payloadType === undefined || (m.direction !== 'recvonly' && m.direction !== 'sendrecv')) continue;
        const ssrc = randomInt(1, 2 ** 32 - 1);
        const track = this.addTrack(t, { ...m, payloadType: m.payloadType }, 'SendOnly', ssrc);
        const i = left.findIndex((p) => p.kind === m.kind);
        if (i < 0) continue; // stays silent
        const [p] = left.splice(i, 1) as [Producer];
        // NACKs are answered natively from this track's own cache of what it sent.
        track.setMediaHandler(new ndc.RtcpNackResponder(this.opts.packetCacheSize ?? 512));
        const c = new Consumer(randomUUID(), p, t, track, ssrc, m.payloadType, this.reg);
        consumers.push({ consumerId: c.id, producerId: p.id, kind: p.kind });
      }
      if (consumers.length === 0) throw new ForwarderError('bad-sdp', 'offer receives none of the producers');
      return { answer: await this.answer(t, offer), consumers };
    } catch (e) {
      t.close('requested');
      throw e;
    }
  }

  private candidate(transportId: string, c: CandidateInit): void {
    const t = this.transport(transportId);
    if (typeof c !== 'object' || typeof c.candidate !== 'string' || c.candidate.length > 1024)
      throw new ForwarderError('bad-request', 'candidate must be an RTCIceCandidateInit');
    if (c.candidate === '') return; // end of candidates
    const mid = c.sdpMid ?? t.pc.localDescription()?.sdp.match(/a=mid:(\S+)/)?.[1] ?? '0';
    try {
      t.pc.addRemoteCandidate(c.candidate, mid);
    } catch (e) {
      throw new ForwarderError('bad-request', `candidate rejected: ${e instanceof Error ? e.message : String(e)}`);
    }
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
