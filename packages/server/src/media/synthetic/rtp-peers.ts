/**
 * Synthetic werift peers for tests and the bench (the server never uses them): a publisher that
 * sends VP8-like video and Opus-like audio RTP at a chosen bitrate, and a subscriber that offers
 * to receive them and counts what arrives, per kind, with the forwarding delay of each packet. No codecs: payloads are
 * filler carrying the send time, so a subscriber can measure the delay of every packet.
 *
 * They are full ICE agents, and werift's agent asks a public STUN server for a reflexive
 * candidate: run them only inside a loopback-only network namespace (`unshare -n`), as every
 * media test and bench here does, where that lookup fails at once.
 */
import {
  GenericNack,
  MediaStreamTrack,
  PictureLossIndication,
  RTCPeerConnection,
  RtcpPayloadSpecificFeedback,
  RtcpTransportLayerFeedback,
  RtpHeader,
  RtpPacket,
  type RTCRtpTransceiver,
} from 'werift';
import { onlyCandidatesOn, peerConfig } from '../werift/config.js';

/** Options of {@link SyntheticPublisher.start}. */
export interface SendRate {
  /** Video bits per second (default 1,000,000), in packets of `videoPacketBytes` (default 1,100). */
  readonly videoBps?: number;
  readonly videoPacketBytes?: number;
  /** Audio packets per second (default 50, 20 ms Opus frames of 120 bytes). */
  readonly audioPps?: number;
  /** A key frame every this many video frames (30 fps; default 60). */
  readonly keyFrameEvery?: number;
}

const TIME_OFFSET = 2; // payload bytes 2..9 carry the send time (performance.now(), float64)

function filler(bytes: number, keyFrame: boolean): Buffer {
  const b = Buffer.alloc(bytes);
  // A VP8 payload descriptor (S=1, partition 0) and a frame tag whose P bit says key or delta.
  b[0] = 0x10;
  b[1] = keyFrame ? 0x00 : 0x01;
  return b;
}

/** A werift peer publishing one video and one audio track of synthetic RTP. */
export class SyntheticPublisher {
  readonly pc: RTCPeerConnection;
  readonly video: RTCRtpTransceiver;
  readonly audio: RTCRtpTransceiver;
  /** PLIs received from the forwarder. */
  pliCount = 0;
  /** RTP packets written so far (audio and video). */
  sent = 0;
  private timers: NodeJS.Timeout[] = [];
  private seq = { video: 1000, audio: 5000 };
  private frames = 0;

  constructor(address = '127.0.0.1') {
    this.pc = new RTCPeerConnection(peerConfig(address, false));
    this.video = this.pc.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
    this.audio = this.pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
    this.video.sender.onPictureLossIndication.subscribe(() => this.pliCount++);
  }

  /** The offer, with every candidate (werift gathers before it resolves). */
  async offer(address = '127.0.0.1'): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return onlyCandidatesOn(this.pc.localDescription?.sdp ?? '', address);
  }

  async accept(answer: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  }

  /** Starts sending (30 video frames and `audioPps` audio packets a second). */
  start(rate: SendRate = {}): void {
    const vBytes = rate.videoPacketBytes ?? 1100;
    const perFrame = Math.max(1, Math.round((rate.videoBps ?? 1_000_000) / 8 / 30 / vBytes));
    const keyEvery = rate.keyFrameEvery ?? 60;
    const aPps = rate.audioPps ?? 50;
    const vTrack = this.video.sender.track as MediaStreamTrack;
    const aTrack = this.audio.sender.track as MediaStreamTrack;
    this.timers.push(
      setInterval(() => {
        const key = this.frames % keyEvery === 0;
        const ts = (this.frames++ * 3000) >>> 0;
        for (let i = 0; i < perFrame; i++) this.write(vTrack, 'video', 96, ts, i === perFrame - 1, filler(vBytes, key));
      }, 1000 / 30),
      setInterval(() => {
        this.write(aTrack, 'audio', 111, (this.seq.audio * 960) >>> 0, true, Buffer.alloc(120));
      }, 1000 / aPps),
    );
  }

  private write(
    track: MediaStreamTrack,
    kind: 'video' | 'audio',
    pt: number,
    ts: number,
    marker: boolean,
    payload: Buffer,
  ): void {
    payload.writeDoubleLE(performance.now(), TIME_OFFSET);
    this.sent++;
    const sequenceNumber = this.seq[kind]++ & 0xffff;
    track.writeRtp(
      new RtpPacket(new RtpHeader({ payloadType: pt, sequenceNumber, timestamp: ts, marker, ssrc: 0 }), payload),
    );
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  async close(): Promise<void> {
    this.stop();
    await this.pc.close();
  }
}

