/**
 * Decoding of the `streams` capability's messages (PROTOCOL.md §Streams), both directions. Like
 * codec.ts: structure and field types only (a wrong type is a ProtocolError, close 4002); sizes,
 * roles and existence are the server's checks, answered with a `nack`.
 */
import { ProtocolError } from './protocol-error.js';
import {
  STREAM_DESTROY_REASONS,
  VIDEO_TYPES,
  type CandidateInfo,
  type IceServerInfo,
  type MediaMode,
  type MediaPayload,
  type SdpInfo,
  type StreamClientRequest,
  type StreamDestroyReason,
  type StreamInfo,
  type StreamProperty,
  type StreamServerMessage,
  type VideoDimensions,
  type VideoType,
} from './streams.js';

type Obj = Record<string, unknown>;

function str(o: Obj, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new ProtocolError(`"${key}" must be a string`);
  return v;
}

function bool(o: Obj, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new ProtocolError(`"${key}" must be a boolean`);
  return v;
}

function optBool(o: Obj, key: string): boolean | undefined {
  return o[key] === undefined ? undefined : bool(o, key);
}

function obj(v: unknown, key: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProtocolError(`"${key}" must be an object`);
  return v as Obj;
}

function seq(o: Obj): number {
  const v = o.s;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ProtocolError('"s" must be a non-negative integer');
  }
  return v;
}

function dimensions(v: unknown, key = 'videoDimensions'): VideoDimensions {
  const o = obj(v, key);
  const { width, height } = o;
  if (typeof width !== 'number' || typeof height !== 'number' || !(width >= 0) || !(height >= 0)) {
    throw new ProtocolError(`"${key}" must have non-negative numbers width and height`);
  }
  return { width, height };
}

function videoType(o: Obj): VideoType {
  const v = o.videoType;
  if (typeof v === 'string' && (VIDEO_TYPES as readonly string[]).includes(v)) return v as VideoType;
  throw new ProtocolError('"videoType" must be camera, screen or custom');
}

function stringArray(v: unknown, key: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new ProtocolError(`"${key}" must be an array of strings`);
  }
  return v;
}

function sdp(v: unknown): SdpInfo {
  const o = obj(v, 'sdp');
  if (o.type !== 'offer' && o.type !== 'answer') throw new ProtocolError('"sdp.type" must be offer or answer');
  return { type: o.type, sdp: str(o, 'sdp') };
}

function candidate(v: unknown): CandidateInfo {
  const o = obj(v, 'candidate');
  const mid = o.sdpMid;
  const index = o.sdpMLineIndex;
  if (mid !== undefined && mid !== null && typeof mid !== 'string')
    throw new ProtocolError('"sdpMid" must be a string');
  if (index !== undefined && index !== null && (typeof index !== 'number' || !Number.isInteger(index)))
    throw new ProtocolError('"sdpMLineIndex" must be an integer');
  return {
    candidate: str(o, 'candidate'),
    ...(mid !== undefined && { sdpMid: mid }),
    ...(index !== undefined && { sdpMLineIndex: index }),
  };
}

/** The negotiation fields of a `media` message (either direction). */
function mediaPayload(o: Obj): MediaPayload {
  const subscriberId = o.subscriberId === null || o.subscriberId === undefined ? null : str(o, 'subscriberId');
  const hasSdp = o.sdp !== undefined && o.sdp !== null;
  const hasCandidate = o.candidate !== undefined && o.candidate !== null;
  if (hasSdp === hasCandidate) throw new ProtocolError('"media" carries exactly one of sdp and candidate');
  return {
    streamId: str(o, 'streamId'),
    subscriberId,
    ...(hasSdp ? { sdp: sdp(o.sdp) } : { candidate: candidate(o.candidate) }),
  };
}

