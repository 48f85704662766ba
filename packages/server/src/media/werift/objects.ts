/**
 * The werift forwarder's objects inside its worker: the shared Router ⊃ Transport ⊃ Producer /
 * Consumer of ../forwarder-objects.ts on werift peer connections. A producer keeps a packet
 * cache for NACKs; a consumer rewrites each packet's header for its subscriber and encrypts it.
 */
import type {
  MediaStreamTrack,
  RTCDtlsTransport,
  RTCPeerConnection,
  RTCRtpReceiver,
  RTCRtpSender,
  RtpPacket,
} from 'werift';
import { ConsumerBase, ProducerBase, TransportBase, type Registry, type Router } from '../forwarder-objects.js';
import type { MediaKind } from '../types.js';
import { PacketCache } from './packet-cache.js';

/** The werift forwarder's registry. */
export type WeriftRegistry = Registry<Transport, Producer, Consumer>;

const NO_EXTENSIONS: never[] = [];
/** Seconds between 1900 (NTP epoch) and 1970. */
const NTP_EPOCH_OFFSET = 2_208_988_800;

/** 64-bit NTP time of now (for the sender reports werift sends to subscribers). */
function ntpNow(): bigint {
  const ms = Date.now();
  const sec = Math.floor(ms / 1000) + NTP_EPOCH_OFFSET;
  const frac = Math.floor(((ms % 1000) / 1000) * 2 ** 32);
  return (BigInt(sec) << 32n) | BigInt(frac);
}

/** One werift peer connection. */
export class Transport extends TransportBase {
  declare readonly producers: Set<Producer>;
  declare readonly consumers: Set<Consumer>;

  constructor(
    id: string,
    router: Router,
    direction: 'send' | 'recv',
    readonly pc: RTCPeerConnection,
    reg: Registry,
  ) {
    super(id, router, direction, reg);
    pc.connectionStateChange.subscribe((s) => {
      this.onState(s);
    });
  }

  protected closePeer(): void {
    this.pc.close().catch(() => undefined);
  }
}

/** One published track: receives RTP, keeps a packet cache, feeds its consumers. */
export class Producer extends ProducerBase {
  declare readonly consumers: Set<Consumer>;
  declare readonly transport: Transport;
  readonly cache: PacketCache;
  private unsubscribe: (() => void) | undefined;

  constructor(
    id: string,
    kind: MediaKind,
    mid: string,
    transport: Transport,
    private readonly receiver: RTCRtpReceiver,
    cacheSize: number,
    reg: Registry,
  ) {
    super(id, kind, mid, transport, reg);
    this.cache = new PacketCache(cacheSize);
  }

  /** Starts forwarding the track werift made for the publisher's stream. */
  attach(track: MediaStreamTrack): void {
    if (this.closed || this.unsubscribe) return;
    this.ssrc = track.ssrc;
    this.unsubscribe = track.onReceiveRtp.subscribe((rtp) => {
      this.onRtp(rtp);
    }).unSubscribe;
  }

  private onRtp(rtp: RtpPacket): void {
    this.ssrc = rtp.header.ssrc;
    const c = this.reg.counters;
    c.packetsIn++;
    c.bytesIn += rtp.payload.length;
    this.cache.put(rtp);
    if (this.kind === 'video') this.onVideoPayload(rtp.header.timestamp, rtp.payload);
    for (const c of this.consumers) c.send(rtp, false);
  }

  protected sendPli(ssrc: number): void {
    this.receiver.sendRtcpPLI(ssrc).catch(() => undefined);
  }

  protected release(): void {
    this.unsubscribe?.();
    this.cache.clear();
  }
}

/**
 * One subscribed track. RTP goes out with the subscriber's SSRC and payload type and without
 * header extensions; sequence numbers and timestamps are the publisher's, so a NACK names the
 * producer's cache slot directly.
 */
export class Consumer extends ConsumerBase {
  declare readonly producer: Producer;
  declare readonly transport: Transport;

  constructor(
    id: string,
    producer: Producer,
    transport: Transport,
    private readonly sender: RTCRtpSender,
    reg: Registry,
  ) {
    super(id, producer, transport, reg);
    sender.onGenericNack.subscribe((fb) => {
      this.onNack(fb.lost);
    });
    sender.onPictureLossIndication.subscribe(() => {
      producer.requestKeyFrame();
    });
    sender.onRtcp.subscribe((p) => {
      // FIR (payload-specific feedback, format 4) asks for a key frame like a PLI.
      const fb = p as unknown as { type: number; feedback?: { count?: number } };
      if (fb.type === 206 && fb.feedback?.count === 4) producer.requestKeyFrame();
    });
  }

  /** Encrypts and sends one packet to the subscriber (the shared header is restored after). */
  send(rtp: RtpPacket, retransmission: boolean): void {
    const s = this.sender;
    const dtls = s.dtlsTransport as RTCDtlsTransport | undefined; // unset until negotiated
    if (dtls === undefined || dtls.state !== 'connected' || s.codec === undefined) return;
    const h = rtp.header;
    const { ssrc, payloadType, extensions, extension, padding } = h;
    h.ssrc = s.ssrc;
    h.payloadType = s.codec.payloadType;
    h.extensions = NO_EXTENSIONS;
    h.extension = false;
    h.padding = false;
    dtls.sendRtp(rtp.payload, h).catch(() => undefined); // encrypts synchronously
    h.ssrc = ssrc;
    h.payloadType = payloadType;
    h.extensions = extensions;
    h.extension = extension;
    h.padding = padding;
    if (retransmission) return;
    const c = this.reg.counters;
    c.packetsOut++;
    c.bytesOut += rtp.payload.length;
    // Keep werift's sender reports truthful (it only updates them in its own send path).
    const w = s as unknown as { packetCount: number; octetCount: number; rtpTimestamp: number; ntpTimestamp: bigint };
    w.packetCount = (w.packetCount + 1) >>> 0;
    w.octetCount += rtp.payload.length;
    if ((w.packetCount & 3) === 1) {
      // The RTP/NTP pair of a sender report must name the same instant.
      w.rtpTimestamp = h.timestamp;
      w.ntpTimestamp = ntpNow();
      void s.runRtcp(); // starts werift's report loop once; later calls return at once
    }
  }

  private onNack(lost: readonly number[]): void {
    const c = this.reg.counters;
    c.nacksIn++;
    for (const seq of lost) {
      const p = this.producer.cache.get(seq);
      if (p === undefined) {
        c.nackMisses++;
        continue;
      }
      c.retransmitted++;
      this.send(p, true);
    }
  }
}
