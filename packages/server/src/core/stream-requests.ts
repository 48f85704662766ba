/**
 * The stream requests of a connection granted capability `streams` (PROTOCOL.md §Streams): roles,
 * sizes and the negotiation rate first (a `nack` that changes nothing for anyone), then the bus
 * (the session's one order), then, in a routed session, the media router; the request completes
 * (reply / ack / nack) when all of them have answered.
 */
import {
  MAX_CANDIDATE_LENGTH,
  MAX_RELAYED_SUBSCRIBERS,
  MAX_SDP_LENGTH,
  MAX_STREAM_ID_LENGTH,
  MAX_STREAM_NAME_LENGTH,
  MAX_STREAMS_PER_CONNECTION,
  MEDIA_RATE,
  SessionErrorCode,
  type JsonValue,
  type MediaPayload,
  type StreamClientRequest,
} from '@parley/protocol';
import type { SessionBus } from '../bus/session-bus.js';
import type { StreamOp, StreamOpResult } from '../bus/stream-ops.js';
import type { MediaRouter } from '../media/router-hook.js';
import type { ServerCounters } from '../metrics/server-counters.js';
import type { ServerClock } from './clock.js';
import type { Connection } from './connection.js';
import { newConnectionId } from './ids.js';
import { TokenBucket } from './token-bucket.js';

/** How a stream request ends (the request pipeline's three outcomes). */
export interface RequestOutcomes {
  complete(c: Connection, s: number): void;
  nack(c: Connection, s: number, code: SessionErrorCode, message: string): void;
  reply(c: Connection, s: number, data: JsonValue): void;
}

type Refusal = readonly [SessionErrorCode, string];

/** The requests a routed session completes only when the forwarder has answered them. */
const ANSWERED_BY_ROUTER: ReadonlySet<StreamOp['op']> = new Set<StreamOp['op']>(['publish', 'subscribe', 'media']);

/** The code and words of a bus refusal, per request. */
function refusal(result: Extract<StreamOpResult, { ok: false }>, streamId: string, moderation: boolean): Refusal {
  const id = JSON.stringify(streamId.slice(0, MAX_STREAM_ID_LENGTH));
  switch (result.error) {
    case 'stream-not-found':
      return moderation
        ? [SessionErrorCode.NotFound, `stream ${id} is not in the session`]
        : [SessionErrorCode.StreamNotFound, `stream ${id} is not in the session`];
    case 'not-owner':
      return [SessionErrorCode.StreamNotFound, `stream ${id} is not one of this connection's streams`];
    case 'subscription-not-found':
      return [
        SessionErrorCode.StreamNotFound,
        `no such subscription of stream ${id}${result.detail ? `: ${result.detail}` : ''}`,
      ];
    case 'stream-limit':
      return [
        SessionErrorCode.UnableToPublish,
        `a connection may publish at most ${MAX_STREAMS_PER_CONNECTION} streams`,
      ];
    case 'subscriber-limit':
      return [
        SessionErrorCode.StreamLimitExceeded,
        `stream ${id} has ${MAX_RELAYED_SUBSCRIBERS} subscribers, the most a relayed (peer-to-peer) session allows; use a routed session for more`,
      ];
    case 'session-not-found':
    case 'connection-not-found':
      return [SessionErrorCode.NotConnected, 'this connection is not in the session'];
  }
}

/** What makes a negotiation step unacceptable before anyone sees it (null when fine). */
function badPayload(p: MediaPayload): string | null {
  if (p.streamId.length > MAX_STREAM_ID_LENGTH) return 'streamId too long';
  if (p.subscriberId !== null && (p.subscriberId === '' || p.subscriberId.length > MAX_STREAM_ID_LENGTH))
    return `subscriberId must be 1 to ${MAX_STREAM_ID_LENGTH} characters`;
  if (p.sdp !== undefined && p.sdp.sdp.length > MAX_SDP_LENGTH) return `sdp longer than ${MAX_SDP_LENGTH} characters`;
  const c = p.candidate;
  if (c !== undefined && (c.candidate.length > MAX_CANDIDATE_LENGTH || (c.sdpMid ?? '').length > MAX_STREAM_ID_LENGTH))
    return `candidate longer than ${MAX_CANDIDATE_LENGTH} characters`;
  return null;
}

/**
 * @example
 * const streams = new StreamRequests(bus, clock, router, counters, outcomes);
 * streams.handle(c, { t: 'publish', s: 3, name: '', hasAudio: true, hasVideo: true, videoType: 'camera', videoDimensions });
 */
