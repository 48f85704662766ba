/**
 * The session's streams: the other clients' streams (`session.streams`), our publishers and our
 * subscribers. Fed by `welcome` and the sequenced stream messages (capability `streams`); it fires
 * `streamCreated`, `streamDestroyed`, `streamPropertyChanged` and `muteForced` through the
 * session's dispatch and routes `media` steps to the publisher or subscriber they name.
 */
import {
  decodeStreamInfo,
  SessionErrorCode,
  type IceServerInfo,
  type MediaMode,
  type MediaPayload,
  type StreamDestroyReason,
  type StreamInfo,
  type StreamServerMessage,
  type VideoDimensions,
  type WelcomeMessage,
  type WireCapability,
} from '@parley/protocol';
import type { Dispatch } from './dispatch.js';
import { ParleyError } from './errors.js';
import type { Publisher } from './publisher.js';
import type { Requests } from './requests.js';
import type { Roster } from './roster.js';
import type { Session } from './session.js';
import type { Subscriber } from './subscriber.js';
import type { SessionConnectionStatus, Stream } from './types.js';
import type { WebRtc } from './webrtc.js';

/** A Stream whose properties the session updates in place. */
type LiveStream = { -readonly [K in keyof Stream]: Stream[K] };

/** Media steps for a stream we do not know yet (a race with our own publish): kept, bounded. */
const MAX_ORPHANS = 256;

/** What publishers and subscribers need from their session. @internal */
export interface MediaContext {
  readonly session: Session;
  readonly webrtc: WebRtc;
  readonly iceServers: readonly IceServerInfo[];
  readonly mediaMode: MediaMode;
  sendMedia(payload: MediaPayload): void;
  update(streamId: string, change: { hasAudio?: boolean; hasVideo?: boolean }): Promise<void>;
  readonly report: (error: unknown, event: string) => void;
  webrtcError(side: 'publisher' | 'subscriber', error: unknown): ParleyError;
  asError(error: unknown): ParleyError;
}

/** The session's parts the stream state uses. @internal */
export interface StreamStateHost {
  readonly session: Session;
  readonly dispatch: Dispatch;
  readonly requests: Requests;
  readonly roster: Roster;
  readonly webrtc: WebRtc | undefined;
  readonly report: (error: unknown, event: string) => void;
  status(): SessionConnectionStatus;
  granted(): readonly WireCapability[];
}

/** @internal */
export class StreamState implements MediaContext {
  readonly streams = new Map<string, LiveStream>();
  readonly publishers = new Map<string, Publisher>();
  readonly subscribers = new Map<string, Subscriber>();
  mediaMode: MediaMode = 'relayed';
  iceServers: readonly IceServerInfo[] = [];
  #orphans: MediaPayload[] = [];

  constructor(private readonly host: StreamStateHost) {}

  get session(): Session {
    return this.host.session;
  }

  get webrtc(): WebRtc {
    const webrtc = this.host.webrtc;
    if (webrtc === undefined)
      throw ParleyError.invalidParameter('no WebRTC implementation: pass options.webrtc (e.g. @roamhq/wrtc in Node)');
    return webrtc;
  }

  readonly report = (error: unknown, event: string): void => {
    this.host.report(error, event);
  };

  /** Throw 1011 when there is no WebRTC implementation (before anything is asked of the server). */
  checkWebRtc(): void {
    if (this.host.webrtc === undefined)
      throw ParleyError.invalidParameter('no WebRTC implementation: pass options.webrtc (e.g. @roamhq/wrtc in Node)');
  }

  /** A join: the mode, the ICE servers; the streams present are announced by {@link announceWelcome}. */
  joined(welcome: WelcomeMessage): void {
    this.reset('clientDisconnected');
    this.mediaMode = welcome.mediaMode ?? 'relayed';
    this.iceServers = welcome.iceServers ?? [];
  }

  /** `streamCreated` for each stream present at the join (after the connections). */
  announceWelcome(welcome: WelcomeMessage): void {
    for (const info of welcome.streams ?? []) this.#created(info);
  }

  /** The session ended: every publisher's stream and every subscription ends with it, silently for the session. */
  reset(reason: 'clientDisconnected' | 'networkDisconnected' | 'forceDisconnected'): void {
    const publishers = [...this.publishers.values()];
    const subscribers = [...this.subscribers.values()];
    this.publishers.clear();
    this.subscribers.clear();
    this.streams.clear();
    this.#orphans = [];
    for (const s of subscribers) s.end(reason);
    for (const p of publishers) p.destroyed(reason);
  }

