/**
 * A node's subscription connection for the Redis bus: whether it is up, and this node's own
 * channel (`n:NODE:c`: claimed members' states, the node's pings to itself). The session
 * channels on the same connection belong to RedisFeed. ioredis subscribes again by itself after
 * a reconnection; what was published meanwhile is filled from the session logs.
 */
import { Redis } from 'ioredis';
import { connectionOptions } from './redis-link.js';

export interface SubscriberEvents {
  /** (Re)connected and subscribed again. */
  ready(): void;
  /** The connection is gone. */
  down(): void;
  /** A message on this node's channel. */
  nodeMessage(text: string): void;
}

export class RedisSubscriber {
  readonly redis: Redis;
  #ready = false;

  constructor(url: string, nodeId: string, nodeChannel: string, events: SubscriberEvents) {
    // Subscriptions made while Redis is away wait for it (its offline queue holds only these).
    this.redis = new Redis(url, { ...connectionOptions(`parley-bus-sub-${nodeId}`), enableOfflineQueue: true });
    const down = (): void => {
      if (!this.#ready) return;
      this.#ready = false;
      events.down();
    };
    this.redis.on('error', down);
    this.redis.on('close', down);
    this.redis.on('ready', () => {
      this.#ready = true;
      events.ready();
    });
    this.redis.on('message', (channel: string, text: string) => {
      if (channel === nodeChannel) events.nodeMessage(text);
    });
    this.redis
      .connect()
      .then(() => this.redis.subscribe(nodeChannel))
      .catch(() => undefined);
  }

  get ready(): boolean {
    return this.#ready;
  }
}