export class StreamRequests {
  constructor(
    private readonly bus: SessionBus,
    private readonly clock: ServerClock,
    private readonly router: MediaRouter | null,
    private readonly counters: Pick<ServerCounters, 'streamPublishes' | 'streamSubscriptions' | 'mediaMessages'>,
    private readonly out: RequestOutcomes,
  ) {}

  /** Handle one stream request (already numbered into the pipeline). */
  handle(c: Connection, m: StreamClientRequest): void {
    const refused = this.#check(c, m);
    if (refused !== null) {
      this.out.nack(c, m.s, refused[0], refused[1]);
      return;
    }
    const routed = this.#routed(c);
    const s = m.s;
    switch (m.t) {
      case 'publish': {
        const { name, hasAudio, hasVideo, videoType, videoDimensions } = m;
        const stream = {
          streamId: newConnectionId(),
          connectionId: c.id,
          creationTime: this.clock.now(),
          ...{ name, hasAudio, hasVideo, videoType, videoDimensions },
        };
        this.#op(c, s, { op: 'publish', stream, maxPerConnection: MAX_STREAMS_PER_CONNECTION }, '', (r) => {
          const info = r.stream ?? stream;
          if (routed === null) {
            this.counters.streamPublishes++;
            this.out.reply(c, s, info as unknown as JsonValue);
            return;
          }
          this.#after(
            c,
            s,
            routed.onPublish(c.sessionId, info),
            SessionErrorCode.UnableToPublish,
            () => {
              this.counters.streamPublishes++;
              this.out.reply(c, s, info as unknown as JsonValue);
            },
            () => {
              this.bus.stream(
                c.sessionId,
                { op: 'unpublish', streamId: info.streamId, by: null, reason: 'clientDisconnected' },
                () => undefined,
              );
            },
          );
        });
        return;
      }
      case 'unpublish':
        this.#op(c, s, { op: 'unpublish', streamId: m.streamId, by: c.id, reason: 'clientDisconnected' }, m.streamId);
        return;
      case 'streamUpdate': {
        const { streamId, hasAudio, hasVideo, videoDimensions } = m;
        this.#op(c, s, { op: 'update', streamId, by: c.id, hasAudio, hasVideo, videoDimensions }, streamId);
        return;
      }
      case 'subscribe': {
        const { streamId, subscriberId } = m;
        const op: StreamOp = {
          op: 'subscribe',
          streamId,
          subscriberId,
          by: c.id,
          maxSubscribers: routed === null ? MAX_RELAYED_SUBSCRIBERS : null,
        };
        this.#op(c, s, op, streamId, () => {
          if (routed === null) {
            this.counters.streamSubscriptions++;
            this.out.complete(c, s);
            return;
          }
          const sub = { streamId, subscriberId, connectionId: c.id };
          this.#after(
            c,
            s,
            routed.onSubscribe(c.sessionId, sub),
            SessionErrorCode.UnableToSubscribe,
            () => {
              this.counters.streamSubscriptions++;
              this.#answered(c, s);
            },
            () => {
              this.bus.stream(c.sessionId, { op: 'unsubscribe', streamId, subscriberId, by: c.id }, () => undefined);
            },
          );
        });
        return;
      }
      case 'unsubscribe': {
        const { streamId, subscriberId } = m;
        this.#op(c, s, { op: 'unsubscribe', streamId, subscriberId, by: c.id }, streamId, () => {
          this.out.complete(c, s);
          void routed
            ?.onUnsubscribe(c.sessionId, { streamId, subscriberId, connectionId: c.id })
            .catch(() => undefined);
        });
        return;
      }
      case 'media': {
        const { streamId, subscriberId, sdp, candidate } = m;
        const payload: MediaPayload = { streamId, subscriberId, ...(sdp && { sdp }), ...(candidate && { candidate }) };
        this.#op(c, s, { op: 'media', by: c.id, payload, relay: routed === null }, streamId, () => {
          this.counters.mediaMessages++;
          if (routed === null) {
            this.out.complete(c, s);
            return;
          }
          const code =
            subscriberId === null ? SessionErrorCode.PublisherWebRTCError : SessionErrorCode.SubscriberWebRTCError;
          this.#after(c, s, routed.onNegotiation(c.sessionId, c.id, payload), code, () => {
            this.#answered(c, s);
          });
        });
        return;
      }
      case 'forceUnpublish':
        this.#op(
          c,
          s,
          { op: 'unpublish', streamId: m.streamId, by: null, reason: 'forceUnpublished' },
          m.streamId,
          undefined,
          true,
        );
        return;
      case 'forceMute': {
        const { streamId, excludedStreamIds } = m;
        const op: StreamOp =
          streamId !== undefined
            ? { op: 'forceMute', streamId }
            : { op: 'forceMute', excluded: excludedStreamIds ?? [] };
        this.#op(c, s, op, streamId ?? '', undefined, true);
        return;
      }
      case 'disableForceMute':
        this.#op(c, s, { op: 'disableForceMute' }, '', undefined, true);
        return;
    }
  }

  /** The media router, when this connection's session is routed and a router is configured. */
  #routed(c: Connection): MediaRouter | null {
    return c.mediaMode === 'routed' ? this.router : null;
  }

  /** Role, size and rate checks; null when the request may go to the bus. */
  #check(c: Connection, m: StreamClientRequest): Refusal | null {
    const caps = c.capabilities;
    switch (m.t) {
      case 'publish':
        if (!caps.canPublish) return [SessionErrorCode.UnableToPublish, `role ${c.role} may not publish`];
        if (m.name.length > MAX_STREAM_NAME_LENGTH)
          return [
            SessionErrorCode.NullOrInvalidParameter,
            `stream name longer than ${MAX_STREAM_NAME_LENGTH} characters`,
          ];
        return null;
      case 'subscribe':
        if (!caps.canSubscribe) return [SessionErrorCode.UnableToSubscribe, `role ${c.role} may not subscribe`];
        if (m.subscriberId === '' || m.subscriberId.length > MAX_STREAM_ID_LENGTH)
          return [
            SessionErrorCode.NullOrInvalidParameter,
            `subscriberId must be 1 to ${MAX_STREAM_ID_LENGTH} characters`,
          ];
        return null;
      case 'forceUnpublish':
        return caps.canForceUnpublish
          ? null
          : [SessionErrorCode.UnableToForceUnpublish, `role ${c.role} may not force an unpublish; moderators only`];
      case 'forceMute':
      case 'disableForceMute':
        return caps.canForceMute
          ? null
          : [SessionErrorCode.UnableToForceMute, `role ${c.role} may not force a mute; moderators only`];
      case 'media': {
        const bucket = (c.mediaBucket ??= new TokenBucket(MEDIA_RATE.burst, this.clock.now()));
        if (!bucket.take(1, MEDIA_RATE.perSecond, MEDIA_RATE.burst, this.clock.now()))
          return [
            SessionErrorCode.RateLimitExceeded,
            `negotiation rate limit exceeded (${MEDIA_RATE.perSecond} per second, burst ${MEDIA_RATE.burst})`,
          ];
        const bad = badPayload(m);
        return bad === null ? null : [SessionErrorCode.NullOrInvalidParameter, bad];
      }
      case 'unpublish':
      case 'streamUpdate':
      case 'unsubscribe':
        return null;
    }
  }

  /**
   * A routed request the forwarder has answered: its number goes into the session's log now (a
   * cluster bus), then the client gets its ack. A rebuild after a node death then never counts
   * such a request done before the forwarder answered it (core/rebuild.ts).
   */
  #answered(c: Connection, s: number): void {
    this.bus.stream(
      c.sessionId,
      { op: 'answered' },
      () => {
        this.out.complete(c, s);
      },
      { connectionId: c.id, s },
    );
  }

  /**
   * Send an operation to the bus; on success run `then` (default: complete), else nack. The
   * request's number goes into the log with the operation, except for a routed session's
   * publish, subscribe and media: the forwarder answers those, and their number is logged with
   * that answer (the publish's `reply`, or `#answered`).
   */
  #op(
    c: Connection,
    s: number,
    op: StreamOp,
    streamId: string,
    then?: (result: Extract<StreamOpResult, { ok: true }>) => void,
    moderation = false,
  ): void {
    this.bus.stream(
      c.sessionId,
      op,
      (result) => {
        if (!result.ok) {
          const [code, message] = refusal(result, streamId, moderation);
          this.out.nack(c, s, code, message);
        } else if (then !== undefined) then(result);
        else this.out.complete(c, s);
      },
      this.#routed(c) !== null && ANSWERED_BY_ROUTER.has(op.op) ? undefined : { connectionId: c.id, s },
    );
  }

  /** Wait for the router; its rejection is a nack with `code` (and `undo` runs). */
  #after(
    c: Connection,
    s: number,
    work: Promise<void>,
    code: SessionErrorCode,
    ok: () => void,
    undo?: () => void,
  ): void {
    work.then(ok, (error: unknown) => {
      undo?.();
      this.out.nack(c, s, code, `media router: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
}
