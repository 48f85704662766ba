/**
 * The Session's calls that do not move its state machine: its listeners (on, once, off), its
 * requests (signal, forceDisconnect, serverTime) and its stream calls (publish, subscribe,
 * moderation), each passing the session's current status, limits and granted capabilities to
 * {@link Requests} or {@link SessionStreams}, which check them and send. The connection state
 * machine they read is the Session's own (session.ts); nothing here changes it.
 */
import type { WireCapability, WireLimits } from '@parley/protocol';
import type { SessionEventMap, SessionEventName, SessionListener, TypedEmitter } from './events.js';
import type { Publisher } from './publisher.js';
import type { Requests } from './requests.js';
import type { SessionStreams } from './session-streams.js';
import type { StreamState } from './stream-state.js';
import type { Subscriber, SubscriberDelegate, SubscriberOptions } from './subscriber.js';
import type { Connection, SessionConnectionStatus, SignalOptions, Stream } from './types.js';

/** The part of {@link Session} that sends requests; the Session extends it. @internal */
export abstract class SessionCalls {
  protected abstract readonly emitter: TypedEmitter<SessionEventMap>;
  /** The requests waiting for ack/nack, and how each kind is checked and sent. */
  protected abstract readonly requests: Requests;
  /** The streams, our publishers and subscribers (capability `streams`). */
  protected abstract readonly media: StreamState;
  protected abstract readonly mediaOps: SessionStreams;
  /** The limits the server gave at the join (null before). */
  protected abstract readonly wireLimits: WireLimits | null;
  abstract get connectionStatus(): SessionConnectionStatus;
  abstract get protocolCapabilities(): readonly WireCapability[];

  /**
   * Listen to an event; returns a function that removes the listener.
   * @example const off = session.on('connectionCreated', ({ connection }) => add(connection)); off();
   */
  on<K extends SessionEventName>(event: K, listener: SessionListener<K>): () => void {
    return this.emitter.on(event, listener);
  }

  /** Listen to the next occurrence of an event only. @example session.once('sessionConnected', () => ready()); */
  once<K extends SessionEventName>(event: K, listener: SessionListener<K>): () => void {
    return this.emitter.once(event, listener);
  }

  /** Remove a listener added with `on`. @example session.off('signal', onSignal); */
  off<K extends SessionEventName>(event: K, listener: SessionListener<K>): void {
    this.emitter.off(event, listener);
  }

  /**
   * Send a signal to everyone (including us) or to one connection. Resolves when the server has
   * accepted it (not when anyone received it).
   * @example await session.signal({ type: 'chat', data: 'hi', to: session.connections.get(id) });
   */
  signal(options: SignalOptions = {}): Promise<void> {
    return this.requests.signal(options, this.connectionStatus, this.wireLimits);
  }

  /**
   * Disconnect another client (moderators only): 1520 when not permitted, 1010 when not
   * connected, 404 when the connection is not in the session.
   * @example await session.forceDisconnect(connection);
   */
  forceDisconnect(connection: Connection | string): Promise<void> {
    return this.requests.forceDisconnect(connection, this.connectionStatus);
  }

  /**
   * The server's clock, in milliseconds since the epoch, as it was when the server processed the
   * request (a `time` request answered by a `reply`): with the round trip, an estimate of this
   * clock's offset from the server's. 1010 when not connected; 1015 when the server does not grant
   * the `reply` capability (a server built before capabilities).
   * @example const before = Date.now(); const server = await session.serverTime(); const offset = server - (before + Date.now()) / 2;
   */
  serverTime(): Promise<number> {
    return this.requests.time(this.connectionStatus, this.protocolCapabilities);
  }

  /**
   * The other clients' streams, by stream ID (never our own: those are our publishers' `stream`).
   * @example for (const stream of session.streams.values()) session.subscribe(stream);
   */
  get streams(): ReadonlyMap<string, Stream> {
    return this.media.streams;
  }

  /** How this session carries media: 'relayed' (between clients) or 'routed' (through the server); from the join. */
  get mediaMode(): 'relayed' | 'routed' {
    return this.media.mediaMode;
  }

  /**
   * Publish a Publisher's tracks. Resolves with the stream (after `publisherStreamCreated`);
   * rejects with 1010 (not connected), 1500 (the role may not publish), 1015 (already publishing,
   * or a server without streams), 1011 (no WebRTC implementation).
   * @example const stream = await session.publish(new Publisher(undefined, { audioTrack, videoTrack }));
   */
  publish(publisher: Publisher): Promise<Stream> {
    return this.mediaOps.publish(publisher);
  }

  /** Stop publishing: everyone gets `streamDestroyed` (clientDisconnected), the publisher `publisherStreamDestroyed`. */
  unpublish(publisher: Publisher): Promise<void> {
    return this.mediaOps.unpublish(publisher);
  }

  /**
   * Subscribe to another client's stream. Returns the Subscriber at once; it fires
   * `subscriberDidConnectToStream` when media flows, `subscriberDidFailWithError` when the server
   * refuses (1605 past the relayed mesh limit) or WebRTC fails. Throws 1010, 1501 (role), 1604
   * (unknown stream), 1011.
   * @example session.subscribe(stream, { subscriberDidConnectToStream: (s) => show(s.mediaStream) });
   */
  subscribe(stream: Stream, delegate?: SubscriberDelegate, options?: SubscriberOptions): Subscriber {
    return this.mediaOps.subscribe(stream, delegate, options);
  }

  /** End a subscription (its peer connection closes at once). */
  unsubscribe(subscriber: Subscriber): Promise<void> {
    return this.mediaOps.unsubscribe(subscriber);
  }

  /**
   * The Publisher of ours that publishes `stream` (a Stream or its ID), or undefined (another
   * client's stream, or one that ended). Throws 1011 for anything but a Stream or a non-empty ID.
   * @example const mine = session.getPublisherForStream(streamId); if (mine) await session.unpublish(mine);
   */
  getPublisherForStream(stream: Stream | string): Publisher | undefined {
    return this.mediaOps.publisherFor(stream);
  }

  /**
   * Our Subscribers of `stream` (a Stream or its ID), oldest first: empty when we do not subscribe
   * to it (any more). Throws 1011 for anything but a Stream or a non-empty ID.
   * @example for (const s of session.getSubscribersForStream(stream)) await session.unsubscribe(s);
   */
  getSubscribersForStream(stream: Stream | string): Subscriber[] {
    return this.mediaOps.subscribersFor(stream);
  }

  /** Moderators: end another client's stream (reason forceUnpublished). 1530 for others, 404 unknown stream. */
  forceUnpublish(stream: Stream | string): Promise<void> {
    return this.mediaOps.forceUnpublish(stream);
  }

  /** Moderators: force one stream's audio off (its publisher gets muteForced). 1540 for others. */
  forceMuteStream(stream: Stream | string): Promise<void> {
    return this.mediaOps.forceMuteStream(stream);
  }

  /** Moderators: force every stream's audio off but `excluded`, and streams published later, until disableForceMute(). 1540 for others. */
  forceMuteAll(excluded?: readonly (Stream | string)[]): Promise<void> {
    return this.mediaOps.forceMuteAll(excluded);
  }

  /** Moderators: end a session-wide force mute (everyone gets muteForced {active: false}). 1540 for others. */
  disableForceMute(): Promise<void> {
    return this.mediaOps.disableForceMute();
  }
}
