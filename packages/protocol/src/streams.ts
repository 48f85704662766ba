/**
 * Streams on the wire (capability `streams`; PROTOCOL.md §Streams): the stream record, the
 * messages that create, change and end streams, subscriptions, media negotiation and moderation.
 * Field names follow OpenTok's Stream (streamId, connection, creationTime, name, hasAudio,
 * hasVideo, videoType, videoDimensions).
 */

/** What a stream's video is (OpenTok's `videoType`). */
export type VideoType = 'camera' | 'screen' | 'custom';

export const VIDEO_TYPES: readonly VideoType[] = ['camera', 'screen', 'custom'];

/** How a session carries media: between the clients (relayed) or through the server's forwarder (routed). */
export type MediaMode = 'relayed' | 'routed';

/** Width and height of a stream's video, in pixels (0 × 0 when unknown or no video). */
export interface VideoDimensions {
  readonly width: number;
  readonly height: number;
}

/** A published stream, as the wire carries it. */
export interface StreamInfo {
  readonly streamId: string;
  /** The connection that publishes it. */
  readonly connectionId: string;
  /** Milliseconds since the epoch. */
  readonly creationTime: number;
  readonly name: string;
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
  readonly videoType: VideoType;
  readonly videoDimensions: VideoDimensions;
}

/** The stream properties a publisher may change after publishing (`streamPropertyChanged.changedProperty`). */
export type StreamProperty = 'hasAudio' | 'hasVideo' | 'videoDimensions';

/**
 * Why a stream ended (OpenTok's `streamDestroyed.reason`): its publisher unpublished or left
 * (`clientDisconnected`), a moderator or the REST API removed it (`forceUnpublished`), its
 * connection was force-disconnected (`forceDisconnected`), or dropped and never came back
 * (`networkDisconnected`); `serverShutdown` is never sent (everyone is closed then).
 */
export type StreamDestroyReason =
  'clientDisconnected' | 'forceUnpublished' | 'forceDisconnected' | 'networkDisconnected' | 'serverShutdown';

export const STREAM_DESTROY_REASONS: readonly StreamDestroyReason[] = [
  'clientDisconnected',
  'forceUnpublished',
  'forceDisconnected',
  'networkDisconnected',
  'serverShutdown',
];

