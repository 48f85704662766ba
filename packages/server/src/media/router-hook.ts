/**
 * The seam between the signalling core and a media forwarder (routed sessions; PROTOCOL.md
 * §Streams). The core calls a {@link MediaRouter} for every stream operation of a routed
 * session and waits for its promise before it answers the client (the request pipeline allows
 * replies after async work); relayed sessions never call it. The forwarder sends its own
 * negotiation steps (answers, its ICE candidates) back through {@link MediaRouterHost.send}.
 *
 * The forwarder must not run on the signalling event loop (a worker thread or child process):
 * these calls only post work to it.
 *
 * Negotiation rule (both modes): the peer that receives media offers. A subscriber offers to
 * receive its subscription (`subscriberId`); a publisher offers to send its stream's upload
 * (`subscriberId: null`); the forwarder answers both.
 */
import type { MediaPayload, StreamInfo } from '@parley/protocol';

/** What the core gives a router: the way back to the clients. */
export interface MediaRouterHost {
  /**
   * Send a negotiation step from the forwarder (`media {from: null, ...}`) to one connection of a
   * session (an answer, or one of the forwarder's ICE candidates). Dropped if the connection is gone.
   */
  send(sessionId: string, connectionId: string, payload: MediaPayload): void;
  /**
   * The forwarder lost a peer it cannot recover (its transport failed for good): the core ends
   * the subscription or, for an upload (`subscriberId: null`), the stream (networkDisconnected).
   */
  failed?(sessionId: string, streamId: string, subscriberId: string | null, reason: string): void;
}

/** What {@link MediaRouter.stats} reports; the counters (since the router started) are optional. */
export interface MediaRouterStats {
  readonly routers: number;
  readonly transports: number;
  readonly producers: number;
  readonly consumers: number;
  /** RTP packets received from publishers, and sent to subscribers (retransmissions apart). */
  readonly packetsIn?: number;
  readonly packetsOut?: number;
  /** RTP payload bytes of those packets. */
  readonly bytesIn?: number;
  readonly bytesOut?: number;
  /** Packets resent to subscribers that reported them lost (NACK). */
  readonly retransmitted?: number;
  /** Key frames asked of publishers (PLI). */
  readonly keyFrameRequests?: number;
}

/** A subscription as the router sees it. */
export interface MediaSubscription {
  readonly streamId: string;
  /** Made by the subscribing client, unique within its connection. */
  readonly subscriberId: string;
  /** The subscribing connection. */
  readonly connectionId: string;
}

/**
 * A media forwarder's operations, per session. Every method resolves when the forwarder has
 * done it (or rejects with an Error whose message the client gets in a `nack`); each is called
 * once per operation, in the session's order. `close` of an object cascades (a stream's
 * consumers close with it; a connection's transports, producers and consumers close on leave).
 */
export interface MediaRouter {
  /** A stream was accepted: make room for its producers (router per session, created on first use). */
  onPublish(sessionId: string, stream: StreamInfo): Promise<void>;
  /** A stream ended (any reason): close its producers and every consumer of it. */
  onUnpublish(sessionId: string, streamId: string): Promise<void>;
  /** A subscription was accepted: the subscriber's offer follows through {@link onNegotiation}. */
  onSubscribe(sessionId: string, subscription: MediaSubscription): Promise<void>;
  /** A subscription ended: close its consumers and transport. */
  onUnsubscribe(sessionId: string, subscription: MediaSubscription): Promise<void>;
  /**
   * A negotiation step from a client (`from`): an offer (answer it through the host), or an ICE
   * candidate. An offer on an existing transport is an ICE restart (after the client resumed).
   */
  onNegotiation(sessionId: string, from: string, payload: MediaPayload): Promise<void>;
  /** A connection left the session for good: close everything it had. */
  onLeave(sessionId: string, connectionId: string): Promise<void>;
  /**
   * Objects alive now (nothing left after a stream, subscription or connection ends) and, when
   * the router counts them, what it forwarded: for tests and `/metrics`.
   */
  stats?(): Promise<MediaRouterStats>;
  /** Stop the forwarder (server.close()). */
  close(): Promise<void>;
}

/**
 * How `createServer({ mediaRouter })` builds the router: called once with the host.
 * @example createServer({ mediaRouter: (host) => new WeriftRouter(host) })
 */
export type MediaRouterFactory = (host: MediaRouterHost) => MediaRouter;
