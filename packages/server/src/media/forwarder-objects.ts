/**
 * The bookkeeping both forwarders share (werift's ./werift/objects.ts, libdatachannel's
 * ./datachannel/objects.ts): Router ⊃ Transport ⊃ Producer / Consumer, registered by id in a
 * {@link Registry}. Each has one `close(reason)` that cascades downwards, unregisters itself and
 * reports itself once. An implementation supplies only what touches its WebRTC stack: closing a
 * peer connection, sending a PLI, forwarding a packet.
 */
import { performance } from 'node:perf_hooks';
import type { CloseReason, ForwarderEvent, MediaKind } from './types.js';
import { isVp8KeyFrameStart } from './vp8.js';

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

/** Where the objects live by id, and how they report. Owned by the forwarder's core. */
export interface Registry<
  T extends TransportBase = TransportBase,
  P extends ProducerBase = ProducerBase,
  C extends ConsumerBase = ConsumerBase,
> {
  readonly routers: Map<string, Router>;
  readonly transports: Map<string, T>;
  readonly producers: Map<string, P>;
  readonly consumers: Map<string, C>;
  readonly counters: Counters;
  readonly disconnectTimeoutMs: number;
  emit(e: ForwarderEvent): void;
}

/** An empty registry. */
export function newRegistry<T extends TransportBase, P extends ProducerBase, C extends ConsumerBase>(
  disconnectTimeoutMs: number,
  emit: (e: ForwarderEvent) => void,
): Registry<T, P, C> {
  return {
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
    disconnectTimeoutMs,
    emit,
  };
}

/**
 * Minimum gap between two key-frame requests to one publisher track. libwebrtc's encoder (every
 * browser's, and `@roamhq/wrtc`'s) honours one key-frame request per 300 ms and silently drops
 * the others (`EncoderRtcpFeedback`); a PLI sent sooner is wasted, and the subscriber waits for
 * the next one, a whole gap later.
 */
export const KEYFRAME_GAP_MS = 350;

/** The media of one session. */
export class Router {
  readonly transports = new Set<TransportBase>();
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
export abstract class TransportBase {
  readonly producers = new Set<ProducerBase>();
  readonly consumers = new Set<ConsumerBase>();
  closed = false;
  private timer: NodeJS.Timeout | undefined;
  private connected = false;

  constructor(
    readonly id: string,
    readonly router: Router,
    readonly direction: 'send' | 'recv',
    protected readonly reg: Registry,
  ) {
    router.transports.add(this);
    reg.transports.set(id, this);
  }

  /** Closes the peer connection (never throws). */
  protected abstract closePeer(): void;

  /** Follows the peer connection's state: `connected`, `disconnected`, `failed` or `closed`. */
  protected onState(s: string): void {
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
    this.closePeer();
    this.router.transports.delete(this);
    this.reg.transports.delete(this.id);
    this.reg.emit({ type: 'transport-closed', routerId: this.router.id, transportId: this.id, reason });
  }
}

/** One published track: feeds its consumers, and asks its publisher for key frames. */
export abstract class ProducerBase {
  readonly consumers = new Set<ConsumerBase>();
  protected closed = false;
  /** The publisher's SSRC, once its first packet came. */
  protected ssrc: number | undefined;
  private lastKeyFrameRequest = -Infinity;
  private keyFrameTimer: NodeJS.Timeout | undefined;
  private lastKeyFrameTimestamp: number | undefined;

  constructor(
    readonly id: string,
    readonly kind: MediaKind,
    readonly mid: string,
    readonly transport: TransportBase,
    protected readonly reg: Registry,
  ) {
    transport.producers.add(this);
    reg.producers.set(id, this);
  }

  /** Sends the publisher a PLI for `ssrc` (never throws). */
  protected abstract sendPli(ssrc: number): void;

  /** Releases what the implementation holds (called once, on close). */
  protected abstract release(): void;

  /**
   * Follows the publisher's video (VP8) for key frames: a key frame that starts after a request
   * serves it, so a request still waiting for the end of the gap is dropped (a needless key
   * frame would cost every subscriber its bytes and hold the publisher's next one back).
   */
  protected onVideoPayload(timestamp: number, payload: Uint8Array, offset = 0): void {
    if (!isVp8KeyFrameStart(payload, offset) || timestamp === this.lastKeyFrameTimestamp) return;
    this.lastKeyFrameTimestamp = timestamp;
    clearTimeout(this.keyFrameTimer);
    this.keyFrameTimer = undefined;
  }

  /**
   * Sends the publisher a PLI: at once, or, within {@link KEYFRAME_GAP_MS} of the last one, once
   * at the end of that gap (requests in between are merged: one key frame serves them all; a
   * key frame that comes before the end of the gap serves them too, and nothing is sent).
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
    this.sendPli(this.ssrc);
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.keyFrameTimer);
    this.release();
    for (const c of [...this.consumers]) c.close('producer-closed');
    this.transport.producers.delete(this);
    this.reg.producers.delete(this.id);
    this.reg.emit({ type: 'producer-closed', routerId: this.transport.router.id, producerId: this.id, reason });
  }
}

/** One subscribed track. */
export abstract class ConsumerBase {
  protected closed = false;

  constructor(
    readonly id: string,
    readonly producer: ProducerBase,
    readonly transport: TransportBase,
    protected readonly reg: Registry,
  ) {
    producer.consumers.add(this);
    transport.consumers.add(this);
    reg.consumers.set(id, this);
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
