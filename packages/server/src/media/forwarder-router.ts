/**
 * The {@link MediaRouter} seam of routed sessions, implemented on a {@link MediaForwarder}: the
 * session's router is created with its first stream; a stream's upload (`subscriberId: null`) is
 * one publish transport, each subscription one subscription transport. The forwarder (and its
 * worker thread) starts with the first routed stream. Every map here is bookkeeping of ids;
 * the media objects and their cascading close live in the worker.
 */
import type { MediaPayload, StreamInfo } from '@parley/protocol';
import type {
  MediaRouter,
  MediaRouterFactory,
  MediaRouterHost,
  MediaRouterStats,
  MediaSubscription,
} from './router-hook.js';
import type { ForwarderEvent, ForwarderOptions, MediaForwarder, ProducerInfo } from './types.js';
import { createForwarder } from './create-forwarder.js';

/** How long a subscriber's offer waits for the publisher's upload to be negotiated. */
const PRODUCERS_WAIT_MS = 15_000;
/**
 * How long a subscription waits for its stream's `onPublish`: in a cluster the subscriber's node
 * may call the forwarder node before the publisher's node does (both follow the stream's
 * announcement, on different nodes).
 */
export const STREAM_WAIT_MS = 5_000;

interface StreamMedia {
  readonly publisher: string;
  producers: readonly ProducerInfo[] | undefined;
  readonly ready: Promise<readonly ProducerInfo[]>;
  resolve(p: readonly ProducerInfo[]): void;
}

interface Owner {
  readonly sessionId: string;
  readonly streamId: string;
  readonly subscriberId: string | null;
  readonly connectionId: string;
}

const upId = (sessionId: string, streamId: string): string => `${sessionId}|${streamId}|up`;
const downId = (sessionId: string, streamId: string, connectionId: string, subscriberId: string): string =>
  `${sessionId}|${streamId}|${connectionId}|${subscriberId}`;

/** Routed sessions on Parley's forwarder. */
export class ForwarderMediaRouter implements MediaRouter {
  #forwarder: MediaForwarder | undefined;
  readonly #streams = new Map<string, Map<string, StreamMedia>>(); // sessionId → streamId → media
  readonly #transports = new Map<string, Owner>(); // live transports by id
  readonly #awaited = new Map<string, Set<() => void>>(); // `${sessionId}|${streamId}` → waiting subscriptions

  constructor(
    private readonly host: MediaRouterHost,
    private readonly make: () => MediaForwarder,
    private readonly streamWaitMs = STREAM_WAIT_MS,
  ) {}