/** One ICE server (the WebRTC `RTCIceServer` shape): STUN or TURN URLs, with TURN credentials. */
export interface IceServerInfo {
  readonly urls: string | readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

/** An SDP offer or answer (`RTCSessionDescriptionInit`). */
export interface SdpInfo {
  readonly type: 'offer' | 'answer';
  readonly sdp: string;
}

/** An ICE candidate (`RTCIceCandidateInit`); `candidate: ''` is the end of candidates. */
export interface CandidateInfo {
  readonly candidate: string;
  readonly sdpMid?: string | null;
  readonly sdpMLineIndex?: number | null;
}

/**
 * One media negotiation step between two peers of a stream: `sdp` (offer or answer) or
 * `candidate`. `subscriberId` names the subscription (made by its subscriber); null names the
 * publisher's own upload to the forwarder (routed sessions only). The subscriber (or, for its
 * upload, the publisher) always offers; the other peer (the publisher, or the forwarder) answers.
 */
export interface MediaPayload {
  readonly streamId: string;
  readonly subscriberId: string | null;
  readonly sdp?: SdpInfo;
  readonly candidate?: CandidateInfo;
}

// ---------------------------------------------------------------- server → client (sequenced)

/** A stream appeared in the session (another client's, or our own once published). */
export interface StreamCreatedMessage {
  readonly t: 'streamCreated';
  readonly stream: StreamInfo;
}

/** A stream ended; comes before its connection's `connectionDestroyed`. */
export interface StreamDestroyedMessage {
  readonly t: 'streamDestroyed';
  readonly streamId: string;
  readonly reason: StreamDestroyReason;
}

/** A stream's property changed (the publisher toggled audio/video, resized, or was muted). */
export interface StreamPropertyChangedMessage {
  readonly t: 'streamPropertyChanged';
  readonly streamId: string;
  readonly changedProperty: StreamProperty;
  readonly oldValue: boolean | VideoDimensions;
  readonly newValue: boolean | VideoDimensions;
}

/**
 * A moderator (or the REST API) forced this client's audio off (`active: true`; sent to the
 * publisher of each stream muted), or lifted a session-wide force mute (`active: false`, to everyone).
 */
export interface MuteForcedMessage {
  readonly t: 'muteForced';
  readonly active: boolean;
  /** The streams of this client that were muted (empty for `active: false`). */
  readonly streamIds: readonly string[];
}

/** A negotiation step from a peer: another client (`from` its connection ID) or the forwarder (`from: null`). */
export interface MediaMessage extends MediaPayload {
  readonly t: 'media';
  readonly from: string | null;
}

/**
 * A subscription of one of our streams ended (its subscriber unsubscribed or left): close the
 * peer connection that served it. Relayed sessions only; sent to the stream's publisher.
 */
export interface SubscriptionEndedMessage {
  readonly t: 'subscriptionEnded';
  readonly streamId: string;
  readonly subscriberId: string;
}

export type StreamServerMessage =
  | StreamCreatedMessage
  | StreamDestroyedMessage
  | StreamPropertyChangedMessage
  | MuteForcedMessage
  | MediaMessage
  | SubscriptionEndedMessage;

// ---------------------------------------------------------------- client → server (requests)

/** Publish a stream; answered by `reply {data: StreamInfo}` (1500 when the role cannot publish). */
export interface PublishRequest {
  readonly t: 'publish';
  readonly s: number;
  readonly name: string;
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
  readonly videoType: VideoType;
  readonly videoDimensions: VideoDimensions;
}

/** Stop publishing one of our streams (its subscribers get streamDestroyed clientDisconnected). */
export interface UnpublishRequest {
  readonly t: 'unpublish';
  readonly s: number;
  readonly streamId: string;
}

/** Change properties of one of our streams; one `streamPropertyChanged` per property that changed. */
export interface StreamUpdateRequest {
  readonly t: 'streamUpdate';
  readonly s: number;
  readonly streamId: string;
  readonly hasAudio?: boolean;
  readonly hasVideo?: boolean;
  readonly videoDimensions?: VideoDimensions;
}

/** Subscribe to a stream under a subscriber ID the client made (unique within its connection). */
export interface SubscribeRequest {
  readonly t: 'subscribe';
  readonly s: number;
  readonly streamId: string;
  readonly subscriberId: string;
}

export interface UnsubscribeRequest {
  readonly t: 'unsubscribe';
  readonly s: number;
  readonly streamId: string;
  readonly subscriberId: string;
}

/** A negotiation step for the stream's other peer (relayed: the other client; routed: the forwarder). */
export interface MediaRequest extends MediaPayload {
  readonly t: 'media';
  readonly s: number;
}

/** Moderator: end another client's stream (reason forceUnpublished). 1530 for others. */
export interface ForceUnpublishRequest {
  readonly t: 'forceUnpublish';
  readonly s: number;
  readonly streamId: string;
}

/**
 * Moderator: force audio off, for one stream (`streamId`), or for every stream but
 * `excludedStreamIds` and every stream published later until `disableForceMute` (no `streamId`).
 * 1540 for others.
 */
export interface ForceMuteRequest {
  readonly t: 'forceMute';
  readonly s: number;
  readonly streamId?: string;
  readonly excludedStreamIds?: readonly string[];
}

/** Moderator: end a session-wide force mute (streams published later keep their audio). 1540 for others. */
export interface DisableForceMuteRequest {
  readonly t: 'disableForceMute';
  readonly s: number;
}

export type StreamClientRequest =
  | PublishRequest
  | UnpublishRequest
  | StreamUpdateRequest
  | SubscribeRequest
  | UnsubscribeRequest
  | MediaRequest
  | ForceUnpublishRequest
  | ForceMuteRequest
  | DisableForceMuteRequest;

const STREAM_REQUESTS: ReadonlySet<string> = new Set<StreamClientRequest['t']>([
  'publish',
  'unpublish',
  'streamUpdate',
  'subscribe',
  'unsubscribe',
  'media',
  'forceUnpublish',
  'forceMute',
  'disableForceMute',
]);

const STREAM_EVENTS: ReadonlySet<string> = new Set<StreamServerMessage['t']>([
  'subscriptionEnded',
  'streamCreated',
  'streamDestroyed',
  'streamPropertyChanged',
  'muteForced',
  'media',
]);

/** True for a client request type behind the `streams` capability. */
export function isStreamRequestType(t: string): t is StreamClientRequest['t'] {
  return STREAM_REQUESTS.has(t);
}

/** True for a server message type behind the `streams` capability. */
export function isStreamMessageType(t: string): t is StreamServerMessage['t'] {
  return STREAM_EVENTS.has(t);
}

/** Longest stream name, in characters (OpenTok: 1000 with the stream data). */
export const MAX_STREAM_NAME_LENGTH = 1000;
/** Longest SDP accepted from a client, in characters. */
export const MAX_SDP_LENGTH = 64 * 1024;
/** Longest ICE candidate line, and longest stream or subscriber ID, in characters. */
export const MAX_CANDIDATE_LENGTH = 1024;
export const MAX_STREAM_ID_LENGTH = 128;
/** Streams one connection may publish at once. */
export const MAX_STREAMS_PER_CONNECTION = 4;
/**
 * The relayed (mesh) limit: subscribers one stream may have in a relayed session, where each
 * subscription is a peer connection the publisher's client encodes and uploads separately.
 * Past it, `subscribe` is refused with 1605 (StreamLimitExceeded). Routed sessions have no such limit.
 */
export const MAX_RELAYED_SUBSCRIBERS = 8;
/** Negotiation (`media`) requests per connection: sustained per second, and burst. */
export const MEDIA_RATE = Object.freeze({ perSecond: 50, burst: 200 });
