/**
 * The datachannel forwarder's objects inside its process: the shared Router ⊃ Transport ⊃
 * Producer / Consumer of ../forwarder-objects.ts on libdatachannel peer connections.
 * libdatachannel (native) does ICE, DTLS and SRTP on its own threads; JavaScript sees each
 * decrypted packet of a publisher's track once, rewrites SSRC and payload type per subscriber in
 * place and hands it back to be encrypted and sent. NACKs are answered natively by an
 * `RtcpNackResponder` on each subscriber's track (its own cache of what it sent).
 */
import type { PeerConnection, Track } from 'node-datachannel';
import { ConsumerBase, ProducerBase, TransportBase, type Registry, type Router } from '../forwarder-objects.js';
import type { MediaKind } from '../types.js';
import { isRtcp, pli, readFeedback, rtpPayloadBytes, rtpPayloadOffset } from './rtcp.js';

/** The datachannel forwarder's registry. */
export type DatachannelRegistry = Registry<Transport, Producer, Consumer>;

/** The sender SSRC of the forwarder's own RTCP (PLIs). */
const FORWARDER_SSRC = 1;

/** One libdatachannel peer connection. */
export class Transport extends TransportBase {
  declare readonly producers: Set<Producer>;
  declare readonly consumers: Set<Consumer>;

  constructor(
    id: string,
    router: Router,
    direction: 'send' | 'recv',
    readonly pc: PeerConnection,
    reg: Registry,
  ) {
    super(id, router, direction, reg);
    pc.onStateChange((s) => {
      this.onState(s);
    });
  }

  protected closePeer(): void {
    try {
      this.pc.close();
    } catch {
      // already closed natively
    }
  }
}

/** One published track: receives its RTP and feeds its consumers. */
export class Producer extends ProducerBase {
  declare readonly consumers: Set<Consumer>;
  declare readonly transport: Transport;

  constructor(
    id: string,
    kind: MediaKind,
    mid: string,
    transport: Transport,
    private readonly track: Track,
    reg: Registry,
  ) {
    super(id, kind, mid, transport, reg);
    track.onMessage((m) => {
      this.onPacket(m);
    });
  }

  private onPacket(p: Buffer): void {
    if (this.closed || p.length < 12 || isRtcp(p)) return; // the publisher's sender reports stay here
    this.ssrc = p.readUInt32BE(8);
    const c = this.reg.counters;
    c.packetsIn++;
    c.bytesIn += rtpPayloadBytes(p);
    if (this.kind === 'video') this.onVideoPayload(p.readUInt32BE(4), p, rtpPayloadOffset(p));
    for (const consumer of this.consumers) consumer.send(p);
  }

  protected sendPli(ssrc: number): void {
    try {
      // Without a media handler libdatachannel sends RTCP on a receive-only track as is.
      this.track.sendMessageBinary(pli(FORWARDER_SSRC, ssrc));
    } catch {
      // the track closed under us: its transport's close follows
    }
  }

  protected release(): void {
    // libdatachannel's track closes with its peer connection
  }
}

/**
 * One subscribed track. RTP goes out with the subscriber's SSRC and payload type (rewritten in
 * the shared buffer just before each send: libdatachannel copies it synchronously); sequence
 * numbers and timestamps are the publisher's.
 */
export class Consumer extends ConsumerBase {
  declare readonly producer: Producer;
  declare readonly transport: Transport;

  constructor(
    id: string,
    producer: Producer,
    transport: Transport,
    private readonly track: Track,
    /** The SSRC announced to the subscriber in the answer, and its payload type for the codec. */
    private readonly ssrc: number,
    private readonly payloadType: number,
    reg: Registry,
  ) {
    super(id, producer, transport, reg);
    track.onMessage((m) => {
      this.onRtcp(m);
    });
  }

  send(p: Buffer): void {
    if (this.closed || !this.track.isOpen()) return;
    p.writeUInt32BE(this.ssrc, 8);
    p[1] = ((p[1] as number) & 0x80) | this.payloadType;
    try {
      this.track.sendMessageBinary(p);
    } catch {
      return; // closing
    }
    const c = this.reg.counters;
    c.packetsOut++;
    c.bytesOut += rtpPayloadBytes(p);
  }

  private onRtcp(p: Buffer): void {
    if (this.closed || !isRtcp(p)) return;
    const fb = readFeedback(p);
    if (fb.keyFrame) this.producer.requestKeyFrame();
    this.reg.counters.nacksIn += fb.nacks;
  }
}
