/**
 * The forwarder's objects inside the worker: Router ⊃ Transport ⊃ Producer / Consumer. Each has
 * one `close(reason)` that cascades downwards, unregisters itself from {@link Registry} and
 * reports itself once.
 */
import type {
  MediaStreamTrack,
  RTCDtlsTransport,
  RTCPeerConnection,
  RTCRtpReceiver,
  RTCRtpSender,
  RtpPacket,
} from 'werift';
import type { CloseReason, ForwarderEvent, MediaKind } from '../types.js';
import { PacketCache } from './packet-cache.js';

/** Mutable counters behind `ForwarderStats`. */
export interface Counters {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  nacksIn: number;
  retransmitted: number;
  nackMisses: number;
  keyFrameRequests: number;
}

/** Where the objects live by id, and how they report. Owned by the worker's core. */
export interface Registry {
  readonly routers: Map<string, Router>;
  readonly transports: Map<string, Transport>;
  readonly producers: Map<string, Producer>;
  readonly consumers: Map<string, Consumer>;
  readonly counters: Counters;
  readonly disconnectTimeoutMs: number;
  emit(e: ForwarderEvent): void;
}

/** Minimum gap between two key-frame requests to one publisher track. */
const KEYFRAME_GAP_MS = 250;
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

/** The media of one session. */
export class Router {
  readonly transports = new Set<Transport>();
  private closed = false;

  constructor(
    readonly id: string,
    private readonly reg: Registry,
  ) {
    reg.routers.set(id, this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of [...this.transports]) t.close('router-closed');
    this.reg.routers.delete(this.id);
    this.reg.emit({ type: 'router-closed', routerId: this.id });
  }
}

/** One peer connection: a publisher's (`send`, from the client's view) or a subscription's (`recv`). */
export class Transport {
  readonly producers = new Set<Producer>();
  readonly consumers = new Set<Consumer>();
  private closed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly router: Router,
    readonly direction: 'send' | 'recv',
    readonly pc: RTCPeerConnection,
    private readonly reg: Registry,
  ) {
    router.transports.add(this);
    reg.transports.set(id, this);
    pc.connectionStateChange.subscribe((s) => {
      this.onState(s);
    });
  }

  private onState(s: string): void {
    if (this.closed) return;
    if (s === 'connected') {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.report('connected');
      // A subscriber that just connected needs a key frame to start decoding.
      for (const c of this.consumers) c.producer.requestKeyFrame();
    } else if (s === 'disconnected') {
      this.report('disconnected');
      this.timer ??= setTimeout(() => {
        this.close('ice-failed');
      }, this.reg.disconnectTimeoutMs);
    } else if (s === 'failed') {
      this.close('ice-failed');
    } else if (s === 'closed') {
      this.close('requested');
    }
  }

  private report(state: 'connected' | 'disconnected'): void {
    this.reg.emit({ type: 'transport-state', routerId: this.router.id, transportId: this.id, state });
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    for (const p of [...this.producers]) p.close('transport-closed');
    for (const c of [...this.consumers]) c.close('transport-closed');
    this.pc.close().catch(() => undefined);
    this.router.transports.delete(this);
    this.reg.transports.delete(this.id);
    this.reg.emit({ type: 'transport-closed', routerId: this.router.id, transportId: this.id, reason });
  }
}

/** One published track: receives RTP, keeps a packet cache, feeds its consumers. */
export class Producer {
  readonly consumers = new Set<Consumer>();
  readonly cache: PacketCache;
  private closed = false;
  private ssrc: number | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastKeyFrameRequest = -Infinity;
  private keyFrameTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly kind: MediaKind,
    readonly mid: string,
    readonly transport: Transport,
    private readonly receiver: RTCRtpReceiver,
    cacheSize: number,
    private readonly reg: Registry,
  ) {
    this.cache = new PacketCache(cacheSize);
    transport.producers.add(this);
    reg.producers.set(id, this);
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
    for (const c of this.consumers) c.send(rtp, false);
  }

  /**
   * Sends the publisher a PLI: at once, or, within 250 ms of the last one, once at the end of
   * that gap (requests in between are merged: one key frame serves them all).
   */
  requestKeyFrame(): void {
    if (this.closed || this.kind !== 'video' || this.ssrc === undefined || this.keyFrameTimer) return;
    const wait = this.lastKeyFrameRequest + KEYFRAME_GAP_MS - performance.now();
    if (wait > 0) {
      this.keyFrameTimer = setTimeout(() => {
        this.keyFrameTimer = undefined;
        this.requestKeyFrame();
      }, wait);
      return;
    }
    this.lastKeyFrameRequest = performance.now();
    this.reg.counters.keyFrameRequests++;
    this.receiver.sendRtcpPLI(this.ssrc).catch(() => undefined);
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    clearTimeout(this.keyFrameTimer);
    for (const c of [...this.consumers]) c.close('producer-closed');
    this.cache.clear();
    this.transport.producers.delete(this);
    this.reg.producers.delete(this.id);
    this.reg.emit({ type: 'producer-closed', routerId: this.transport.router.id, producerId: this.id, reason });
  }
}

/**
 * One subscribed track. RTP goes out with the subscriber's SSRC and payload type and without
 * header extensions; sequence numbers and timestamps are the publisher's, so a NACK names the
 * producer's cache slot directly.
 */
export class Consumer {
  private closed = false;

  constructor(
    readonly id: string,
    readonly producer: Producer,
    readonly transport: Transport,
    private readonly sender: RTCRtpSender,
    private readonly reg: Registry,
  ) {
    producer.consumers.add(this);
    transport.consumers.add(this);
    reg.consumers.set(id, this);
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

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.producer.consumers.delete(this);
    this.transport.consumers.delete(this);
    this.reg.consumers.delete(this.id);
    this.reg.emit({ type: 'consumer-closed', routerId: this.transport.router.id, consumerId: this.id, reason });
    // A subscription whose publisher went away has nothing left to carry.
    if (reason === 'producer-closed' && this.transport.consumers.size === 0) this.transport.close('producer-closed');
  }
}