  get #f(): MediaForwarder {
    if (this.#forwarder === undefined) {
      this.#forwarder = this.make();
      this.#forwarder.onEvent((e) => {
        this.#onEvent(e);
      });
    }
    return this.#forwarder;
  }

  #onEvent(e: ForwarderEvent): void {
    if (e.type !== 'transport-closed') return;
    const owner = this.#transports.get(e.transportId);
    this.#transports.delete(e.transportId);
    if (owner !== undefined && e.reason === 'ice-failed')
      this.host.failed?.(owner.sessionId, owner.streamId, owner.subscriberId, 'ICE failed or stayed disconnected');
  }

  async onPublish(sessionId: string, stream: StreamInfo): Promise<void> {
    let resolve!: (p: readonly ProducerInfo[]) => void;
    const ready = new Promise<readonly ProducerInfo[]>((r) => (resolve = r));
    const media: StreamMedia = { publisher: stream.connectionId, producers: undefined, ready, resolve };
    const streams = this.#streams.get(sessionId) ?? new Map<string, StreamMedia>();
    this.#streams.set(sessionId, streams);
    // Known before the worker has made the session's router: the others get streamCreated now
    // and may subscribe at once (a subscription's transport waits for the upload anyway).
    streams.set(stream.streamId, media);
    const awaited = this.#awaited.get(`${sessionId}|${stream.streamId}`);
    if (awaited !== undefined) for (const arrived of awaited) arrived();
    try {
      await this.#f.createRouter(sessionId);
    } catch (error) {
      if (streams.get(stream.streamId) === media) streams.delete(stream.streamId);
      if (streams.size === 0 && this.#streams.get(sessionId) === streams) this.#streams.delete(sessionId);
      throw error;
    }
  }

  async onUnpublish(sessionId: string, streamId: string): Promise<void> {
    const streams = this.#streams.get(sessionId);
    if (streams?.delete(streamId) !== true) return;
    // Closing the upload closes its producers, their consumers and the subscription transports.
    await this.#close(upId(sessionId, streamId));
    if (streams.size === 0) {
      this.#streams.delete(sessionId);
      await this.#f.closeRouter(sessionId);
    }
  }

  /**
   * Nothing to do but wait for the stream (at most `streamWaitMs`): the subscription's transport
   * is made by its offer.
   */
  onSubscribe(sessionId: string, subscription: MediaSubscription): Promise<void> {
    const { streamId } = subscription;
    if (this.#streams.get(sessionId)?.get(streamId) !== undefined) return Promise.resolve();
    const key = `${sessionId}|${streamId}`;
    const awaited = this.#awaited.get(key) ?? new Set<() => void>();
    this.#awaited.set(key, awaited);
    return new Promise<void>((resolve, reject) => {
      const forget = (): void => {
        clearTimeout(timer);
        awaited.delete(arrived);
        if (awaited.size === 0 && this.#awaited.get(key) === awaited) this.#awaited.delete(key);
      };
      const arrived = (): void => {
        forget();
        resolve();
      };
      const timer = setTimeout(() => {
        forget();
        reject(new Error(`stream ${streamId} is not in the forwarder`));
      }, this.streamWaitMs);
      timer.unref();
      awaited.add(arrived);
    });
  }

  async onUnsubscribe(sessionId: string, s: MediaSubscription): Promise<void> {
    await this.#close(downId(sessionId, s.streamId, s.connectionId, s.subscriberId));
  }

  async onNegotiation(sessionId: string, from: string, payload: MediaPayload): Promise<void> {
    const { streamId, subscriberId } = payload;
    const media = this.#streams.get(sessionId)?.get(streamId);
    if (media === undefined) throw new Error(`stream ${streamId} is not in the forwarder`);
    if (subscriberId === null && from !== media.publisher) throw new Error('only the publisher uploads a stream');
    const tid = subscriberId === null ? upId(sessionId, streamId) : downId(sessionId, streamId, from, subscriberId);
    if (payload.candidate !== undefined) {
      if (this.#transports.has(tid)) await this.#f.addCandidate(tid, payload.candidate);
      return;
    }
    if (payload.sdp?.type !== 'offer') throw new Error('the forwarder takes offers and candidates only');
    const offer = payload.sdp.sdp;
    let answer: string;
    if (this.#transports.has(tid)) {
      answer = await this.#f.renegotiate(tid, offer); // ICE restart
    } else if (subscriberId === null) {
      const r = await this.#f.publish(sessionId, tid, offer);
      this.#transports.set(tid, { sessionId, streamId, subscriberId, connectionId: from });
      media.producers = r.producers;
      media.resolve(r.producers);
      answer = r.answer;
    } else {
      const producers = media.producers ?? (await this.#producersOf(media, streamId));
      const r = await this.#f.subscribe(
        sessionId,
        tid,
        producers.map((p) => p.producerId),
        offer,
      );
      this.#transports.set(tid, { sessionId, streamId, subscriberId, connectionId: from });
      answer = r.answer;
    }
    this.host.send(sessionId, from, { streamId, subscriberId, sdp: { type: 'answer', sdp: answer } });
  }

  #producersOf(media: StreamMedia, streamId: string): Promise<readonly ProducerInfo[]> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`stream ${streamId}: its publisher has not sent its media offer`));
      }, PRODUCERS_WAIT_MS);
    });
    return Promise.race([media.ready, late]).finally(() => {
      clearTimeout(timer);
    });
  }

  async onLeave(sessionId: string, connectionId: string): Promise<void> {
    const mine = [...this.#transports].filter(([, o]) => o.sessionId === sessionId && o.connectionId === connectionId);
    for (const [tid] of mine) await this.#close(tid);
    for (const [streamId, m] of this.#streams.get(sessionId) ?? [])
      if (m.publisher === connectionId) await this.onUnpublish(sessionId, streamId);
  }

  async #close(transportId: string): Promise<void> {
    if (!this.#transports.delete(transportId)) return;
    await this.#f.closeTransport(transportId);
  }

  async stats(): Promise<MediaRouterStats> {
    if (this.#forwarder === undefined) return { routers: 0, transports: 0, producers: 0, consumers: 0 };
    const s = await this.#forwarder.stats();
    const { routers, transports, producers, consumers, packetsIn, packetsOut, bytesIn, bytesOut } = s;
    const { retransmitted, keyFrameRequests } = s;
    return {
      ...{ routers, transports, producers, consumers, packetsIn, packetsOut, bytesIn, bytesOut },
      ...{ retransmitted, keyFrameRequests },
    };
  }

  async close(): Promise<void> {
    await this.#forwarder?.close();
  }
}

/**
 * The `mediaRouter` factory of Parley's own forwarder (werift in a worker thread).
 * @example createServer({ mediaRouter: forwarderMediaRouter({ mediaAddress: '10.0.0.5' }) })
 */
export function forwarderMediaRouter(opts: Partial<ForwarderOptions> = {}): MediaRouterFactory {
  return (host) => new ForwarderMediaRouter(host, () => createForwarder(opts));
}
