/**
 * Streams as per-session state of the bus: the stream operations, their results and the events
 * they produce, as plain JSON data, so every bus (in memory, split, Redis) carries them unchanged
 * and applies them with {@link applyStreamOp} / {@link leaveStreams} at its single point of order.
 */
import type {
  DisconnectReason,
  MediaPayload,
  StreamDestroyReason,
  StreamInfo,
  StreamProperty,
  VideoDimensions,
} from '@parley/protocol';

/** A stream and what the bus keeps with it. */
export interface StreamRecord {
  info: StreamInfo;
  /** OpenTok's layout classes (REST `PUT …/stream`). */
  layoutClassList: string[];
  /** subscriberId → the subscribing connection. */
  subscribers: Record<string, string>;
}

/** One session's streams (insertion order: oldest first) and its session-wide force mute. */
export interface SessionStreams {
  streams: Map<string, StreamRecord>;
  /** Set by forceMuteAll: the excluded stream IDs; streams published meanwhile start muted. */
  forceMute: { excluded: string[] } | null;
}

/** A stream as the REST API shows it (OpenTok's stream JSON). */
export interface StreamView {
  readonly id: string;
  readonly connectionId: string;
  readonly videoType: string;
  readonly name: string;
  readonly layoutClassList: readonly string[];
}

/** The stream operations (plain data; `by`: the connection asking, null for the REST API). */
export type StreamOp =
  | { readonly op: 'publish'; readonly stream: StreamInfo; readonly maxPerConnection: number }
  | {
      readonly op: 'unpublish';
      readonly streamId: string;
      readonly by: string | null;
      readonly reason: StreamDestroyReason;
    }
  | {
      readonly op: 'update';
      readonly streamId: string;
      readonly by: string;
      readonly hasAudio?: boolean;
      readonly hasVideo?: boolean;
      readonly videoDimensions?: VideoDimensions;
    }
  | {
      readonly op: 'subscribe';
      readonly streamId: string;
      readonly subscriberId: string;
      readonly by: string;
      /** The relayed mesh limit; null in a routed session. */
      readonly maxSubscribers: number | null;
    }
  | { readonly op: 'unsubscribe'; readonly streamId: string; readonly subscriberId: string; readonly by: string }
  /** A negotiation step: check it names a real peer; deliver it to that peer when `relay`. */
  | { readonly op: 'media'; readonly by: string; readonly payload: MediaPayload; readonly relay: boolean }
  /** A negotiation step from the forwarder to one connection. */
  | { readonly op: 'mediaFromServer'; readonly to: string; readonly payload: MediaPayload }
  /**
   * A routed request the forwarder has answered: nothing changes; a cluster bus logs the request's
   * number (`by`) here, so a rebuild (core/rebuild.ts) counts it done only once it was answered.
   */
  | { readonly op: 'answered' }
  | { readonly op: 'forceMute'; readonly streamId?: string; readonly excluded?: readonly string[] }
  | { readonly op: 'disableForceMute' }
  | {
      readonly op: 'classes';
      readonly items: readonly { readonly id: string; readonly layoutClassList: readonly string[] }[];
    }
  | { readonly op: 'list' };

export type StreamOpError =
  | 'session-not-found'
  | 'connection-not-found'
  | 'stream-not-found'
  | 'not-owner'
  | 'subscription-not-found'
  | 'stream-limit'
  | 'subscriber-limit';

/** The answer to a stream operation. */
export type StreamOpResult =
  | { readonly ok: true; readonly stream?: StreamInfo; readonly streams?: readonly StreamView[] }
  | { readonly ok: false; readonly error: StreamOpError; readonly detail?: string };

/** The stream events a session member can be told (part of `SessionEvent`). */
export type StreamEvent =
  | { readonly kind: 'streamCreated'; readonly stream: StreamInfo }
  | {
      readonly kind: 'streamDestroyed';
      readonly streamId: string;
      readonly connectionId: string;
      readonly reason: StreamDestroyReason;
    }
  | {
      readonly kind: 'streamPropertyChanged';
      readonly streamId: string;
      readonly changedProperty: StreamProperty;
      readonly oldValue: boolean | VideoDimensions;
      readonly newValue: boolean | VideoDimensions;
    }
  | { readonly kind: 'muteForced'; readonly active: boolean; readonly streamIds: readonly string[] }
  | ({ readonly kind: 'media'; readonly from: string | null } & MediaPayload)
  | { readonly kind: 'subscriptionEnded'; readonly streamId: string; readonly subscriberId: string };

