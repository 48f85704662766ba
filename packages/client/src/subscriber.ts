/// <reference lib="dom" preserve="true" />
/**
 * A Subscriber (OpenTok's OTSubscriber): one subscription to another client's stream, its peer
 * connection (to the publisher's client when relayed, to the forwarder when routed; the
 * subscriber always offers) and the remote MediaStream.
 *
 * Interruptions, as the seed says: when the stream's publisher drops (its connection is
 * reconnecting), or our own session does, or ICE disconnects, `subscriberDidDisconnectFromStream`
 * fires once; when everything is back the subscriber restarts ICE and, once media can flow
 * again, `subscriberDidReconnectToStream` fires. Same stream, same stream ID throughout.
 */
import type { CandidateInfo, MediaPayload, SdpInfo, StreamDestroyReason } from '@parley/protocol';
import type { ParleyError } from './errors.js';
import { MediaEvents } from './media-events.js';
import { Peer } from './peer.js';
import type { Stream } from './types.js';
import type { MediaContext } from './stream-state.js';

/** Options of `session.subscribe()`. @example session.subscribe(stream, undefined, { subscribeToVideo: false }) */
export interface SubscriberOptions {
  /** Play the stream's audio. @default true */
  subscribeToAudio?: boolean;
  /** Receive the stream's video. @default true */
  subscribeToVideo?: boolean;
}

/** Why a subscriber's video was disabled or enabled (OpenTok's reasons). */
export type SubscriberVideoEventReason = 'publishVideo' | 'subscribeToVideo' | 'quality';

/** Events of a Subscriber (and the delegate methods called first). */
export interface SubscriberEventMap {
  /** Media flows (`subscriberDidConnectToStream`). */
  connected: { readonly target: Subscriber };
  /** The stream was interrupted (`subscriberDidDisconnectFromStream`). */
  disconnected: { readonly target: Subscriber };
  /** Media flows again after an interruption (`subscriberDidReconnectToStream`). */
  reconnected: { readonly target: Subscriber };
  /** The subscription failed (`subscriberDidFailWithError`). */
  error: { readonly target: Subscriber; readonly error: ParleyError };
  videoDisabled: { readonly target: Subscriber; readonly reason: SubscriberVideoEventReason };
  videoEnabled: { readonly target: Subscriber; readonly reason: SubscriberVideoEventReason };
  /** The subscription ended: unsubscribed, or the stream ended (`reason`). */
  destroyed: { readonly target: Subscriber; readonly reason: StreamDestroyReason | 'unsubscribed' };
}

/** OpenTok-style callbacks of a Subscriber; every method optional. */
export interface SubscriberDelegate {
  subscriberDidConnectToStream?(subscriber: Subscriber): void;
  subscriberDidDisconnectFromStream?(subscriber: Subscriber): void;
  subscriberDidReconnectToStream?(subscriber: Subscriber): void;
  subscriberDidFailWithError?(subscriber: Subscriber, error: ParleyError): void;
  subscriberVideoDisabled?(subscriber: Subscriber, reason: SubscriberVideoEventReason): void;
  subscriberVideoEnabled?(subscriber: Subscriber, reason: SubscriberVideoEventReason): void;
}

/** What holds an interruption open. */
type Cause = 'publisher' | 'session' | 'ice';

/**
 * @example
 * const subscriber = session.subscribe(stream, { subscriberDidConnectToStream: (s) => play(s.mediaStream) });
 */
export class Subscriber {
  readonly #events: MediaEvents<SubscriberEventMap, SubscriberDelegate>;
  #peer: Peer | null = null;
  #media: MediaStream | null = null;
  #audio: boolean;
  #video: boolean;
  #connected = false;
  #interrupted = false;
  #restarting = false;
  readonly #causes = new Set<Cause>();
  #ended = false;

  /** @internal */
  constructor(
    readonly stream: Stream,
    /** Made by this client, unique within its connection; names the subscription on the wire. */
    readonly subscriberId: string,
    private readonly context: MediaContext,
    delegate: SubscriberDelegate | undefined,
    options: SubscriberOptions,
  ) {
    this.#events = new MediaEvents(delegate);
    this.#events.reportTo(context.report);
    this.#audio = options.subscribeToAudio !== false;
    this.#video = options.subscribeToVideo !== false;
  }

  /** The remote tracks, once the first arrives; null before and after the subscription. */
  get mediaStream(): MediaStream | null {
    return this.#media;
  }

  /** The peer connection (for `getStats()`); null before the subscription is accepted and after it ends. */
  get peerConnection(): RTCPeerConnection | null {
    return this.#peer?.pc ?? null;
  }

  /** True while media flows (between connected/reconnected and disconnected). */
  get isConnected(): boolean {
    return this.#connected && !this.#interrupted;
  }

  get subscribeToAudio(): boolean {
    return this.#audio;
  }

