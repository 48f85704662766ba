/// <reference lib="dom" preserve="true" />
/**
 * A Publisher (OpenTok's OTPublisher): the tracks this client sends, and the stream they become
 * once `session.publish(publisher)` resolves. In a relayed session it answers each subscriber's
 * offer with its own peer connection (one upload per subscriber: the mesh); in a routed session
 * it offers one upload to the server's forwarder.
 */
import type { MediaPayload, SdpInfo, CandidateInfo, VideoDimensions, VideoType } from '@parley/protocol';
import type { ParleyError } from './errors.js';
import { MediaEvents } from './media-events.js';
import { Peer } from './peer.js';
import type { Session } from './session.js';
import type { Stream } from './types.js';
import type { StreamDestroyReason } from '@parley/protocol';
import type { MediaContext } from './stream-state.js';

/**
 * Options of a Publisher.
 * @example new Publisher(undefined, { name: 'bot', audioTrack, videoTrack, publishAudio: true })
 */
export interface PublisherOptions {
  /** The stream's name, seen by everyone. @default '' */
  name?: string;
  /** Send audio (the audio track is enabled). @default true */
  publishAudio?: boolean;
  /** Send video (the video track is enabled). @default true */
  publishVideo?: boolean;
  /** The audio track to send; none: from `getUserMedia` at publish time (browsers), or no audio. */
  audioTrack?: MediaStreamTrack | null;
  /** The video track to send; none: from `getUserMedia` at publish time (browsers), or no video. */
  videoTrack?: MediaStreamTrack | null;
  /** @default 'camera' */
  videoType?: VideoType;
  /** What the stream announces as its size. @default 640 × 480 with video, 0 × 0 without */
  videoDimensions?: VideoDimensions;
}

/**
 * How long a routed upload's ICE may stay disconnected (or checking, after a restart) before it
 * restarts ICE: longer than a brief loss libwebrtc rides out by itself, far shorter than its
 * "failed" (which some builds never reach against an ICE-lite forwarder).
 */
const UPLOAD_RESTART_AFTER_MS = 5_000;

/** Events of a Publisher (and the delegate methods called first). */
export interface PublisherEventMap {
  /** The stream is published (`publisherStreamCreated`). */
  streamCreated: { readonly target: Publisher; readonly stream: Stream };
  /** The stream ended: unpublished, force-unpublished, or the session ended (`publisherStreamDestroyed`). */
  streamDestroyed: { readonly target: Publisher; readonly stream: Stream; readonly reason: StreamDestroyReason };
  /** Publishing failed (`publisherDidFailWithError`). */
  error: { readonly target: Publisher; readonly error: ParleyError };
  /** A moderator forced this publisher's audio off (`publisherMuteForced`); `publishAudio` is now false. */
  muteForced: { readonly target: Publisher };
}

/**
 * OpenTok-style callbacks of a Publisher; every method optional.
 * @example new Publisher({ publisherStreamCreated: (_p, s) => console.log('live as', s.streamId) })
 */
export interface PublisherDelegate {
  publisherStreamCreated?(publisher: Publisher, stream: Stream): void;
  publisherStreamDestroyed?(publisher: Publisher, stream: Stream, reason: StreamDestroyReason): void;
  publisherDidFailWithError?(publisher: Publisher, error: ParleyError): void;
  publisherMuteForced?(publisher: Publisher): void;
}

/**
 * @example
 * const publisher = new Publisher(undefined, { name: 'me', audioTrack, videoTrack });
 * const stream = await session.publish(publisher);
 * publisher.publishVideo = false; // others see streamPropertyChanged(hasVideo)
 */
export class Publisher {
  readonly name: string;
  readonly videoType: VideoType;
  #audioTrack: MediaStreamTrack | null;
  #videoTrack: MediaStreamTrack | null;
  #publishAudio: boolean;
  #publishVideo: boolean;
  readonly #dimensions: VideoDimensions | undefined;
  readonly #events: MediaEvents<PublisherEventMap, PublisherDelegate>;
  #stream: Stream | null = null;
  #context: MediaContext | null = null;
  /** Relayed: one peer per subscriber ID. Routed: the upload, under ''. */
  readonly #peers = new Map<string, Peer>();
  /** Routed: an ICE restart of the upload was offered and its answer has not come yet. */
  #restarting = false;
  /** Routed: the upload's ICE is disconnected; when this fires, it restarts. */
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** Routed: the upload's ICE has connected once. */
  #uploadConnected = false;

  constructor(delegate?: PublisherDelegate, options: PublisherOptions = {}) {
    this.name = options.name ?? '';
    this.videoType = options.videoType ?? 'camera';
    this.#audioTrack = options.audioTrack ?? null;
    this.#videoTrack = options.videoTrack ?? null;
    this.#publishAudio = options.publishAudio !== false;
    this.#publishVideo = options.publishVideo !== false;
    this.#dimensions = options.videoDimensions;
    this.#events = new MediaEvents(delegate);
  }

