/**
 * One RTCPeerConnection of a stream: a subscription (at either end) or a publisher's upload to
 * the forwarder. Every step (offer, answer, candidate) runs in order on one promise chain, and
 * candidates that arrive before the remote description wait for it. The receiving side always
 * offers (PROTOCOL.md §Streams); the other side answers.
 */
import type { CandidateInfo, IceServerInfo, SdpInfo } from '@parley/protocol';
import type { WebRtc } from './webrtc.js';

/** What a peer sends to its other end (through the session). @internal */
export type PeerSend = (step: { sdp: SdpInfo } | { candidate: CandidateInfo }) => void;

/** @internal */
export class Peer {
  readonly pc: RTCPeerConnection;
  #chain: Promise<void> = Promise.resolve();
  #remoteSet = false;
  #pending: CandidateInfo[] = [];
  #closed = false;

  constructor(
    webrtc: WebRtc,
    iceServers: readonly IceServerInfo[],
    private readonly send: PeerSend,
    private readonly fail: (error: unknown) => void,
  ) {
    this.pc = new webrtc.RTCPeerConnection({ iceServers: iceServers as RTCIceServer[] });
    this.pc.onicecandidate = (e) => {
      const c = e.candidate;
      if (c === null || this.#closed || c.candidate === '') return;
      this.send({ candidate: { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } });
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Run one step after the ones before it; a failure goes to `fail` (once the peer is open). */
  run(step: () => Promise<void>): void {
    this.#chain = this.#chain.then(async () => {
      if (this.#closed) return;
      try {
        await step();
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- close() may have run during the await
        if (!this.#closed) this.fail(error);
      }
    });
  }

  /** Offer (again, with `iceRestart` after a drop). */
  offer(iceRestart = false): void {
    this.run(async () => {
      const offer = await this.pc.createOffer(iceRestart ? { iceRestart: true } : {});
      await this.pc.setLocalDescription(offer);
      this.send({ sdp: { type: 'offer', sdp: offer.sdp ?? '' } });
    });
  }

  /**
   * Apply a step from the other end. An offer is answered (after `beforeAnswer`, which adds the
   * tracks to send on the first offer); `applied` runs after an answer is applied.
   */
  receive(step: { sdp?: SdpInfo; candidate?: CandidateInfo }, beforeAnswer?: () => void, applied?: () => void): void {
    this.run(async () => {
      const { sdp, candidate } = step;
      if (sdp !== undefined) {
        await this.pc.setRemoteDescription({ type: sdp.type, sdp: sdp.sdp });
        this.#remoteSet = true;
        const waiting = this.#pending;
        this.#pending = [];
        for (const c of waiting) await this.pc.addIceCandidate(c);
        if (sdp.type === 'offer') {
          beforeAnswer?.();
          const answer = await this.pc.createAnswer();
          await this.pc.setLocalDescription(answer);
          this.send({ sdp: { type: 'answer', sdp: answer.sdp ?? '' } });
        } else applied?.();
      } else if (candidate !== undefined) {
        if (this.#remoteSet) await this.pc.addIceCandidate(candidate);
        else this.#pending.push(candidate);
      }
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.pc.onicecandidate = null;
    this.pc.oniceconnectionstatechange = null;
    this.pc.ontrack = null;
    this.pc.close();
  }
}