/** An event to deliver: to everyone but `except` (`to` null), or to `to` only. */
export interface Outgoing {
  readonly event: StreamEvent;
  readonly except: string | null;
  readonly to: string | null;
}

/** An empty session stream state. */
export function newSessionStreams(): SessionStreams {
  return { streams: new Map(), forceMute: null };
}

const fail = (error: StreamOpError, detail?: string): StreamOpResult => ({
  ok: false,
  error,
  ...(detail !== undefined && { detail }),
});
const OK: StreamOpResult = { ok: true };

/**
 * Apply one stream operation to a session's state; `isMember` says whether a connection is in the
 * session. Returns the result and the events to deliver, in order.
 */
export function applyStreamOp(
  state: SessionStreams,
  op: StreamOp,
  isMember: (connectionId: string) => boolean,
): { result: StreamOpResult; out: Outgoing[] } {
  const out: Outgoing[] = [];
  const done = (result: StreamOpResult): { result: StreamOpResult; out: Outgoing[] } => ({ result, out });
  const streams = state.streams;
  switch (op.op) {
    case 'publish': {
      const owner = op.stream.connectionId;
      if (!isMember(owner)) return done(fail('connection-not-found'));
      let mine = 0;
      for (const r of streams.values()) if (r.info.connectionId === owner) mine++;
      if (mine >= op.maxPerConnection) return done(fail('stream-limit'));
      // A session-wide force mute in force: the stream starts without audio (the reply says so).
      const info = state.forceMute !== null && op.stream.hasAudio ? { ...op.stream, hasAudio: false } : op.stream;
      streams.set(info.streamId, { info, layoutClassList: [], subscribers: {} });
      out.push({ event: { kind: 'streamCreated', stream: info }, except: owner, to: null });
      return done({ ok: true, stream: info });
    }
    case 'unpublish': {
      const r = streams.get(op.streamId);
      if (r === undefined) return done(fail('stream-not-found'));
      if (op.by !== null && r.info.connectionId !== op.by) return done(fail('not-owner'));
      destroy(state, r, op.reason, out);
      return done(OK);
    }
    case 'update': {
      const r = streams.get(op.streamId);
      if (r === undefined) return done(fail('stream-not-found'));
      if (r.info.connectionId !== op.by) return done(fail('not-owner'));
      const { hasAudio, hasVideo, videoDimensions } = op;
      if (hasAudio !== undefined) change(r, 'hasAudio', hasAudio, out);
      if (hasVideo !== undefined) change(r, 'hasVideo', hasVideo, out);
      if (videoDimensions !== undefined) change(r, 'videoDimensions', videoDimensions, out);
      return done(OK);
    }
    case 'subscribe': {
      const r = streams.get(op.streamId);
      if (!isMember(op.by)) return done(fail('connection-not-found'));
      if (r === undefined) return done(fail('stream-not-found'));
      const existing = r.subscribers[op.subscriberId];
      if (existing !== undefined)
        return done(existing === op.by ? OK : fail('subscription-not-found', 'subscriber ID in use'));
      if (op.maxSubscribers !== null && Object.keys(r.subscribers).length >= op.maxSubscribers)
        return done(fail('subscriber-limit'));
      r.subscribers[op.subscriberId] = op.by;
      return done(OK);
    }
    case 'unsubscribe': {
      const r = streams.get(op.streamId);
      if (r === undefined) return done(fail('stream-not-found'));
      if (r.subscribers[op.subscriberId] !== op.by) return done(fail('subscription-not-found'));
      r.subscribers = without(r.subscribers, op.subscriberId);
      out.push(ended(r, op.subscriberId));
      return done(OK);
    }
    case 'media': {
      const { payload } = op;
      const r = streams.get(payload.streamId);
      if (r === undefined) return done(fail('stream-not-found'));
      const owner = r.info.connectionId;
      let to: string;
      if (payload.subscriberId === null) {
        // The publisher's upload: only to the forwarder (never relayed).
        if (op.by !== owner || op.relay) return done(fail('subscription-not-found', 'no upload in a relayed session'));
        return done(OK);
      }
      const subscriber = r.subscribers[payload.subscriberId];
      if (subscriber === undefined) return done(fail('subscription-not-found'));
      if (op.by === subscriber) to = owner;
      else if (op.by === owner && op.relay) to = subscriber;
      else return done(fail('subscription-not-found'));
      if (op.relay) out.push({ event: { kind: 'media', from: op.by, ...payload }, except: null, to });
      return done(OK);
    }
    case 'answered':
      return done(OK);
    case 'mediaFromServer':
      if (!isMember(op.to)) return done(fail('connection-not-found'));
      out.push({ event: { kind: 'media', from: null, ...op.payload }, except: null, to: op.to });
      return done(OK);
    case 'forceMute': {
      if (op.streamId !== undefined) {
        const r = streams.get(op.streamId);
        if (r === undefined) return done(fail('stream-not-found'));
        mute([r], out);
        return done(OK);
      }
      const excluded = op.excluded ?? [];
      state.forceMute = { excluded: [...excluded] };
      mute(
        [...streams.values()].filter((r) => !excluded.includes(r.info.streamId)),
        out,
      );
      return done(OK);
    }
    case 'disableForceMute':
      state.forceMute = null;
      out.push({ event: { kind: 'muteForced', active: false, streamIds: [] }, except: null, to: null });
      return done(OK);
    case 'classes': {
      const unknown = op.items.find((i) => !streams.has(i.id));
      if (unknown !== undefined) return done(fail('stream-not-found', unknown.id));
      for (const i of op.items) (streams.get(i.id) as StreamRecord).layoutClassList = [...i.layoutClassList];
      return done(OK);
    }
    case 'list':
      return done({ ok: true, streams: [...streams.values()].map(view) });
  }
}

