/**
 * The datachannel forwarder's objects inside its worker: Router ⊃ Transport ⊃ Producer /
 * Consumer, with the same cascading `close(reason)` as the werift forwarder's (../werift/
 * objects.ts). libdatachannel (native) does ICE, DTLS and SRTP on its own threads; JavaScript
 * sees each decrypted packet of a publisher's track once, rewrites SSRC and payload type per
 * subscriber in place and hands it back to be encrypted and sent. NACKs are answered natively
 * by an `RtcpNackResponder` on each subscriber's track (its own cache of what it sent).
 */
import type { PeerConnection, Track } from 'node-datachannel';
import type { CloseReason, ForwarderEvent, MediaKind } from '../types.js';
import { isRtcp, pli, readFeedback, rtpPayloadBytes } from './rtcp.js';

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
/** The sender SSRC of the forwarder's own RTCP (PLIs). */
const FORWARDER_SSRC = 1;

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
  closed = false;
  private timer: NodeJS.Timeout | undefined;
  private connected = false;

  constructor(
    readonly id: string,
    readonly router: Router,
    readonly direction: 'send' | 'recv',
    readonly pc: PeerConnection,
    private readonly reg: Registry,
  ) {
    router.transports.add(this);
    reg.transports.set(id, this);
    pc.onStateChange((s) => {
      this.onState(s);
    });
  }

  private onState(s: string): void {
    if (this.closed) return;
    if (s === 'connected') {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.connected = true;
      this.report('connected');
      // A subscriber that just connected needs a key frame to start decoding.
      for (const c of this.consumers) c.producer.requestKeyFrame();
    } else if (s === 'disconnected') {
      if (this.connected) this.report('disconnected');
      this.connected = false;
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
    try {
      this.pc.close();
    } catch {
      // already closed natively
    }
    this.router.transports.delete(this);
    this.reg.transports.delete(this.id);
    this.reg.emit({ type: 'transport-closed', routerId: this.router.id, transportId: this.id, reason });
  }
}

/** One published track: receives its RTP and feeds its consumers. */
export class Producer {
  readonly consumers = new Set<Consumer>();
  private closed = false;
  private ssrc: number | undefined;
  private lastKeyFrameRequest = -Infinity;
  private keyFrameTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly kind: MediaKind,
    readonly mid: string,
    readonly transport: Transport,
    private readonly track: Track,
    private readonly reg: Registry,
  ) {
    transport.producers.add(this);
    reg.producers.set(id, this);
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
    for (const consumer of this.consumers) consumer.send(p);
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
    try {
      // Without a media handler libdatachannel sends RTCP on a receive-only track as is.
      this.track.sendMessageBinary(pli(FORWARDER_SSRC, this.ssrc));
    } catch {
      // the track closed under us: its transport's close follows
    }
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.keyFrameTimer);
    for (const c of [...this.consumers]) c.close('producer-closed');
    this.transport.producers.delete(this);
    this.reg.producers.delete(this.id);
    this.reg.emit({ type: 'producer-closed', routerId: this.transport.router.id, producerId: this.id, reason });
  }
}

/**
 * One subscribed track. RTP goes out with the subscriber's SSRC and payload type (rewritten in
 * the shared buffer just before each send: libdatachannel copies it synchronously); sequence
 * numbers and timestamps are the publisher's.
 */
export class Consumer {
  private closed = false;

  constructor(
    readonly id: string,
    readonly producer: Producer,
    readonly transport: Transport,
    private readonly track: Track,
    /** The SSRC announced to the subscriber in the answer, and its payload type for the codec. */
    private readonly ssrc: number,
    private readonly payloadType: number,
    private readonly reg: Registry,
  ) {
    producer.consumers.add(this);
    transport.consumers.add(this);
    reg.consumers.set(id, this);
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