/** Per-kind receive counters of a {@link SyntheticSubscriber}. */
export interface Received {
  packets: number;
  /** Sequence numbers seen more than once (retransmissions). */
  duplicates: number;
  /** Forwarding delay of each packet in ms (publisher send → subscriber receive, same process clock). */
  readonly delays: number[];
  readonly seen: Set<number>;
  ssrc: number | undefined;
}

/** A werift peer that answers the forwarder's offer and counts the RTP it gets. */
export class SyntheticSubscriber {
  readonly pc: RTCPeerConnection;
  readonly received: Record<'audio' | 'video', Received> = {
    audio: { packets: 0, duplicates: 0, delays: [], seen: new Set(), ssrc: undefined },
    video: { packets: 0, duplicates: 0, delays: [], seen: new Set(), ssrc: undefined },
  };
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly address = '127.0.0.1',
    /** Keep per-packet delays and sequence numbers (tests); the bench keeps delays only. */
    private readonly keepSeen = true,
  ) {
    this.pc = new RTCPeerConnection(peerConfig(address, false));
    this.pc.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        const r = this.received[track.kind as 'audio' | 'video'];
        r.packets++;
        r.ssrc = rtp.header.ssrc;
        if (rtp.payload.length >= TIME_OFFSET + 8)
          r.delays.push(performance.now() - rtp.payload.readDoubleLE(TIME_OFFSET));
        if (this.keepSeen) {
          if (r.seen.has(rtp.header.sequenceNumber)) r.duplicates++;
          else r.seen.add(rtp.header.sequenceNumber);
        }
        for (const l of this.listeners) l();
      }),
    );
  }

  /** Calls `listener` after every packet; returns the unsubscribe function. */
  onPacket(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The offer to receive one audio and one video track (the receiving side offers). */
  async offer(): Promise<string> {
    this.pc.addTransceiver('audio', { direction: 'recvonly' });
    this.pc.addTransceiver('video', { direction: 'recvonly' });
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return onlyCandidatesOn(this.pc.localDescription?.sdp ?? '', this.address);
  }

  async accept(answer: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  }

  /** Sends a generic NACK for these sequence numbers of the video stream. */
  async nackVideo(lost: number[]): Promise<void> {
    const ssrc = this.received.video.ssrc;
    const receiver = this.pc.getTransceivers().find((t) => t.kind === 'video')?.receiver;
    if (ssrc === undefined || receiver === undefined) throw new Error('no video yet');
    const nack = new GenericNack({ senderSsrc: 1, mediaSourceSsrc: ssrc, lost });
    await receiver.dtlsTransport.sendRtcp([new RtcpTransportLayerFeedback({ feedback: nack })]);
  }

  /** Sends a PLI for the video stream, as a decoder that lost a picture does. */
  async pliVideo(): Promise<void> {
    const ssrc = this.received.video.ssrc;
    const receiver = this.pc.getTransceivers().find((t) => t.kind === 'video')?.receiver;
    if (ssrc === undefined || receiver === undefined) throw new Error('no video yet');
    const pli = new PictureLossIndication({ senderSsrc: 1, mediaSsrc: ssrc });
    await receiver.dtlsTransport.sendRtcp([new RtcpPayloadSpecificFeedback({ feedback: pli })]);
  }

  async close(): Promise<void> {
    await this.pc.close();
  }
}
