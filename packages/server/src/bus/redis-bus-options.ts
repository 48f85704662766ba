/** What a node's {@link RedisBus} handle is built with (redis-bus.ts). */
import type { Logger } from '../log/logger.js';
import type { LeaseTimings } from './redis-lease.js';

/** Options of {@link RedisBus}. */
export interface RedisBusOptions extends Partial<LeaseTimings> {
  /** `redis://HOST:PORT` (a standalone Redis or a primary; not Redis Cluster). */
  readonly url: string;
  /** Prefix of every key and channel (several deployments on one Redis). @default 'parley:' */
  readonly prefix?: string;
  /** This node's id. @default random */
  readonly nodeId?: string;
  /** How long a claim waits for the old node's state. @default 10000 */
  readonly claimTimeoutMs?: number;
  /**
   * How long a claim waits for a live old node's state before rebuilding the connection from its
   * checkpoint and the session's log (the client's open timeout is 5 s). @default 1500
   */
  readonly handoffWaitMs?: number;
  /** How often this node writes its members' checkpoints. @default 250 */
  readonly checkpointEveryMs?: number;
  /** @default a logger that writes nothing */
  readonly logger?: Logger;
}
