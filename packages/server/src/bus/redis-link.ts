/**
 * A node's command connection to Redis for the bus: every operation through the one Lua script
 * (redis-script.ts), in the order the node made them, each exactly once.
 *
 * ```
 *  run(op) ─> queue (in order) ─> EVALSHA (pipelined, while ready) ─> answer ─> resolve, shift
 *                ^                                   │ connection lost: answers unknown
 *                └── resent from the front after ────┘ (the script answers a resend that already
 *                    SCRIPT LOAD + hello on 'ready'      ran with its first answer)
 * ```
 * ioredis's own offline queue and resend are off: this queue decides the order, so a resend can
 * never overtake an operation made before it.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../log/logger.js';
import { BUS_SCRIPT } from './redis-script.js';

/** At most this many operations on the wire (the script remembers the last 256 answers). */
const WINDOW = 128;

interface Queued {
  readonly args: readonly string[];
  readonly resolve: (reply: unknown[]) => void;
  readonly reject: (error: Error) => void;
}

/** What the link tells its bus. */
export interface LinkEvents {
  /** Connected, script loaded, epoch known; `reset` when Redis lost its data since the last time. */
  ready(reset: boolean): void;
  /** The connection is gone (operations wait in the queue). */
  down(reason: string): void;
}

/** Options of a connection (ioredis's, minus the queueing it must not do). */
export function connectionOptions(name: string) {
  return {
    connectionName: name,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: null,
    lazyConnect: true,
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
  } as const;
}

export class RedisLink {
  readonly redis: Redis;
  readonly #queue: Queued[] = [];
  #sent = 0;
  #generation = 0;
  #ready = false;
  #sha = createHash('sha1').update(BUS_SCRIPT).digest('hex');
  #epoch = '';
  #reason = 'connecting to Redis';
  #closed = false;
  /** Operations queued for Redis (housekeeping apart). */
  operations = 0;