  /** Play the audio or not (the remote audio track is enabled or disabled). */
  set subscribeToAudio(value: boolean) {
    this.#audio = value;
    for (const t of this.#media?.getAudioTracks() ?? []) t.enabled = value;
  }

  get subscribeToVideo(): boolean {
    return this.#video;
  }

  /** Receive the video or not; fires videoDisabled / videoEnabled with reason `subscribeToVideo`. */
  set subscribeToVideo(value: boolean) {
    if (value === this.#video) return;
    this.#video = value;
    for (const t of this.#media?.getVideoTracks() ?? []) t.enabled = value;
    if (this.stream.hasVideo) this.#videoChanged(value, 'subscribeToVideo');
  }

  on<K extends keyof SubscriberEventMap>(event: K, listener: (e: SubscriberEventMap[K]) => void): () => void {
    return this.#events.emitter.on(event, listener);
  }

  once<K extends keyof SubscriberEventMap>(event: K, listener: (e: SubscriberEventMap[K]) => void): () => void {
    return this.#events.emitter.once(event, listener);
  }

  off<K extends keyof SubscriberEventMap>(event: K, listener: (e: SubscriberEventMap[K]) => void): void {
    this.#events.emitter.off(event, listener);
  }

  // ------------------------------------------------------------------ the session's side (@internal)

  /** The server accepted the subscription: open the peer and offer to receive. @internal */
  start(): void {
    if (this.#ended) return;
    const send = (step: { sdp: SdpInfo } | { candidate: CandidateInfo }): void => {
      this.context.sendMedia({ streamId: this.stream.streamId, subscriberId: this.subscriberId, ...step });
    };
    const peer = new Peer(this.context.webrtc, this.context.iceServers, send, (error) => {
      this.failed(this.context.webrtcError('subscriber', error));
    });
    this.#peer = peer;
    peer.pc.addTransceiver('audio', { direction: 'recvonly' });
    peer.pc.addTransceiver('video', { direction: 'recvonly' });
    peer.pc.ontrack = (e) => {
      this.#track(e.track, e.streams[0]);
    };
    peer.pc.oniceconnectionstatechange = () => {
      this.#ice(peer.pc.iceConnectionState);
    };
    peer.offer();
  }

  /** A negotiation step from the publisher or the forwarder. @internal */
  receive(payload: MediaPayload): void {
    this.#peer?.receive(payload, undefined, () => {
      if (!this.#restarting) return;
      this.#restarting = false;
      this.#settle();
    });
  }

  /** Something the stream needs went away (`publisher`: its connection is reconnecting; `session`: ours). @internal */
  interrupt(cause: 'publisher' | 'session'): void {
    this.#interrupt(cause);
  }

  /** It came back: restart ICE once nothing else holds the interruption. @internal */
  resume(cause: 'publisher' | 'session'): void {
    if (!this.#causes.delete(cause) || this.#ended) return;
    if (this.#causes.has('publisher') || this.#causes.has('session')) return;
    this.#restarting = true;
    this.#peer?.offer(true);
  }

  /** The stream's hasVideo changed (the publisher's `publishVideo`). @internal */
  publisherVideo(hasVideo: boolean): void {
    if (this.#video) this.#videoChanged(hasVideo, 'publishVideo');
  }

  /** The subscription failed. @internal */
  failed(error: ParleyError): void {
    this.#events.dispatch('error', { target: this, error }, (d) => d.subscriberDidFailWithError?.(this, error));
  }

  /** The subscription ended: close the peer, then tell (`destroyed`). @internal */
  end(reason: StreamDestroyReason | 'unsubscribed'): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#peer?.close();
    this.#peer = null;
    this.#events.emitter.emit('destroyed', { target: this, reason });
  }

  #track(track: MediaStreamTrack, stream: MediaStream | undefined): void {
    if (this.#media === null) {
      const Ctor = this.context.webrtc.MediaStream;
      this.#media = stream ?? (Ctor === undefined ? null : new Ctor());
    }
    const media = this.#media;
    if (media !== null && !media.getTracks().some((t) => t.id === track.id)) media.addTrack(track);
    track.enabled = track.kind === 'audio' ? this.#audio : this.#video;
  }

  #ice(state: RTCIceConnectionState): void {
    if (this.#ended) return;
    if (state === 'connected' || state === 'completed') {
      this.#causes.delete('ice');
      this.#settle();
    } else if (state === 'disconnected' || state === 'failed') {
      this.#interrupt('ice');
      // A failed path needs a restart; a disconnected one may recover by itself.
      if (state === 'failed' && !this.#causes.has('publisher') && !this.#causes.has('session')) {
        this.#restarting = true;
        this.#peer?.offer(true);
      }
    }
  }

  /** Media can flow when ICE is connected, nothing holds an interruption and no restart is waiting for its answer. */
  #settle(): void {
    const state = this.#peer?.pc.iceConnectionState;
    if ((state !== 'connected' && state !== 'completed') || this.#causes.size > 0 || this.#restarting) return;
    if (!this.#connected) {
      this.#connected = true;
      // The receivers' tracks, in case `track` events have not been dispatched yet (wrtc may deliver them late).
      for (const t of this.#peer?.pc.getTransceivers() ?? [])
        if (t.currentDirection === 'recvonly' || t.currentDirection === 'sendrecv')
          this.#track(t.receiver.track, undefined);
      this.#events.dispatch('connected', { target: this }, (d) => d.subscriberDidConnectToStream?.(this));
    } else if (this.#interrupted) {
      this.#interrupted = false;
      this.#events.dispatch('reconnected', { target: this }, (d) => d.subscriberDidReconnectToStream?.(this));
    }
  }

  #interrupt(cause: Cause): void {
    if (this.#ended) return;
    this.#causes.add(cause);
    if (!this.#connected || this.#interrupted) return;
    this.#interrupted = true;
    this.#events.dispatch('disconnected', { target: this }, (d) => d.subscriberDidDisconnectFromStream?.(this));
  }

  #videoChanged(enabled: boolean, reason: SubscriberVideoEventReason): void {
    if (enabled)
      this.#events.dispatch('videoEnabled', { target: this, reason }, (d) => d.subscriberVideoEnabled?.(this, reason));
    else
      this.#events.dispatch('videoDisabled', { target: this, reason }, (d) =>
        d.subscriberVideoDisabled?.(this, reason),
      );
  }
}
