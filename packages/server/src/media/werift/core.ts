/**
 * The werift forwarder's request handler (runs inside the worker): creates and negotiates the
 * objects of ./objects.ts and answers the requests of ../worker-messages.ts.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { RTCPeerConnection } from 'werift';
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
import { onlyCandidatesOn, peerConfig } from './config.js';
import { Consumer, Producer, Router, Transport, type Registry } from './objects.js';

/** Longest SDP accepted (a real offer is 3–8 KB). */
export const MAX_SDP_BYTES = 64 * 1024;
/** Most producers one subscription may consume. */
const MAX_CONSUMERS_PER_TRANSPORT = 16;

function checkSdp(sdp: unknown, what: string): string {
  if (typeof sdp !== 'string' || !sdp.startsWith('v=0'))
    throw new ForwarderError('bad-sdp', `${what} is not an SDP session description`);
  if (sdp.length > MAX_SDP_BYTES) throw new ForwarderError('bad-sdp', `${what} is longer than ${MAX_SDP_BYTES} bytes`);
  return sdp;
}

function checkId(id: unknown, what: string): string {
  if (typeof id !== 'string' || id === '' || id.length > 256)
    throw new ForwarderError('bad-request', `${what} must be a non-empty string`);
  return id;
}

/** Owns every router, transport, producer and consumer of one worker. */
export class ForwarderCore {
  private readonly reg: Registry;
  private readonly config;

  constructor(
    private readonly opts: ForwarderOptions,
    emit: (e: ForwarderEvent) => void,
  ) {
    this.config = peerConfig(opts.mediaAddress);
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
        return this.renegotiate(req.transportId, req.offer);
      case 'candidate':
        return this.candidate(req.transportId, req.candidate);
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
    return new Transport(transportId, router, direction, new RTCPeerConnection(this.config), this.reg);
  }

  private localSdp(t: Transport): string {
    const sdp = t.pc.localDescription?.sdp;
    if (sdp === undefined) throw new ForwarderError('bad-sdp', 'no local description');
    return onlyCandidatesOn(sdp, this.opts.mediaAddress);
  }

  private async publish(routerId: string, transportId: string, offer: string): Promise<PublishResult> {
    checkSdp(offer, 'offer');
    const t = this.newTransport(routerId, transportId, 'send');
    try {
      const producers: ProducerInfo[] = [];
      const answer = await this.answerOffer(t, offer, () => {
        for (const tr of t.pc.getTransceivers()) {
          const kind = tr.kind as string;
          if (kind !== 'audio' && kind !== 'video') continue;
          const cache = this.opts.packetCacheSize ?? 512;
          const p = new Producer(randomUUID(), kind, tr.mid ?? '', t, tr.receiver, cache, this.reg);
          tr.onTrack.subscribe((track) => {
            p.attach(track);
          });
          for (const track of tr.receiver.tracks) p.attach(track);
          producers.push({ producerId: p.id, kind, mid: p.mid });
        }
        if (producers.length === 0) throw new ForwarderError('bad-sdp', 'offer has no audio or video');
      });
      return { answer, producers };
    } catch (e) {
      t.close('requested');
      throw e;
    }
  }

  /** Sets a remote offer on a transport (rejected offers are `bad-sdp`) and returns the answer. */
  private async answerOffer(t: Transport, offer: string, before?: () => void): Promise<string> {
    try {
      await t.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    } catch (e) {
      throw new ForwarderError('bad-sdp', `offer rejected: ${e instanceof Error ? e.message : String(e)}`);
    }
    before?.();
    // The forwarder takes the DTLS server role (`setup:passive`): the client's stack drives the
    // handshake and its retransmissions; werift's client side restarts its handshake when a
    // late retransmission crosses it on a busy machine.
    const answer = await t.pc.createAnswer();
    await t.pc.setLocalDescription({ type: 'answer', sdp: answer.sdp.replaceAll('a=setup:active', 'a=setup:passive') });
    return this.localSdp(t);
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
      const answer = await this.answerOffer(t, offer, () => {
        // Each m-line the subscriber offers to receive gets the first unused producer of its kind.
        const left = [...sources];
        for (const tr of t.pc.getTransceivers()) {
          // An m-line with no producer stays sendonly and silent: werift answers `inactive` with
          // port 0, which browsers read as rejected and which breaks the BUNDLE group when it is
          // the first m-line.
          tr.setDirection('sendonly');
          const i = left.findIndex((p) => p.kind === (tr.kind as string));
          if (i < 0) continue;
          const [p] = left.splice(i, 1) as [Producer];
          const c = new Consumer(randomUUID(), p, t, tr.sender, this.reg);
          consumers.push({ consumerId: c.id, producerId: p.id, kind: p.kind });
        }
      });
      if (consumers.length === 0) throw new ForwarderError('bad-sdp', 'offer receives none of the producers');
      return { answer, consumers };
    } catch (e) {
      t.close('requested');
      throw e;
    }
  }

  /** A new offer on a live transport: an ICE restart after its client came back. */
  private async renegotiate(transportId: string, offer: string): Promise<string> {
    checkSdp(offer, 'offer');
    const t = this.transport(transportId);
    if (t.pc.signalingState !== 'stable')
      throw new ForwarderError('bad-request', `transport ${transportId} is negotiating`);
    const answer = await this.answerOffer(t, offer);
    // werift restarts the ICE agent on the new credentials but, its DTLS being still connected,
    // never starts the agent again: the client's checks wait unanswered as "early checks" and
    // nothing is nominated, unless a trickled candidate happens to form a pair. A client that
    // trickles no reachable candidate (behind a NAT, or a browser's mDNS names) is only known
    // from its checks (peer-reflexive), so start the agent here.
    for (const ice of t.pc.iceTransports)
      if (ice.connection.nominated === undefined) ice.start().catch(() => undefined); // a failure closes the transport
    return answer;
  }

  private async candidate(transportId: string, c: CandidateInit): Promise<void> {
    const t = this.transport(transportId);
    if (typeof c !== 'object' || typeof c.candidate !== 'string' || c.candidate.length > 1024)
      throw new ForwarderError('bad-request', 'candidate must be an RTCIceCandidateInit');
    try {
      await t.pc.addIceCandidate(
        c.candidate === ''
          ? undefined
          : { ...c, sdpMid: c.sdpMid ?? undefined, sdpMLineIndex: c.sdpMLineIndex ?? undefined },
      );
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