/**
 * A member leaves: its streams end (before its connectionDestroyed; silently when `reason` is
 * null, as its leave is), and its subscriptions of others' streams end (their publishers are told).
 */
export function leaveStreams(state: SessionStreams, connectionId: string, reason: DisconnectReason | null): Outgoing[] {
  const out: Outgoing[] = [];
  for (const r of [...state.streams.values()]) {
    if (r.info.connectionId === connectionId) {
      state.streams.delete(r.info.streamId);
      if (reason !== null)
        out.push({
          event: { kind: 'streamDestroyed', streamId: r.info.streamId, connectionId, reason },
          except: null,
          to: null,
        });
      continue;
    }
    for (const [subscriberId, by] of Object.entries(r.subscribers)) {
      if (by !== connectionId) continue;
      r.subscribers = without(r.subscribers, subscriberId);
      if (reason !== null) out.push(ended(r, subscriberId));
    }
  }
  return out;
}

/** The streams of a session, oldest first, for a joiner's welcome. */
export function streamInfos(state: SessionStreams | undefined): StreamInfo[] {
  return state === undefined ? [] : [...state.streams.values()].map((r) => r.info);
}

function view(r: StreamRecord): StreamView {
  const { streamId, connectionId, videoType, name } = r.info;
  return { id: streamId, connectionId, videoType, name, layoutClassList: r.layoutClassList };
}

function ended(r: StreamRecord, subscriberId: string): Outgoing {
  const event: StreamEvent = { kind: 'subscriptionEnded', streamId: r.info.streamId, subscriberId };
  return { event, except: null, to: r.info.connectionId };
}

function destroy(state: SessionStreams, r: StreamRecord, reason: StreamDestroyReason, out: Outgoing[]): void {
  state.streams.delete(r.info.streamId);
  const { streamId, connectionId } = r.info;
  out.push({ event: { kind: 'streamDestroyed', streamId, connectionId, reason }, except: null, to: null });
}

function change(r: StreamRecord, property: StreamProperty, value: boolean | VideoDimensions, out: Outgoing[]): void {
  const oldValue = r.info[property];
  if (typeof value === 'boolean' ? oldValue === value : sameSize(oldValue as VideoDimensions, value)) return;
  r.info = { ...r.info, [property]: value };
  const event: StreamEvent = {
    kind: 'streamPropertyChanged',
    streamId: r.info.streamId,
    changedProperty: property,
    oldValue,
    newValue: value,
  };
  out.push({ event, except: null, to: null });
}

function sameSize(a: VideoDimensions, b: VideoDimensions): boolean {
  return a.width === b.width && a.height === b.height;
}

/** Force audio off: each publisher is told which of its streams (muteForced), then everyone sees hasAudio change. */
function mute(records: readonly StreamRecord[], out: Outgoing[]): void {
  const byOwner = new Map<string, string[]>();
  for (const r of records) {
    const owner = r.info.connectionId;
    const list = byOwner.get(owner) ?? [];
    list.push(r.info.streamId);
    byOwner.set(owner, list);
  }
  for (const [owner, streamIds] of byOwner)
    out.push({ event: { kind: 'muteForced', active: true, streamIds }, except: null, to: owner });
  for (const r of records) change(r, 'hasAudio', false, out);
}

/** A copy of a plain record without one key (records stay plain JSON for a cluster bus). */
function without(record: Record<string, string>, key: string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));
}
