/**
 * The endpoint's write path: sequenced messages held for replay and queued for this tick, one
 * flush pass per tick (WriteBatcher) with one frame per socket, one Buffer per broadcast frame
 * (SharedFrame), and the two bounds checked on the way: the replay buffer (overflow) and the
 * socket's unsent bytes (slow reader).
 */
import { joinFrame, type ReplayBounds } from '@parley/protocol';
import { WebSocket } from 'ws';
import type { Connection } from './connection.js';
import { SharedFrame } from './shared-frame.js';
import { WriteBatcher } from './write-batcher.js';
import type { ServerCounters } from '../metrics/server-counters.js';

/** `ws.send` options for a Buffer that holds UTF-8 text: send it as a text frame. */
const TEXT = { binary: false } as const;

/** What the endpoint does when a bound is passed. */
export interface WriterEvents {
  /** The replay buffer overflowed: called at the start of a flush pass, never inside a fan-out. */
  overflowed(c: Connection): void;
  /** The peer left more than `maxUnsent` bytes unread. */
  slowReader(c: Connection, ws: WebSocket, unsent: number): void;
  /** Run a step; an exception is logged, never thrown. */
  guard(fn: () => void): void;
}

/**
 * @example
 * const writer = new ConnectionWriter(replayBounds, maxUnsent, counters, events);
 * writer.deliver(c, encoded); // held, and written this tick when connected
 */
export class ConnectionWriter {
  /** Connections whose replay buffer overflowed, ended at the start of the next flush pass. */
  readonly #doomed: Connection[] = [];
  readonly #batcher: WriteBatcher;
  readonly #shared = new SharedFrame();

  constructor(
    private readonly replay: Readonly<ReplayBounds>,
    readonly maxUnsent: number,
    private readonly counters: ServerCounters,
    private readonly events: WriterEvents,
  ) {
    this.#batcher = new WriteBatcher(
      (c) => {
        this.#flush(c);
      },
      () => {
        this.#finishDoomed();
      },
      () => {
        this.#shared.forget();
      },
    );
  }

  /** Mark a connection as having something to write this tick. */
  schedule(c: Connection): void {
    this.#batcher.schedule(c);
  }

  /**
   * Append a sequenced message: held for replay, written this tick when connected. `q`: its
   * position in the session's log when the bus numbers its events (-1 otherwise).
   */
  deliver(c: Connection, encoded: string, q = -1): void {
    if (c.overflowed || c.state === 'closed' || c.state === 'joining') return;
    c.hold(encoded, q);
    if (c.heldCount > this.replay.maxMessages || c.heldBytes > this.replay.maxBytes) {
      // Ending it here would fan out inside a fan-out; finish it at the start of the flush pass.
      c.overflowed = true;
      this.#doomed.push(c);
      this.#batcher.schedule(c);
      return;
    }
    if (c.state === 'connected') {
      c.out.push(encoded);
      this.#batcher.schedule(c);
    }
  }

  /** Write what this tick produced for the connection, now (its ack last). */
  writeNow(c: Connection, ws: WebSocket): void {
    // The write callback is passed only for a frame that carries a pong (rare: one per ping).
    const done = c.pongQueued ? c.pongWritten : undefined;
    c.pongQueued = false;
    if (c.ackPending) {
      // A batch with an ack is this connection's own: joined and sent as a string.
      c.ackPending = false;
      c.out.push(`{"t":"ack","a":${c.highestProcessed}}`);
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(joinFrame(c.out), done);
        this.counters.messagesWritten += c.out.length;
      }
    } else if (c.out.length > 0 && ws.readyState === WebSocket.OPEN) {
      // Usually the same messages as the previous socket's (a broadcast): one Buffer for all.
      ws.send(this.#shared.frame(c.out), TEXT, done);
      this.counters.messagesWritten += c.out.length;
    }
    c.out.length = 0;
  }

  #flush(c: Connection): void {
    const ws = c.socket;
    if (ws === null || c.state !== 'connected') {
      c.out.length = 0;
      return;
    }
    this.events.guard(() => {
      this.writeNow(c, ws);
      // The one check of the write path: bytes written but not taken by the kernel (everything,
      // sequenced or not). A peer that does not read cannot make them grow past the bound.
      const unsent = ws.bufferedAmount;
      if (unsent > this.maxUnsent) this.events.slowReader(c, ws, unsent);
    });
  }

  #finishDoomed(): void {
    while (this.#doomed.length > 0) this.events.overflowed(this.#doomed.pop() as Connection);
  }
}
