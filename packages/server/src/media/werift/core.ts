/**
 * The werift forwarder's request handler (runs inside the worker): creates and negotiates the
 * objects of ./objects.ts and answers the requests of ../worker-messages.ts.
 */
import { randomUUID } from 'node:crypto';
import { RTCPeerConnection } from 'werift';
import { checkSdp } from '../checks.js';
import { ForwarderCoreBase } from '../forwarder-core.js';
import type { Router } from '../forwarder-objects.js';
import {
  ForwarderError,
  type CandidateInit,
  type ConsumerInfo,
  type ForwarderEvent,
  type ForwarderOptions,
  type ProducerInfo,
  type PublishResult,
  type SubscribeResult,
} from '../types.js';
import { onlyCandidatesOn, peerConfig } from './config.js';
import { Consumer, Producer, Transport } from './objects.js';

/** Owns every router, transport, producer and consumer of one worker. */
export class ForwarderCore extends ForwarderCoreBase<Transport, Producer, Consumer> {
  private readonly config;

  constructor(opts: ForwarderOptions, emit: (e: ForwarderEvent) => void) {
    super(opts, emit);
    this.config = peerConfig(opts.mediaAddress);
  }

  protected createTransport(router: Router, transportId: string, direction: 'send' | 'recv'): Transport {
    return new Transport(transportId, router, direction, new RTCPeerConnection(this.config), this.reg);
  }

  private localSdp(t: Transport): string {
    const sdp = t.pc.localDescription?.sdp;
    if (sdp === undefined) throw new ForwarderError('bad-sdp', 'no local description');
    return onlyCandidatesOn(sdp, this.opts.mediaAddress);
  }

  protected async publish(routerId: string, transportId: string, offer: string): Promise<PublishResult> {
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

  protected async subscribe(
    routerId: string,
    transportId: string,
    sources: readonly Producer[],
    offer: string,
  ): Promise<SubscribeResult> {
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
  protected async renegotiate(transportId: string, offer: string): Promise<string> {
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

  protected async candidate(t: Transport, c: CandidateInit): Promise<void> {
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
}
