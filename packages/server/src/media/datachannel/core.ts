/**
 * The datachannel forwarder's request handler (runs inside its worker): negotiates the objects
 * of ./objects.ts on libdatachannel peer connections and answers the requests of
 * ../worker-messages.ts. Tracks are added before the client's offer is set, so the answer
 * carries exactly what the forwarder forwards: VP8 and Opus at the client's own payload types,
 * no header extensions, and for a subscriber the SSRC it will receive.
 */
import { randomInt, randomUUID } from 'node:crypto';
import ndc from 'node-datachannel';
import { ForwarderCoreBase } from '../forwarder-core.js';
import type { Router } from '../forwarder-objects.js';
import {
  ForwarderError,
  type CandidateInit,
  type ConsumerInfo,
  type ProducerInfo,
  type PublishResult,
  type SubscribeResult,
} from '../types.js';
import { Consumer, Producer, Transport } from './objects.js';
import { offeredMedia, type OfferedMedia } from './sdp.js';

/** How long the forwarder's own ICE gathering may take before an offer is refused. */
const GATHER_TIMEOUT_MS = 10_000;

/** Owns every router, transport, producer and consumer of one forwarder process. */
export class DatachannelCore extends ForwarderCoreBase<Transport, Producer, Consumer> {
  /** Closes everything, then libdatachannel's threads (the process is stopping). */
  override closeAll(): void {
    super.closeAll();
    ndc.cleanup();
  }

  protected createTransport(router: Router, transportId: string, direction: 'send' | 'recv'): Transport {
    const pc = new ndc.PeerConnection(transportId, { iceServers: [], bindAddress: this.opts.mediaAddress });
    return new Transport(transportId, router, direction, pc, this.reg);
  }

  protected renegotiate(transportId: string): Promise<string> {
    this.transport(transportId);
    // libdatachannel (libjuice) has no ICE restart: the client must publish or subscribe anew.
    return Promise.reject(
      new ForwarderError('bad-request', 'the datachannel forwarder cannot renegotiate (no ICE restart)'),
    );
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

  protected async publish(routerId: string, transportId: string, offer: string): Promise<PublishResult> {
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

  protected async subscribe(
    routerId: string,
    transportId: string,
    sources: readonly Producer[],
    offer: string,
  ): Promise<SubscribeResult> {
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

  protected candidate(t: Transport, c: CandidateInit): void {
    if (c.candidate === '') return; // end of candidates
    const mid = c.sdpMid ?? t.pc.localDescription()?.sdp.match(/a=mid:(\S+)/)?.[1] ?? '0';
    try {
      t.pc.addRemoteCandidate(c.candidate, mid);
    } catch (e) {
      throw new ForwarderError('bad-request', `candidate rejected: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
