/**
 * One client connection's state in the Parley endpoint: identity, transport, the outgoing batch
 * of the current tick, the replay buffer of sequenced messages and the request/rate counters.
 * Plain fields, no behaviour beyond buffer bookkeeping: the endpoint owns the transitions.
 */
import {
  capabilitiesFor,
  type Capabilities,
  type ConnectionInfo,
  type MediaMode,
  type Role,
  type WireCapability,
} from '@parley/protocol';
import type { WebSocket } from 'ws';
import type { Logger } from '../log/logger.js';
import type { TokenIdentity } from './endpoint.js';
import { TokenBucket, type SessionBudget } from './token-bucket.js';

/** `joining`: the socket is open, the bus has not answered the join yet (no welcome sent). */
export type ConnectionState = 'joining' | 'connected' | 'detached' | 'closed';

/**
 * @example
 * const c = new Connection(id, sessionId, apiKey, Date.now(), '', 'publisher', key, budget, 200, 2 << 20);
 * c.hold('{"t":"signal","from":null}'); // seq 1
 */
export class Connection {
  readonly info: ConnectionInfo;
  readonly capabilities: Capabilities;
  state: ConnectionState = 'joining';
  /** The token the connection joined with (revocation by token ID); undefined after a move between nodes without it. */
  token: TokenIdentity | undefined = undefined;
  socket: WebSocket | null = null;
  /** Bumped on every transport attach; timers and socket events of an older one are ignored. */
  generation = 0;
  /** Wall-clock ms of the last frame received (heartbeat sweep). */
  lastSeen: number;
  expiryTimer: unknown = undefined;
  /** Frames that arrived while `joining`, handled once the join is answered. */
  early: Buffer[] | null = null;
  /** The replay buffer overflowed; the connection is destroyed at the next flush pass. */
  overflowed = false;
  /** True once the others were told `connectionReconnecting` and not yet `connectionReconnected`. */
  announcedReconnecting = false;

  /** Encoded messages to write this tick (sequenced and not), flushed as one frame. */
  readonly out: string[] = [];
  /** In the scheduler's dirty list already. */
  scheduled = false;
  /** A request was processed this tick: write `ack` at flush. */
  ackPending = false;
  /**
   * A `pong` was queued and its frame not yet handed to the kernel: further pings get no pong
   * until it is (at most one pong outstanding per connection; PROTOCOL.md §Flow control).
   */
  pongOutstanding = false;
  /** The `pong` in `out` (if any) is this tick's: the flush writes it with {@link pongWritten}. */
  pongQueued = false;
  /** Write callback of a frame that carried a pong (one function per connection, not per write). */
  readonly pongWritten = (): void => {
    this.pongOutstanding = false;
  };

  // Replay buffer: held[head..] are the sequenced messages acked+1 .. sent, in order. The same
  // string reference is shared by every recipient of a fan-out.
  readonly held: string[] = [];
  /**
   * The session-log position (the bus's sequence number) of each held message, -1 when unknown
   * (a message the bus did not number): a cluster bus checkpoints {@link ackedQ} so another node
   * can rebuild the connection from the session's log (core/rebuild.ts).
   */
  readonly heldQ: number[] = [];
  /** The log position of the message at {@link acked} (-1: unknown, 0: none yet). */
  ackedQ = 0;
  head = 0;
  heldBytes = 0;
  /** Sequence number of the last sequenced message written (0 = none). */
  sent = 0;
  /** Highest sequence number the client acknowledged. */
  acked = 0;

  /** Highest client request `s` received (duplicates and gaps are judged against it). */
  received = 0;
  /**
   * Highest client request `s` completed with every one before it: what `ack` covers. Equal to
   * {@link received} unless requests are in flight (waiting for the bus).
   */
  highestProcessed = 0;
  /** Requests highestProcessed+1 .. received: true once completed (empty on the fast path). */
  readonly inFlight: boolean[] = [];

  /** Token buckets for signals: count and encoded bytes (PROTOCOL.md §Flow control). */
  readonly signals: TokenBucket;
  readonly signalBytes: TokenBucket;
  /** Requests refused for rate in a row; past 2 × burst the client is a flooder (4029). */
  refusedInARow = 0;
  /**
   * Wire capabilities granted at the join (PROTOCOL.md §Evolution), for the connection's life:
   * the server never writes this connection a message type behind a capability not listed here.
   */
  wireCaps: readonly WireCapability[] = [];
  /** The session's media mode as this connection was told it in `welcome` (capability `streams`). */
  mediaMode: MediaMode = 'relayed';
  /** Token bucket of negotiation (`media`) requests (MEDIA_RATE); made on first use. */
  mediaBucket: TokenBucket | null = null;
  /** This connection's child logger (session and connection IDs bound); made by the core on first use. */
  log: Logger | undefined = undefined;
  /** The client's address of the current transport ('' when unknown), for the log. */
  ip = '';

  constructor(
    readonly id: string,
    readonly sessionId: string,
    readonly apiKey: string,
    creationTime: number,
    data: string,
    readonly role: Role,
    readonly resumeKey: string,
    /** The session's signal budget, shared by all its connections. */
    readonly budget: SessionBudget,
    burst: number,
    byteBurst: number,
  ) {
    this.info = { connectionId: id, creationTime, data };
    this.lastSeen = creationTime;
    this.capabilities = capabilitiesFor(role);
    this.signals = new TokenBucket(burst, creationTime);
    this.signalBytes = new TokenBucket(byteBurst, creationTime);
  }

  /** Number of sequenced messages held (sent, not acknowledged). */
  get heldCount(): number {
    return this.sent - this.acked;
  }

  /** Append a sequenced message to the replay buffer; returns its sequence number. */
  hold(encoded: string, q = -1): number {
    this.held.push(encoded);
    this.heldQ.push(q);
    this.heldBytes += encoded.length;
    return ++this.sent;
  }

  /** Forget every held message up to `position` (which must be in [acked, sent]). */
  release(position: number): void {
    let n = position - this.acked;
    if (n > 0) this.ackedQ = this.heldQ[this.head + n - 1] as number;
    while (n-- > 0) {
      this.heldBytes -= (this.held[this.head] as string).length;
      this.held[this.head++] = '';
    }
    this.acked = position;
    // WHY: compact lazily so acknowledging is O(1) amortised instead of an O(n) shift per ack.
    if (this.head > 1024 && this.head * 2 > this.held.length) {
      this.held.splice(0, this.head);
      this.heldQ.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The held messages after `position`, oldest first. */
  heldAfter(position: number): string[] {
    return this.held.slice(this.head + (position - this.acked));
  }

  /** Drop everything (the connection is over). */
  clear(): void {
    this.held.length = 0;
    this.heldQ.length = 0;
    this.head = 0;
    this.heldBytes = 0;
    this.out.length = 0;
  }
}
