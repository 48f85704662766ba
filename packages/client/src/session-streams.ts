/**
 * What `session.publish/unpublish/subscribe/unsubscribe` and the stream moderation methods do:
 * argument checks, then the status, the role and the capability, then the request. The state
 * they change is {@link StreamState}'s.
 */
import { SessionErrorCode, type StreamDestroyReason } from '@parley/protocol';
import { ParleyError } from './errors.js';
import { Publisher } from './publisher.js';
import { checkRequestState } from './requests.js';
import type { StreamState, StreamStateHost } from './stream-state.js';
import { Subscriber, type SubscriberDelegate, type SubscriberOptions } from './subscriber.js';
import { SessionConnectionStatus as Status, type Stream } from './types.js';

let nextSubscriber = 0;

/** The stream ID of a Stream or an ID string; throws 1011 for anything else. */
function streamIdOf(value: unknown, name: string): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'object' && value !== null) {
    const id = (value as { streamId?: unknown }).streamId;
    if (typeof id === 'string' && id !== '') return id;
  }
  throw ParleyError.invalidParameter(`${name} must be a Stream or a non-empty stream ID`);
}

/** Streams operations of one session. @internal */
export class SessionStreams {
  constructor(
    private readonly state: StreamState,
    private readonly host: StreamStateHost,
  ) {}

  async publish(publisher: Publisher): Promise<Stream> {
    if (!(publisher instanceof Publisher)) throw ParleyError.invalidParameter('publish() takes a Publisher');
    this.#connected();
    if (!this.host.roster.capabilities.canPublish)
      throw new ParleyError(
        SessionErrorCode.UnableToPublish,
        'this role may not publish (publisher or moderator needed)',
      );
    if (publisher.stream !== null || publisher.session !== null)
      throw ParleyError.illegalState('this Publisher is already publishing');
    this.state.checkWebRtc();
    try {
      const props = await publisher.prepare(this.state);
      const data = await this.#request({ t: 'publish', ...props });
      return this.state.adopt(data, publisher);
    } catch (error) {
      const e = this.state.asError(error);
      publisher.failed(e);
      throw e;
    }
  }

  async unpublish(publisher: Publisher): Promise<void> {
    if (!(publisher instanceof Publisher)) throw ParleyError.invalidParameter('unpublish() takes a Publisher');
    const stream = publisher.stream;
    if (stream === null || this.state.publishers.get(stream.streamId) !== publisher)
      throw ParleyError.illegalState('this Publisher is not publishing in this session');
    await this.#request({ t: 'unpublish', streamId: stream.streamId });
  }

  subscribe(stream: Stream, delegate?: SubscriberDelegate, options: SubscriberOptions = {}): Subscriber {
    const streamId = streamIdOf(stream, 'stream');
    this.#connected();
    if (!this.host.roster.capabilities.canSubscribe)
      throw new ParleyError(SessionErrorCode.UnableToSubscribe, 'this role may not subscribe (publisheronly)');
    const known = this.state.streams.get(streamId);
    if (known === undefined) {
      const own = this.state.publishers.has(streamId) ? ' (it is our own: subscribe from another connection)' : '';
      throw new ParleyError(
        SessionErrorCode.StreamNotFound,
        `no stream ${JSON.stringify(streamId)} in this session${own}`,
      );
    }
    const subscriberId = `sub-${++nextSubscriber}-${Math.random().toString(36).slice(2, 10)}`;
    const subscriber = new Subscriber(known, subscriberId, this.state, delegate, options);
    this.state.subscribers.set(subscriberId, subscriber);
    this.#request({ t: 'subscribe', streamId, subscriberId }).then(
      () => {
        if (this.state.subscribers.get(subscriberId) === subscriber) subscriber.start();
      },
      (error: unknown) => {
        if (this.state.subscribers.get(subscriberId) !== subscriber) return;
        this.state.subscribers.delete(subscriberId);
        subscriber.failed(this.state.asError(error));
        subscriber.end('unsubscribed');
      },
    );
    return subscriber;
  }

  async unsubscribe(subscriber: Subscriber): Promise<void> {
    if (!(subscriber instanceof Subscriber)) throw ParleyError.invalidParameter('unsubscribe() takes a Subscriber');
    const { subscriberId } = subscriber;
    if (this.state.subscribers.get(subscriberId) !== subscriber) return;
    this.state.subscribers.delete(subscriberId);
    subscriber.end('unsubscribed');
    if (this.host.status() === Status.Connected || this.host.status() === Status.Reconnecting)
      await this.#request({ t: 'unsubscribe', streamId: subscriber.stream.streamId, subscriberId });
  }

  /** Our Publisher of a stream (undefined for another client's stream, or one that ended). */
  publisherFor(stream: Stream | string): Publisher | undefined {
    return this.state.publishers.get(streamIdOf(stream, 'stream'));
  }

  /** Our Subscribers of a stream, oldest first (none once unsubscribed or the stream ended). */
  subscribersFor(stream: Stream | string): Subscriber[] {
    const streamId = streamIdOf(stream, 'stream');
    return [...this.state.subscribers.values()].filter((s) => s.stream.streamId === streamId);
  }

  async forceUnpublish(stream: Stream | string): Promise<void> {
    const streamId = streamIdOf(stream, 'stream');
    this.#connected();
    if (!this.host.roster.capabilities.canForceUnpublish)
      throw new ParleyError(SessionErrorCode.UnableToForceUnpublish, 'only a moderator may force an unpublish');
    await this.#request({ t: 'forceUnpublish', streamId });
  }

  async forceMuteStream(stream: Stream | string): Promise<void> {
    const streamId = streamIdOf(stream, 'stream');
    this.#moderate();
    await this.#request({ t: 'forceMute', streamId });
  }

  async forceMuteAll(excluded: readonly (Stream | string)[] = []): Promise<void> {
    if (!Array.isArray(excluded)) throw ParleyError.invalidParameter('forceMuteAll() takes an array of streams');
    const excludedStreamIds = excluded.map((s, i) => streamIdOf(s, `excluded[${i}]`));
    this.#moderate();
    await this.#request({ t: 'forceMute', excludedStreamIds });
  }

  async disableForceMute(): Promise<void> {
    this.#moderate();
    await this.#request({ t: 'disableForceMute' });
  }

  #moderate(): void {
    this.#connected();
    if (!this.host.roster.capabilities.canForceMute)
      throw new ParleyError(SessionErrorCode.UnableToForceMute, 'only a moderator may force a mute');
  }

  #connected(): void {
    checkRequestState(this.host.status(), true);
  }

  #request(body: Parameters<StreamStateHost['requests']['request']>[0]): Promise<unknown> {
    return this.host.requests.request(body, this.host.status(), this.host.granted());
  }
}

export type { StreamDestroyReason };
