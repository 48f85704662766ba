/**
 * The cluster {@link SessionBus}: one handle per node over one Redis (docs/CLUSTER.md §The Redis
 * bus). The same contract and ordering rules as the split-process test bus (testkit's SplitBus),
 * with Redis as the broker:
 *
 * ```
 *  node A: bus.signal() ─> link: EVALSHA script 'signal' ──> Redis: member check, INCR seq,
 *                                                             XADD session log, PUBLISH c:SESSION
 *  node A, B, C: feed (subscribed to c:SESSION) <── one message per operation, in the session's order
 *     └─ listener.deliver(event, except, to); node A completes its `done` at that place
 * ```
 * Membership, rosters and limits are decided in Redis (never a node's local count); each node
 * holds a lease (`nodes`, renewed) and its members are recorded with it, so when a node dies a
 * surviving one removes them (`networkDisconnected`). A claim moves a member at one point of the
 * session's order; its old node releases the state over the claimer's node channel, or the state
 * waits in Redis when the old node parked it (drain). When Redis is unreachable the node reports
 * not ready, operations wait in order, and on reconnection the node catches up from the logs; when
 * Redis comes back empty, this node's members end with an explicit failure (1022 on the client).
 */
import { randomBytes } from 'node:crypto';
import type { StreamOp, StreamOpResult } from './stream-ops.js';
import type { ConnectionInfo, DisconnectReason, StreamInfo } from '@parley/protocol';
import { forwarderChannel, joinAnswer, streamAnswer } from './redis-streams.js';
import type { ForwarderChannel, ForwarderMessage } from '../media/cluster-router.js';
import { SILENT_LOGGER, type Logger } from '../log/logger.js';
import { RedisLink } from './redis-link.js';
import { RedisSubscriber } from './redis-subscriber.js';
import { RedisFeed, type BusMessage } from './redis-feed.js';
import { RedisLease } from './redis-lease.js';
import type { RedisBusOptions } from './redis-bus-options.js';
import { ClaimFlow, hashKey } from './redis-claim-flow.js';
import { BusHealth } from './redis-health.js';
import { redisFamilies } from './redis-metrics.js';
import { DEFAULT_CHECKPOINT_EVERY_MS, RedisCheckpoints } from './redis-checkpoints.js';
import type { MetricFamily } from '../metrics/metric-family.js';
import type {
  BusListener,
  ClaimCallbacks,
  DirectEvent,
  DisconnectOrigin,
  HandoffState,
  JoinResult,
  OpResult,
  Requester,
  SessionBus,
  SessionEvent,
  SignalCharge,
  SignalEvent,
} from './session-bus.js';

export type { RedisBusOptions } from './redis-bus-options.js';

/**
 * @example
 * const bus = new RedisBus({ url: 'redis://127.0.0.1:6379' });
 * const server = await createServer({ bus });
 * // ... await server.close(); await bus.close();
 */
export class RedisBus implements SessionBus {
  readonly nodeId: string;
  readonly #prefix: string;
  readonly #link: RedisLink;
  readonly #feed: RedisFeed;
  readonly #lease: RedisLease;
  readonly #sub: RedisSubscriber;
  readonly #logger: Logger;
  readonly #claims: ClaimFlow;
  readonly #checkpoints: RedisCheckpoints;
  readonly #health: BusHealth;
  #listener: BusListener | undefined;
  #forwarderHandler: ((message: ForwarderMessage) => void) | undefined;
  #k = 0;
  #closed = false;