  /** The published stream; null before `session.publish()` resolves and after it ends. */
  get stream(): Stream | null {
    return this.#stream;
  }

  /** The session it publishes into; null when not published. */
  get session(): Session | null {
    return this.#context?.session ?? null;
  }

  get audioTrack(): MediaStreamTrack | null {
    return this.#audioTrack;
  }

  get videoTrack(): MediaStreamTrack | null {
    return this.#videoTrack;
  }

  /** Send audio or not: the track is enabled or disabled, and others see `streamPropertyChanged(hasAudio)`. */
  get publishAudio(): boolean {
    return this.#publishAudio;
  }

  set publishAudio(value: boolean) {
    this.#publishAudio = value;
    if (this.#audioTrack !== null) this.#audioTrack.enabled = value;
    this.#announce({ hasAudio: value && this.#audioTrack !== null });
  }

  /** Send video or not: the track is enabled or disabled, and others see `streamPropertyChanged(hasVideo)`. */
  get publishVideo(): boolean {
    return this.#publishVideo;
  }

  set publishVideo(value: boolean) {
    this.#publishVideo = value;
    if (this.#videoTrack !== null) this.#videoTrack.enabled = value;
    this.#announce({ hasVideo: value && this.#videoTrack !== null });
  }

  /** Listen to an event; returns a function that removes the listener. */
  on<K extends keyof PublisherEventMap>(event: K, listener: (e: PublisherEventMap[K]) => void): () => void {
    return this.#events.emitter.on(event, listener);
  }

  once<K extends keyof PublisherEventMap>(event: K, listener: (e: PublisherEventMap[K]) => void): () => void {
    return this.#events.emitter.once(event, listener);
  }

  off<K extends keyof PublisherEventMap>(event: K, listener: (e: PublisherEventMap[K]) => void): void {
    this.#events.emitter.off(event, listener);
  }

  // ------------------------------------------------------------------ the session's side (@internal)

  /** What `publish` announces, after getting tracks from the devices when none were given. @internal */
  async prepare(context: MediaContext): Promise<{
    name: string;
    hasAudio: boolean;
    hasVideo: boolean;
    videoType: VideoType;
    videoDimensions: VideoDimensions;
  }> {
    const gum = context.webrtc.getUserMedia;
    const wanted = this.#publishAudio || this.#publishVideo;
    if (this.#audioTrack === null && this.#videoTrack === null && gum !== undefined && wanted) {
      const media = await gum({ audio: this.#publishAudio, video: this.#publishVideo });
      this.#audioTrack = media.getAudioTracks()[0] ?? null;
      this.#videoTrack = media.getVideoTracks()[0] ?? null;
    }
    if (this.#audioTrack !== null) this.#audioTrack.enabled = this.#publishAudio;
    if (this.#videoTrack !== null) this.#videoTrack.enabled = this.#publishVideo;
    const hasVideo = this.#publishVideo && this.#videoTrack !== null;
    return {
      name: this.name,
      hasAudio: this.#publishAudio && this.#audioTrack !== null,
      hasVideo,
      videoType: this.videoType,
      videoDimensions:
        this.#dimensions ?? (this.#videoTrack !== null ? { width: 640, height: 480 } : { width: 0, height: 0 }),
    };
  }

  /** The server accepted the stream. In a routed session, offer the upload now. @internal */
  published(stream: Stream, context: MediaContext): void {
    this.#stream = stream;
    this.#context = context;
    this.#events.reportTo(context.report);
    if (context.mediaMode === 'routed') {
      const peer = this.#peer(null, context);
      this.#addTracks(peer, true);
      // A media path that died while our session stayed up: the forwarder (ICE-lite) cannot
      // notice, so the upload restarts ICE itself when ICE fails or stays disconnected.
      peer.pc.oniceconnectionstatechange = () => {
        this.#uploadIce(peer);
      };
      peer.offer();
    }
    this.#events.dispatch('streamCreated', { target: this, stream }, (d) => d.publisherStreamCreated?.(this, stream));
  }

  /** A negotiation step from a subscriber (relayed) or the forwarder (routed). @internal */
  receive(payload: MediaPayload, context: MediaContext): void {
    const key = payload.subscriberId;
    let peer = this.#peers.get(key ?? '');
    if (peer === undefined) {
      // Only a subscriber's first offer opens a peer; a stray candidate or answer is dropped.
      if (payload.sdp?.type !== 'offer' || key === null) return;
      peer = this.#peer(key, context);
    }
    const first = peer.pc.getTransceivers().every((t) => t.sender.track === null);
    peer.receive(
      payload,
      first
        ? () => {
            this.#addTracks(peer, false);
          }
        : undefined,
      key === null
        ? () => {
            this.#restarting = false;
          }
        : undefined,
    );
  }

  /** A subscription of this stream ended: close its peer. @internal */
  dropSubscriber(subscriberId: string): void {
    this.#peers.get(subscriberId)?.close();
    this.#peers.delete(subscriberId);
  }

  /** The publisher's own session resumed: restart the upload's ICE (routed). @internal */
  restart(): void {
    this.#restartUpload();
  }

  /**
   * The upload's ICE state changed: failed restarts at once; disconnected (no answer to our checks
   * for a few seconds) restarts if it lasts {@link UPLOAD_RESTART_AFTER_MS}; connected clears it.
   */
  #uploadIce(peer: Peer): void {
    const state = peer.pc.iceConnectionState;
    if (state === 'connected' || state === 'completed') this.#uploadConnected = true;
    // Before the upload first connects, its first offer is still being answered: no restart.
    if (!this.#uploadConnected) return;
    if (state === 'failed') {
      this.#clearRestartTimer();
      this.#restartUpload();
    } else if (state === 'disconnected' || state === 'checking') {
      this.#restartTimer ??= setTimeout(() => {
        this.#restartTimer = undefined;
        const now = peer.pc.iceConnectionState;
        if (now === 'disconnected' || now === 'checking' || now === 'failed') {
          this.#restarting = false; // the last restart's checks got no answer either: try again
          this.#restartUpload();
          this.#uploadIce(peer); // and watch this one
        }
      }, UPLOAD_RESTART_AFTER_MS);
    } else this.#clearRestartTimer();
  }

  #clearRestartTimer(): void {
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
  }

  /** One ICE restart of the upload at a time: a second offer before the first answer would cross it. */
  #restartUpload(): void {
    const peer = this.#peers.get('');
    if (peer === undefined || peer.closed || this.#restarting) return;
    this.#restarting = true;
    peer.offer(true);
  }

  /** A moderator forced the audio off. @internal */
  muteForced(): void {
    this.#publishAudio = false;
    if (this.#audioTrack !== null) this.#audioTrack.enabled = false;
    this.#events.dispatch('muteForced', { target: this }, (d) => d.publisherMuteForced?.(this));
  }

  /** The stream ended: close every peer, then tell. @internal */
  destroyed(reason: StreamDestroyReason): void {
    this.#clearRestartTimer();
    const stream = this.#stream;
    for (const peer of this.#peers.values()) peer.close();
    this.#peers.clear();
    this.#stream = null;
    this.#context = null;
    if (stream !== null)
      this.#events.dispatch('streamDestroyed', { target: this, stream, reason }, (d) =>
        d.publisherStreamDestroyed?.(this, stream, reason),
      );
  }

  /** Publishing failed. @internal */
  failed(error: ParleyError): void {
    this.#restarting = false; // a refused restart offer gets no answer: the next drop may try again
    this.#events.dispatch('error', { target: this, error }, (d) => d.publisherDidFailWithError?.(this, error));
  }

  #peer(subscriberId: string | null, context: MediaContext): Peer {
    const streamId = (this.#stream as Stream).streamId;
    const send = (step: { sdp: SdpInfo } | { candidate: CandidateInfo }): void => {
      context.sendMedia({ streamId, subscriberId, ...step });
    };
    const peer = new Peer(context.webrtc, context.iceServers, send, (error) => {
      this.failed(context.webrtcError('publisher', error));
    });
    this.#peers.set(subscriberId ?? '', peer);
    return peer;
  }

  /** Attach our tracks: as new send-only transceivers (our own offer), or onto the offer's (an answer). */
  #addTracks(peer: Peer, offering: boolean): void {
    const MediaStreamCtor = this.#context?.webrtc.MediaStream;
    const tracks = [this.#audioTrack, this.#videoTrack].filter((t): t is MediaStreamTrack => t !== null);
    const stream = MediaStreamCtor === undefined ? undefined : new MediaStreamCtor(tracks);
    for (const track of tracks) {
      if (offering) peer.pc.addTransceiver(track, { direction: 'sendonly', ...(stream && { streams: [stream] }) });
      else if (stream !== undefined) peer.pc.addTrack(track, stream);
      else peer.pc.addTrack(track);
    }
  }

  #announce(change: { hasAudio?: boolean; hasVideo?: boolean }): void {
    const stream = this.#stream;
    const context = this.#context;
    if (stream === null || context === null) return;
    context.update(stream.streamId, change).catch((error: unknown) => {
      this.failed(context.asError(error));
    });
  }
}