  /** One stream message of an established connection. */
  apply(m: StreamServerMessage): void {
    switch (m.t) {
      case 'streamCreated':
        this.#created(m.stream);
        return;
      case 'streamDestroyed':
        this.#destroyed(m.streamId, m.reason);
        return;
      case 'streamPropertyChanged': {
        const found = this.streams.get(m.streamId) ?? this.publishers.get(m.streamId)?.stream ?? undefined;
        if (found === undefined) return;
        // Our own streams are the same live objects (made by makeStream); the type only hides it.
        const stream: LiveStream = found;
        if (m.changedProperty === 'videoDimensions') stream.videoDimensions = m.newValue as VideoDimensions;
        else stream[m.changedProperty] = m.newValue as boolean;
        const { changedProperty, oldValue, newValue } = m;
        this.host.dispatch('streamPropertyChanged', {
          target: this.session,
          stream,
          changedProperty,
          oldValue,
          newValue,
        });
        if (changedProperty === 'hasVideo')
          for (const s of this.subscribers.values()) if (s.stream === stream) s.publisherVideo(newValue as boolean);
        return;
      }
      case 'muteForced':
        for (const id of m.streamIds) this.publishers.get(id)?.muteForced();
        this.host.dispatch('muteForced', { target: this.session, active: m.active });
        return;
      case 'media':
        this.#media(m);
        return;
      case 'subscriptionEnded':
        this.publishers.get(m.streamId)?.dropSubscriber(m.subscriberId);
        return;
    }
  }

  /** Another client's transport dropped (`publisher` interruption of its streams) or came back. */
  connectionChanged(connectionId: string, reconnecting: boolean): void {
    for (const s of this.subscribers.values()) {
      if (s.stream.connection.connectionId !== connectionId) continue;
      if (reconnecting) s.interrupt('publisher');
      else s.resume('publisher');
    }
  }

  /** Our own transport dropped, or the session resumed. */
  sessionChanged(reconnecting: boolean): void {
    for (const s of this.subscribers.values()) {
      if (reconnecting) s.interrupt('session');
      else s.resume('session');
    }
    if (!reconnecting) for (const p of this.publishers.values()) p.restart();
  }

  // ------------------------------------------------------------------ MediaContext

  sendMedia(payload: MediaPayload): void {
    this.host.requests
      .request({ t: 'media', ...payload }, this.host.status(), this.host.granted())
      .catch((error: unknown) => {
        const e = this.asError(error);
        // A stream that ended meanwhile is not a failure: its streamDestroyed is on its way.
        if (e.code === SessionErrorCode.StreamNotFound || e.code === SessionErrorCode.NotConnected) return;
        const sub = payload.subscriberId === null ? undefined : this.subscribers.get(payload.subscriberId);
        if (sub !== undefined) sub.failed(e);
        else this.publishers.get(payload.streamId)?.failed(e);
      });
  }

  async update(streamId: string, change: { hasAudio?: boolean; hasVideo?: boolean }): Promise<void> {
    await this.host.requests.request(
      { t: 'streamUpdate', streamId, ...change },
      this.host.status(),
      this.host.granted(),
    );
  }

  webrtcError(side: 'publisher' | 'subscriber', error: unknown): ParleyError {
    const code = side === 'publisher' ? SessionErrorCode.PublisherWebRTCError : SessionErrorCode.SubscriberWebRTCError;
    return new ParleyError(code, `WebRTC failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }

  asError(error: unknown): ParleyError {
    if (error instanceof ParleyError) return error;
    return new ParleyError(SessionErrorCode.InternalError, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }

  // ------------------------------------------------------------------ internals

  /** Make a stream object from the wire record (its connection from the roster). */
  makeStream(info: StreamInfo): LiveStream {
    const { streamId, creationTime, name, hasAudio, hasVideo, videoType, videoDimensions } = info;
    const connection = this.host.roster.sender(info.connectionId);
    return { streamId, connection, creationTime, name, hasAudio, hasVideo, videoType, videoDimensions };
  }

  /** Our publish was accepted: the publisher answers the media steps of its stream from now on. */
  adopt(data: unknown, publisher: Publisher): Stream {
    const stream = this.makeStream(decodeStreamInfo(data));
    this.publishers.set(stream.streamId, publisher);
    publisher.published(stream, this);
    // A session-wide force mute in force: the server accepted the stream without audio.
    if (!stream.hasAudio && publisher.publishAudio && publisher.audioTrack !== null) publisher.muteForced();
    const orphans = this.#orphans;
    this.#orphans = [];
    for (const m of orphans) this.#media(m);
    return stream;
  }

  #created(info: StreamInfo): void {
    if (this.streams.has(info.streamId) || this.publishers.has(info.streamId)) return;
    const stream = this.makeStream(info);
    this.streams.set(info.streamId, stream);
    this.host.dispatch('streamCreated', { target: this.session, stream });
  }

  #destroyed(streamId: string, reason: StreamDestroyReason): void {
    const publisher = this.publishers.get(streamId);
    if (publisher !== undefined) {
      this.publishers.delete(streamId);
      publisher.destroyed(reason);
      return;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    for (const [id, s] of this.subscribers) {
      if (s.stream !== stream) continue;
      this.subscribers.delete(id);
      s.end(reason);
    }
    this.streams.delete(streamId);
    this.host.dispatch('streamDestroyed', { target: this.session, stream, reason });
  }

  #media(m: MediaPayload): void {
    const sub = m.subscriberId === null ? undefined : this.subscribers.get(m.subscriberId);
    if (sub !== undefined && sub.stream.streamId === m.streamId) {
      sub.receive(m);
      return;
    }
    const publisher = this.publishers.get(m.streamId);
    if (publisher !== undefined) publisher.receive(m, this);
    else if (this.#orphans.length < MAX_ORPHANS) this.#orphans.push(m);
  }
}
