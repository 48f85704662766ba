/**
 * The selective forwarding unit as the signalling side sees it. Modelled on mediasoup's objects:
 * a **router** per routed session; a **transport** per peer connection (one per publisher, one per
 * subscription); a **producer** per published track; a **consumer** per subscribed track. Every
 * object has a `close()` that cascades: closing a router closes its transports; closing a
 * transport closes its producers and consumers; closing a producer closes its consumers (and a
 * subscription transport left with no consumer closes too). The implementation owns all peer
 * connections in a worker thread ({@link WorkerForwarder}); everything here is a small message.
 *
 * Negotiation is in SDP terms, as a browser-style `RTCPeerConnection` expects it, and the peer
 * that receives media offers: the forwarder answers a publisher's offer (to send) and a
 * subscriber's offer (to receive). The forwarder's side is non-trickle (its answer carries every
 * candidate, all on the server's `mediaAddress`); the client may trickle its own candidates.
 */

/** Media kind of a producer or consumer. */
export type MediaKind = 'audio' | 'video';

/** One producer created from a publisher's offer. */
export interface ProducerInfo {
  readonly producerId: string;
  readonly kind: MediaKind;
  /** The `a=mid` of the m-line it came from. */
  readonly mid: string;
}

/** One consumer created for a subscription. */
export interface ConsumerInfo {
  readonly consumerId: string;
  readonly producerId: string;
  readonly kind: MediaKind;
}

/** Result of {@link MediaForwarder.publish}. */
export interface PublishResult {
  readonly answer: string;
  readonly producers: readonly ProducerInfo[];
}

/** Result of {@link MediaForwarder.subscribe}. */
export interface SubscribeResult {
  readonly answer: string;
  readonly consumers: readonly ConsumerInfo[];
}

/** A remote ICE candidate (`RTCIceCandidateInit`); `candidate: ''` ends the candidates. */
export interface CandidateInit {
  readonly candidate: string;
  readonly sdpMid?: string | null;
  readonly sdpMLineIndex?: number | null;
}

/** Why a forwarder object closed (reported in {@link ForwarderEvent}). */
export type CloseReason =
  | 'requested' // close() from signalling
  | 'router-closed'
  | 'transport-closed'
  | 'producer-closed'
  | 'ice-failed' // ICE failed, or stayed disconnected past the timeout
  | 'worker-gone';

/** What the forwarder tells the signalling side without being asked. */
export type ForwarderEvent =
  | {
      readonly type: 'transport-closed';
      readonly routerId: string;
      readonly transportId: string;
      readonly reason: CloseReason;
    }
  | {
      readonly type: 'producer-closed';
      readonly routerId: string;
      readonly producerId: string;
      readonly reason: CloseReason;
    }
  | {
      readonly type: 'consumer-closed';
      readonly routerId: string;
      readonly consumerId: string;
      readonly reason: CloseReason;
    }
  | {
      readonly type: 'transport-state';
      readonly routerId: string;
      readonly transportId: string;
      readonly state: 'connected' | 'disconnected';
    }
  | { readonly type: 'router-closed'; readonly routerId: string }
  /** The worker died (crash or exit). Every pending and later request fails with `worker-gone`. */
  | { readonly type: 'worker-gone'; readonly error: string };

/** Object counts and forwarding counters (all since the worker started). */
export interface ForwarderStats {
  readonly routers: number;
  readonly transports: number;
  readonly producers: number;
  readonly consumers: number;
  /** RTP packets received from publishers. */
  readonly packetsIn: number;
  /** RTP packets sent to subscribers (not counting retransmissions). */
  readonly packetsOut: number;
  /** RTP payload bytes of those packets (headers not counted): bitrate is their rate. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Generic NACKs received from subscribers, and packets resent from a producer's cache. */
  readonly nacksIn: number;
  readonly retransmitted: number;
  /** NACKed packets no longer in the cache. */
  readonly nackMisses: number;
  /** PLIs sent to publishers (subscriber joined, or a subscriber reported picture loss). */
  readonly keyFrameRequests: number;
  /** Time the worker's event loop was busy since it started (ms): its CPU, for the bench. */
  readonly workerBusyMs: number;
  /** The worker's JavaScript heap in use (bytes). */
  readonly workerHeapBytes: number;
}