/** Decode a stream request (its `t` already known to be one); undefined for another type. @internal */
export function decodeStreamRequest(o: Obj): StreamClientRequest | undefined {
  switch (o.t) {
    case 'publish':
      return {
        t: 'publish',
        s: seq(o),
        name: o.name === undefined ? '' : str(o, 'name'),
        hasAudio: bool(o, 'hasAudio'),
        hasVideo: bool(o, 'hasVideo'),
        videoType: videoType(o),
        videoDimensions: o.videoDimensions === undefined ? { width: 0, height: 0 } : dimensions(o.videoDimensions),
      };
    case 'unpublish':
    case 'forceUnpublish':
      return { t: o.t, s: seq(o), streamId: str(o, 'streamId') };
    case 'streamUpdate': {
      const hasAudio = optBool(o, 'hasAudio');
      const hasVideo = optBool(o, 'hasVideo');
      const dims = o.videoDimensions === undefined ? undefined : dimensions(o.videoDimensions);
      return {
        t: 'streamUpdate',
        s: seq(o),
        streamId: str(o, 'streamId'),
        ...(hasAudio !== undefined && { hasAudio }),
        ...(hasVideo !== undefined && { hasVideo }),
        ...(dims !== undefined && { videoDimensions: dims }),
      };
    }
    case 'subscribe':
    case 'unsubscribe':
      return { t: o.t, s: seq(o), streamId: str(o, 'streamId'), subscriberId: str(o, 'subscriberId') };
    case 'media':
      return { t: 'media', s: seq(o), ...mediaPayload(o) };
    case 'forceMute': {
      const streamId = o.streamId === undefined ? undefined : str(o, 'streamId');
      const excluded =
        o.excludedStreamIds === undefined ? undefined : stringArray(o.excludedStreamIds, 'excludedStreamIds');
      return {
        t: 'forceMute',
        s: seq(o),
        ...(streamId !== undefined && { streamId }),
        ...(excluded !== undefined && { excludedStreamIds: excluded }),
      };
    }
    case 'disableForceMute':
      return { t: 'disableForceMute', s: seq(o) };
    default:
      return undefined;
  }
}

/** A stream record from the server. */
export function decodeStreamInfo(v: unknown): StreamInfo {
  const o = obj(v, 'stream');
  const creationTime = o.creationTime;
  if (typeof creationTime !== 'number') throw new ProtocolError('"creationTime" must be a number');
  return {
    streamId: str(o, 'streamId'),
    connectionId: str(o, 'connectionId'),
    creationTime,
    name: str(o, 'name'),
    hasAudio: bool(o, 'hasAudio'),
    hasVideo: bool(o, 'hasVideo'),
    videoType: videoType(o),
    videoDimensions: dimensions(o.videoDimensions),
  };
}

function destroyReason(o: Obj): StreamDestroyReason {
  const r = o.reason;
  if (typeof r === 'string' && (STREAM_DESTROY_REASONS as readonly string[]).includes(r))
    return r as StreamDestroyReason;
  throw new ProtocolError('"reason" is not a known stream destroy reason');
}

function property(o: Obj): StreamProperty {
  const p = o.changedProperty;
  if (p === 'hasAudio' || p === 'hasVideo' || p === 'videoDimensions') return p;
  throw new ProtocolError('"changedProperty" is not a known stream property');
}

/** Decode a stream message from the server; undefined for another type. @internal */
export function decodeStreamMessage(o: Obj): StreamServerMessage | undefined {
  switch (o.t) {
    case 'streamCreated':
      return { t: 'streamCreated', stream: decodeStreamInfo(o.stream) };
    case 'streamDestroyed':
      return { t: 'streamDestroyed', streamId: str(o, 'streamId'), reason: destroyReason(o) };
    case 'streamPropertyChanged': {
      const changedProperty = property(o);
      const value = (v: unknown, key: string): boolean | VideoDimensions =>
        changedProperty === 'videoDimensions' ? dimensions(v, key) : bool(o, key);
      return {
        t: 'streamPropertyChanged',
        streamId: str(o, 'streamId'),
        changedProperty,
        oldValue: value(o.oldValue, 'oldValue'),
        newValue: value(o.newValue, 'newValue'),
      };
    }
    case 'muteForced':
      return {
        t: 'muteForced',
        active: bool(o, 'active'),
        streamIds: o.streamIds === undefined ? [] : stringArray(o.streamIds, 'streamIds'),
      };
    case 'subscriptionEnded':
      return { t: 'subscriptionEnded', streamId: str(o, 'streamId'), subscriberId: str(o, 'subscriberId') };
    case 'media':
      return { t: 'media', from: o.from === null ? null : str(o, 'from'), ...mediaPayload(o) };
    default:
      return undefined;
  }
}

/** `welcome.streams` (absent: none). @internal */
export function decodeWelcomeStreams(v: unknown): StreamInfo[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new ProtocolError('"streams" must be an array');
  return v.map(decodeStreamInfo);
}

/** `welcome.mediaMode` (absent: undefined). @internal */
export function decodeMediaMode(v: unknown): MediaMode | undefined {
  if (v === undefined) return undefined;
  if (v === 'relayed' || v === 'routed') return v;
  throw new ProtocolError('"mediaMode" must be relayed or routed');
}

/** `welcome.iceServers` (absent: undefined). @internal */
export function decodeIceServers(v: unknown): IceServerInfo[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new ProtocolError('"iceServers" must be an array');
  return v.map((x) => {
    const o = obj(x, 'iceServers[]');
    const urls = typeof o.urls === 'string' ? o.urls : stringArray(o.urls, 'urls');
    return {
      urls,
      ...(typeof o.username === 'string' && { username: o.username }),
      ...(typeof o.credential === 'string' && { credential: o.credential }),
    };
  });
}