  constructor(options: RedisBusOptions) {
    this.nodeId = options.nodeId ?? randomBytes(8).toString('hex');
    this.#prefix = options.prefix ?? 'parley:';
    this.#logger = options.logger ?? SILENT_LOGGER;
    this.#health = new BusHealth(
      () => this.health(),
      (fn) => {
        this.#guard(fn);
      },
    );
    this.#link = new RedisLink(
      options.url,
      this.nodeId,
      this.#prefix,
      {
        ready: (reset) => {
          if (reset) this.#reset('Redis restarted without its data');
          this.#lease.connected();
          this.#connected();
        },
        down: () => {
          this.#lease.disconnected();
          this.#healthChanged();
        },
      },
      this.#logger,
    );
    const nodeChannel = `${this.#prefix}n:${this.nodeId}:c`;
    this.#sub = new RedisSubscriber(options.url, this.nodeId, nodeChannel, {
      ready: () => {
        this.#connected();
      },
      down: () => {
        this.#healthChanged();
      },
      nodeMessage: (text) => {
        this.#nodeMessage(text);
      },
    });
    const sub = this.#sub.redis;
    this.#feed = new RedisFeed(sub, `${this.#prefix}c:`, this.nodeId, {
      apply: (sessionId, m) => {
        this.#apply(sessionId, m);
      },
      lost: (sessionId, why) => {
        this.#lost(sessionId, why);
      },
      lasts: (ids) =>
        this.#link.lasts(ids).catch((err: unknown) => {
          void this.#epochChanged();
          throw err;
        }),
      log: async (sessionId, after, upTo) =>
        (await this.#link.log(sessionId, after, upTo)).map((text) => JSON.parse(text) as BusMessage),
    });
    this.#claims = new ClaimFlow(
      {
        nodeId: this.nodeId,
        link: this.#link,
        feed: this.#feed,
        logger: this.#logger,
        op: (op, sessionId, args, answer) => {
          this.#op(op, sessionId, args, answer);
        },
        leave: (sessionId, connectionId) => {
          this.leave(sessionId, connectionId, 'networkDisconnected');
        },
        listener: () => this.#listener,
        guard: (fn) => {
          this.#guard(fn);
        },
      },
      options.claimTimeoutMs ?? 10_000,
      options.handoffWaitMs ?? 1500,
    );
    this.#checkpoints = new RedisCheckpoints(
      this.#link,
      this.#feed,
      () => this.#listener,
      options.checkpointEveryMs ?? DEFAULT_CHECKPOINT_EVERY_MS,
    );
    this.#lease = new RedisLease(this.#link, this.#feed, sub, nodeChannel, options, {
      gone: () => {
        this.#reset('this node was declared dead while it could not reach Redis');
      },
    });
  }

  /** Resolves once this node has reached Redis (operations made before wait anyway). */
  whenReady(): Promise<void> {
    return this.#health.ready;
  }

  /** Ready while both Redis connections are up (`/readyz`). */
  health(): { ready: boolean; reason?: string } {
    if (this.#closed) return { ready: false, reason: 'the Redis bus is closed' };
    if (!this.#link.ready) return { ready: false, reason: this.#link.reason };
    if (!this.#sub.ready) return { ready: false, reason: 'Redis subscription connection down' };
    return { ready: true };
  }

  /** Ready, round trip, lost subscriptions, gap fills, operations: redis-metrics.ts. */
  metricFamilies(): readonly MetricFamily[] {
    return redisFamilies({
      ready: () => this.health().ready,
      roundTripSeconds: () => this.#lease.roundTripSeconds,
      lostSubscriptions: () => this.#feed.lostSubscriptions + this.#lease.lostNodeChannel,
      gapFills: () => this.#feed.gapFills,
      operations: () => this.#link.operations,
      rebuilds: () => this.#claims.rebuildCounts,
    });
  }

  /** Call `listener` whenever {@link health} may have changed; returns a function that stops it. */
  onHealth(listener: (health: { ready: boolean; reason?: string }) => void): () => void {
    return this.#health.listen(listener);
  }

  /** A connection came (back): once both are up, catch up every session from Redis. */
  #connected(): void {
    if (this.#link.ready && this.#sub.ready) {
      void this.#feed.check(true).catch(() => undefined);
      this.#health.becameReady();
    }
    this.#healthChanged();
  }

  #healthChanged(): void {
    this.#health.changed();
  }

  listen(listener: BusListener): void {
    if (this.#listener !== undefined) throw new Error('a RedisBus handle serves one endpoint (one server)');
    this.#listener = listener;
  }

  join(
    sessionId: string,
    connection: ConnectionInfo,
    resumeKey: string,
    max: number,
    done: (r: JoinResult, streams?: readonly StreamInfo[]) => void,
  ): void {
    const event: SessionEvent = { kind: 'connectionCreated', connection };
    // What another node needs to rebuild the connection if this node dies (op 'rebuild').
    const identity = this.#listener?.identity?.(sessionId, connection.connectionId) ?? null;
    const args = [
      connection.connectionId,
      JSON.stringify(connection),
      hashKey(resumeKey),
      max,
      JSON.stringify(event),
      identity === null ? '' : JSON.stringify(identity),
    ];
    this.#feed.follow(sessionId).then(
      () => {
        this.#op('join', sessionId, args, (reply) => {
          if (reply[0] === 'ok') {
            this.#feed.local(sessionId)?.add(connection.connectionId);
            const { roster, streams } = joinAnswer(reply.slice(2));
            done(roster, streams);
          } else if (reply[0] === 'epoch') this.join(sessionId, connection, resumeKey, max, done);
          else {
            done('full');
            this.#feed.unfollowIfIdle(sessionId);
          }
        });
      },
      () => {
        if (!this.#closed) this.join(sessionId, connection, resumeKey, max, done);
      },
    );
  }

  /**
   * A stream operation: one script call that checks and changes the session's stream state in
   * Redis and publishes its events in the session's order (redis-stream-script.ts); `done` runs
   * after this node has applied them.
   */
  stream(sessionId: string, op: StreamOp, done: (result: StreamOpResult) => void, by?: Requester): void {
    this.#op('stream', sessionId, [JSON.stringify(op), by?.connectionId ?? '', String(by?.s ?? 0)], (reply) => {
      done(streamAnswer(op, reply));
    });
  }

  /** Routed media across nodes (media/cluster-router.ts, redis-streams.ts). */
  forwarderChannel(): ForwarderChannel {
    return forwarderChannel(this.#link, this.nodeId, (handler) => {
      this.#forwarderHandler = handler;
    });
  }

  leave(sessionId: string, connectionId: string, reason: DisconnectReason | null): void {
    this.#feed.local(sessionId)?.delete(connectionId);
    this.#op('leave', sessionId, [connectionId, reason ?? ''], () => {
      this.#feed.unfollowIfIdle(sessionId);
    });
  }

  announce(sessionId: string, event: SessionEvent, except: string | null): void {
    this.#op('announce', sessionId, [except ?? '', JSON.stringify(event)], noop);
  }

  /** The session's signal budget is kept in Redis, one for the cluster (redis-budget.ts). */
  readonly sessionBudget = true;

  signal(
    sessionId: string,
    event: SignalEvent,
    to: string | null,
    done: (result: OpResult) => void,
    charge?: SignalCharge,
  ): void {
    const args: (string | number)[] = [event.from ?? '', to ?? '', JSON.stringify(event)];
    if (charge !== undefined) {
      const b = charge.budget;
      args.push(charge.bytes, b.perSecond, b.burst, b.bytesPerSecond, b.byteBurst);
    }
    this.#op('signal', sessionId, args, (reply) => {
      done(opResult(reply[0]));
    });
  }

  forceDisconnect(
    sessionId: string,
    connectionId: string,
    origin: DisconnectOrigin,
    done: (r: OpResult) => void,
    by?: { readonly connectionId: string; readonly s: number },
  ): void {
    const args = by === undefined ? [connectionId, origin] : [connectionId, origin, by.connectionId, by.s];
    this.#op('forceDisconnect', sessionId, args, (reply) => {
      done(opResult(reply[0]));
    });
  }

  direct(sessionId: string, to: string, event: DirectEvent, done: (result: OpResult) => void): void {
    this.#op('direct', sessionId, [to, JSON.stringify(event)], (reply) => {
      done(opResult(reply[0]));
    });
  }

  claim(sessionId: string, connectionId: string, resumeKey: string, callbacks: ClaimCallbacks): void {
    this.#claims.claim(sessionId, connectionId, resumeKey, callbacks);
  }

  park(sessionId: string, connectionId: string, state: HandoffState, windowMs: number): void {
    // The state covers the session's messages up to what this node has applied; the script keeps
    // the logged ones after that for the member, before any later ones (none falls in between).
    const covered = this.#feed.position(sessionId);
    this.#feed.local(sessionId)?.delete(connectionId);
    this.#op('park', sessionId, [connectionId, JSON.stringify(state), windowMs, covered], () => {
      this.#feed.unfollowIfIdle(sessionId);
    });
  }

  /** Leave Redis cleanly: the lease and this node's keys go (its members have left or parked). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#lease.stop();
    this.#checkpoints.stop();
    if (this.#link.ready) await this.#link.run('goodbye', 0, '', []).catch(() => undefined);
    this.#closed = true;
    await Promise.all([this.#link.close(), this.#feed.sub.quit().catch(() => undefined)]);
  }

  /** Test hook: stop as a killed process would (no goodbye; the lease runs out). */
  crash(): void {
    this.#closed = true;
    this.#lease.stop();
    this.#checkpoints.stop();
    this.#link.kill();
    this.#feed.sub.disconnect();
  }

  /** Test hook: write the checkpoints that changed now (instead of at the next tick). */
  checkpointNow(): Promise<void> {
    return this.#checkpoints.tick();
  }

  /** Test hook: the checkpoints of a session's members in Redis (connectionId → 'acked|q|hp|announced'). */
  checkpointsOf(sessionId: string): Promise<Record<string, string>> {
    return this.#link.redis.hgetall(`${this.#prefix}s:${sessionId}:k`);
  }

  /** Test hook: lose one session's subscription without a word. */
  dropSubscription(sessionId: string): Promise<unknown> {
    return this.#feed.dropSubscription(sessionId);
  }

  /** Run one operation; `answer` runs at the operation's place in the session's order. */
  #op(op: string, sessionId: string, args: readonly (string | number)[], answer: (reply: unknown[]) => void): void {
    const k = ++this.#k;
    this.#feed.expect(sessionId, k);
    this.#link.run(op, k, sessionId, args).then(
      (reply) => {
        if (reply[0] === 'epoch') void this.#epochChanged();
        this.#feed.answer(sessionId, k, Number(reply[1] ?? 0), () => {
          this.#guard(() => {
            answer(reply);
          });
        });
      },
      () => {
        // The bus was closed: nothing will answer.
        this.#feed.answer(sessionId, k, 0, noop);
      },
    );
  }

  #apply(sessionId: string, m: BusMessage): void {
    const listener = this.#listener;
    if (listener === undefined) return;
    this.#guard(() => {
      if (m.d !== undefined && m.d.n === this.nodeId) {
        this.#feed.local(sessionId)?.delete(m.d.c);
        listener.disconnect(sessionId, m.d.c, m.d.g);
      }
      if (m.m !== undefined) this.#claims.moved(sessionId, m, listener);
      if (m.e !== undefined) listener.deliver(sessionId, m.e, m.x ?? null, m.t ?? null, m.q);
    });
  }

  /** The node channel: a claimed member's state, a ping, a routed-media call or its answer. */
  #nodeMessage(text: string): void {
    const message = JSON.parse(text) as { h?: string; s?: HandoffState | null; ping?: number };
    if ('fr' in message || 'fa' in message) {
      this.#forwarderHandler?.(message as unknown as ForwarderMessage);
      return;
    }
    if (message.ping !== undefined) {
      this.#lease.pong(message.ping);
      return;
    }
    if (message.h !== undefined) this.#claims.handedOver(message.h, message.s ?? null);
  }

  /** An operation was refused for an old epoch: learn the new one, and end what is lost. */
  async #epochChanged(): Promise<void> {
    if (await this.#link.renewEpoch()) this.#reset('Redis restarted without its data');
  }

  /** Redis forgot this node's members: each ends with an explicit failure, never a silent gap. */
  #reset(why: string): void {
    this.#logger.warn({ why }, `Redis bus: ${why}; ending this node's connections`);
    const sessions = [...this.#feed.sessions()];
    for (const sessionId of sessions) this.#lost(sessionId, why);
    this.#feed.clear();
    this.#lease.forget();
    this.#claims.clear();
  }

  #lost(sessionId: string, why: string): void {
    const local = this.#feed.local(sessionId);
    if (local === undefined) return;
    for (const connectionId of [...local]) {
      local.delete(connectionId);
      this.#guard(() => {
        this.#listener?.lost?.(sessionId, connectionId, why);
      });
    }
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#logger.error({ err }, `Redis bus: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
}

function noop(): void {
  // nothing to answer
}

function opResult(word: unknown): OpResult {
  if (word === 'ok' || word === 'connection-not-found') return word;
  return word === 'budget' ? 'over-budget' : 'session-not-found';
}