/** Why a request to the forwarder failed. */
export type ForwarderErrorReason = 'not-found' | 'bad-request' | 'bad-sdp' | 'worker-gone';

/** A failed forwarder request; `reason` says which kind of failure. */
export class ForwarderError extends Error {
  constructor(
    readonly reason: ForwarderErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'ForwarderError';
  }
}

/**
 * The hook the session layer drives. Ids of routers and transports are chosen by the caller
 * (session id, stream id + connection id, ...); producer and consumer ids by the forwarder.
 */
export interface MediaForwarder {
  /** Creates the router of a routed session (idempotent). */
  createRouter(routerId: string): Promise<void>;
  /** Answers a publisher's offer: one transport, one producer per audio/video m-line. */
  publish(routerId: string, transportId: string, offer: string): Promise<PublishResult>;
  /**
   * Answers a subscriber's offer: one transport, a consumer per listed producer (each offered
   * m-line takes the first unused producer of its kind; the others stay silent).
   */
  subscribe(
    routerId: string,
    transportId: string,
    producerIds: readonly string[],
    offer: string,
  ): Promise<SubscribeResult>;
  /** Answers a new offer on a live transport (an ICE restart after its client came back). */
  renegotiate(transportId: string, offer: string): Promise<string>;
  /** Adds a client's trickled ICE candidate to a transport. */
  addCandidate(transportId: string, candidate: CandidateInit): Promise<void>;
  /** Asks a transport's publisher for a key frame on each of its video producers. */
  requestKeyFrame(transportId: string): Promise<void>;
  closeRouter(routerId: string): Promise<void>;
  closeTransport(transportId: string): Promise<void>;
  closeProducer(producerId: string): Promise<void>;
  closeConsumer(consumerId: string): Promise<void>;
  stats(): Promise<ForwarderStats>;
  /** Subscribes to {@link ForwarderEvent}s; returns the unsubscribe function. */
  onEvent(listener: (e: ForwarderEvent) => void): () => void;
  /** Closes everything and stops the worker. */
  close(): Promise<void>;
}

/**
 * Which forwarder runs in the worker: `werift` (TypeScript, the default) or `datachannel`
 * (libdatachannel through node-datachannel, native; no ICE restart). Chosen by measurement:
 * docs/BENCHMARKS.md §Routed forwarding.
 */
export type ForwarderImpl = 'werift' | 'datachannel';

/** The implementations {@link ForwarderOptions.impl} accepts. */
export const FORWARDER_IMPLS: readonly ForwarderImpl[] = ['werift', 'datachannel'];

/** Options of a forwarder. */
export interface ForwarderOptions {
  /** The implementation (default `werift`). */
  readonly impl?: ForwarderImpl;
  /**
   * Where werift runs: a worker thread (default) or a child process of its own (the bench, to
   * measure it as one process). `datachannel` always runs in a child process.
   */
  readonly host?: 'worker' | 'process';
  /**
   * The address the forwarder binds its UDP sockets to and announces in its ICE candidates
   * (server option `mediaAddress`, default 127.0.0.1). Clients must be able to reach it.
   */
  readonly mediaAddress: string;
  /** How long a transport may stay ICE-disconnected before it is closed (ms, default 15000). */
  readonly disconnectTimeoutMs?: number;
  /** Packets kept per producer to answer NACKs (default 512, about 2 s of 1 Mbit/s video). */
  readonly packetCacheSize?: number;
  /** Accept the test-only `crash` request (tests of worker-crash reporting). */
  readonly testHooks?: boolean;
}