  constructor(
    url: string,
    readonly nodeId: string,
    readonly prefix: string,
    private readonly events: LinkEvents,
    private readonly logger: Logger,
  ) {
    this.redis = new Redis(url, connectionOptions(`parley-bus-${nodeId}`));
    this.redis.on('error', (err: Error) => {
      // Only said why: a lost connection also closes it (and 'close' marks the link down).
      this.#reason = `Redis unreachable: ${err.message}`;
    });
    this.redis.on('close', () => {
      this.#lost('Redis connection closed');
    });
    this.redis.on('ready', () => {
      void this.#hello();
    });
    this.redis.connect().catch((err: unknown) => {
      this.#lost(`Redis unreachable: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Why it is not ready ('' when it is). */
  get reason(): string {
    return this.#ready ? '' : this.#reason;
  }

  /** Operations waiting for their answer. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * One operation of the script: `k` is the node's operation number (0: housekeeping, not
   * deduplicated). Resolves with the script's answer, whenever Redis gives it.
   */
  run(op: string, k: number, sessionId: string, args: readonly (string | number)[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const full = [this.prefix, op, this.nodeId, String(k), '', sessionId, ...args.map(String)];
      this.operations++;
      this.#queue.push({ args: full, resolve, reject });
      // Everything before index #sent is on the wire: this one goes now if it is next and fits.
      if (this.#ready && this.#sent < WINDOW && this.#sent === this.#queue.length - 1) this.#send(this.#sent);
    });
  }

  /**
   * A housekeeping operation (k 0: idempotent, in no order with the others) sent at once, ahead of
   * the queue, so a long queue never delays a lease renewal; rejects while not ready.
   */
  direct(op: string, args: readonly (string | number)[]): Promise<unknown[]> {
    if (!this.#ready) return Promise.reject(new Error(this.reason));
    const full = [this.prefix, op, this.nodeId, '0', this.#epoch, '', ...args.map(String)];
    return this.redis.evalsha(this.#sha, 0, ...full) as Promise<unknown[]>;
  }

  /** The last sequence number of each session (through the queue, after this node's earlier operations). */
  async lasts(sessionIds: readonly string[]): Promise<number[]> {
    const reply = await this.run('lasts', 0, sessionIds[0] ?? '', sessionIds.slice(1));
    if (reply[0] === 'epoch') throw new Error('the Redis bus epoch changed');
    return reply.map(Number);
  }

  /** A session's log entries after `after`, up to `upTo` (the messages, as published). */
  async log(sessionId: string, after: number, upTo: number): Promise<string[]> {
    const key = `${this.prefix}s:${sessionId}:l`;
    const entries = await this.redis.xrange(key, `(${String(after)}-0`, `${String(upTo)}-0`);
    return entries.map(([, fields]) => fields[1] ?? '{}');
  }

  /** Stop for good: pending operations are rejected. */
  close(): Promise<void> {
    this.#closed = true;
    this.#ready = false;
    for (const q of this.#queue.splice(0)) q.reject(new Error('the Redis bus was closed'));
    return this.redis.quit().then(
      () => undefined,
      () => {
        this.redis.disconnect();
      },
    );
  }

  /** Drop the connection without a word (a crash, for tests). */
  kill(): void {
    this.#closed = true;
    this.#ready = false;
    this.#queue.length = 0;
    this.redis.disconnect();
  }

  #send(index: number): void {
    const q = this.#queue[index] as Queued;
    const generation = this.#generation;
    this.#sent++;
    const args = [...q.args];
    args[4] = this.#epoch;
    this.redis.evalsha(this.#sha, 0, ...args).then(
      (reply) => {
        if (generation !== this.#generation) return;
        this.#answered(q, reply as unknown[]);
      },
      (error: unknown) => {
        if (generation !== this.#generation) return;
        const err = error instanceof Error ? error : new Error(String(error));
        if (err.name === 'ReplyError' && !err.message.startsWith('NOSCRIPT')) {
          // The script failed (a bug, never a lost connection): this operation has its answer.
          this.logger.error({ err }, `Redis bus: operation ${q.args[1] ?? ''} failed: ${err.message}`);
          this.#answered(q, ['error', 0]);
        } else this.#lost(`Redis unreachable: ${err.message}`);
      },
    );
  }

  /** Answers come in the order the operations were sent: the one answered is the first. */
  #answered(q: Queued, reply: unknown[]): void {
    if (this.#queue[0] !== q) return;
    this.#queue.shift();
    this.#sent--;
    if (this.#ready && this.#sent < this.#queue.length) this.#send(this.#sent);
    q.resolve(reply);
  }

  #lost(reason: string): void {
    this.#generation++;
    this.#sent = 0;
    if (this.#closed) return;
    this.#reason = reason;
    if (!this.#ready) return;
    this.#ready = false;
    this.logger.warn({ reason }, `Redis bus: ${reason}; operations wait for the connection`);
    this.events.down(reason);
  }

  /** On every (re)connection: load the script, learn the epoch, then resend in order. */
  async #hello(): Promise<void> {
    const generation = ++this.#generation;
    try {
      this.#sha = (await this.redis.script('LOAD', BUS_SCRIPT)) as string;
      const fresh = createHash('sha1')
        .update(`${this.nodeId}${String(Date.now())}${Math.random()}`)
        .digest('hex');
      const reply = (await this.redis.evalsha(this.#sha, 0, this.prefix, 'hello', this.nodeId, '0', '', '', fresh)) as [
        string,
        string,
      ];
      if (generation !== this.#generation || this.#closed) return;
      const reset = this.#epoch !== '' && this.#epoch !== reply[1];
      this.#epoch = reply[1];
      this.#ready = true;
      this.#sent = 0;
      this.events.ready(reset);
      while (this.ready && this.#sent < Math.min(WINDOW, this.#queue.length)) this.#send(this.#sent);
    } catch (err) {
      if (generation === this.#generation) this.#lost(`Redis unreachable: ${(err as Error).message}`);
    }
  }

  /** Learn a new epoch after an operation was refused for an old one (Redis restarted empty). */
  async renewEpoch(): Promise<boolean> {
    if (!this.#ready) return false;
    const fresh = createHash('sha1')
      .update(`${this.nodeId}${String(Date.now())}${Math.random()}`)
      .digest('hex');
    try {
      const reply = (await this.redis.evalsha(this.#sha, 0, this.prefix, 'hello', this.nodeId, '0', '', '', fresh)) as [
        string,
        string,
      ];
      const changed = reply[1] !== this.#epoch;
      this.#epoch = reply[1];
      return changed;
    } catch {
      return false;
    }
  }
}
