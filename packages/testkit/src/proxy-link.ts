/**
 * The machinery under {@link FaultProxy}: one proxied TCP connection (a {@link Link}) is two
 * {@link Pipe}s, one per direction, each applying that direction's {@link Condition} (black hole,
 * delay, throttle) to the bytes it forwards, with TCP backpressure kept.
 */
import type { Socket } from 'node:net';

/** Which way a fault applies: client → target (`toServer`), target → client (`toClient`), or both. */
export type Direction = 'toServer' | 'toClient' | 'both';

/** The state of one direction of the network. */
export interface Condition {
  blackhole: boolean;
  delayMs: number;
  /** 0 = unlimited. */
  bytesPerSecond: number;
}

export const normal = (): Condition => ({ blackhole: false, delayMs: 0, bytesPerSecond: 0 });

/** Queued bytes in one direction past which the sending side is paused (TCP backpressure). */
const HIGH_WATER = 256 * 1024;
/** Throttled data is released in slices of this many milliseconds' worth. */
const THROTTLE_SLICE_MS = 20;

type Entry = { kind: 'data'; chunk: Buffer; due: number } | { kind: 'eof'; reset: boolean; due: number };

/** One direction of one link: src's bytes, paced and filtered, written to dst. */
export class Pipe {
  condition: Condition;
  /** Bytes (or a close) were swallowed by a black hole: the stream has a hole now. */
  lost = false;
  /** The source closed while this direction was black-holed: the close never reached dst. */
  swallowedClose = false;
  private readonly queue: Entry[] = [];
  private queuedBytes = 0;
  private lastDue = 0;
  private nextFree = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pausedByUs = false;
  private waitingDrain = false;
  private done = false;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    condition: Condition,
    /** Told each time a chunk (bytes) or a close (0) vanishes into a black hole. */
    private readonly onDrop: (bytes: number) => void,
  ) {
    this.condition = { ...condition };
    src.on('data', (chunk: Buffer) => {
      this.push(chunk);
    });
    dst.on('drain', () => {
      this.waitingDrain = false;
      this.pump();
    });
  }

  /** Change this direction's condition; the queue is re-paced at once. */
  set(condition: Condition): void {
    const wasThrottled = this.condition.bytesPerSecond > 0;
    this.condition = { ...condition };
    if (condition.blackhole) this.dropQueue();
    if (condition.bytesPerSecond > 0 && !wasThrottled) this.nextFree = Date.now();
    if (condition.delayMs === 0) {
      for (const e of this.queue) e.due = 0;
      this.lastDue = 0;
    }
    this.repump();
  }

  /** The source closed (`reset` = with an error): pass it on after the bytes before it. */
  close(reset: boolean): void {
    if (this.done) return;
    if (this.condition.blackhole) {
      this.swallowedClose = true;
      this.lost = true;
      this.onDrop(0);
      return;
    }
    this.enqueue({ kind: 'eof', reset, due: this.dueTime() });
  }

  stop(): void {
    this.done = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private push(chunk: Buffer): void {
    if (this.done) return;
    if (this.condition.blackhole) {
      this.lost = true;
      this.onDrop(chunk.length);
      return;
    }
    this.queuedBytes += chunk.length;
    this.enqueue({ kind: 'data', chunk, due: this.dueTime() });
    if (this.queuedBytes > HIGH_WATER && !this.pausedByUs) {
      this.pausedByUs = true;
      this.src.pause();
    }
  }

  private dueTime(): number {
    if (this.condition.delayMs === 0) return 0;
    // Never earlier than what is already queued: a delay change must not reorder the stream.
    this.lastDue = Math.max(this.lastDue, Date.now() + this.condition.delayMs);
    return this.lastDue;
  }

  private enqueue(entry: Entry): void {
    this.queue.push(entry);
    this.pump();
  }

  private dropQueue(): void {
    for (const e of this.queue) this.onDrop(e.kind === 'data' ? e.chunk.length : 0);
    if (this.queue.length > 0) this.lost = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.resumeSource();
  }

  private repump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pump();
  }

  private pump(): void {
    if (this.timer !== undefined || this.waitingDrain || this.done) return;
    for (let head = this.queue[0]; head !== undefined; head = this.queue[0]) {
      if (this.dst.destroyed) {
        this.stop();
        return;
      }
      const now = Date.now();
      const bps = this.condition.bytesPerSecond;
      const ready = Math.max(head.due, head.kind === 'data' && bps > 0 ? this.nextFree : 0);
      if (ready > now) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, ready - now);
        return;
      }
      if (head.kind === 'eof') {
        this.queue.shift();
        this.done = true;
        if (head.reset) this.dst.resetAndDestroy();
        else this.dst.end(() => this.dst.destroy());
        return;
      }
      let chunk = head.chunk;
      if (bps > 0) {
        const slice = Math.max(1, Math.floor((bps * THROTTLE_SLICE_MS) / 1000));
        if (chunk.length > slice) {
          head.chunk = chunk.subarray(slice);
          chunk = chunk.subarray(0, slice);
        } else {
          this.queue.shift();
        }
        this.nextFree = Math.max(this.nextFree, now) + (chunk.length * 1000) / bps;
      } else {
        this.queue.shift();
      }
      this.queuedBytes -= chunk.length;
      if (!this.dst.write(chunk)) {
        this.waitingDrain = true;
        return;
      }
    }
    this.resumeSource();
  }

  private resumeSource(): void {
    if (this.pausedByUs && this.queuedBytes <= HIGH_WATER / 2) {
      this.pausedByUs = false;
      this.src.resume();
    }
  }
}

/** One proxied TCP connection: the client's socket, the socket to the target, a pipe each way. */
export class Link {
  readonly toServer: Pipe;
  readonly toClient: Pipe;
  private clientClosed = false;
  private upstreamClosed = false;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    conditions: { toServer: Condition; toClient: Condition },
    private readonly onGone: (link: Link) => void,
    onDrop: (direction: 'toServer' | 'toClient', bytes: number) => void,
  ) {
    this.toServer = new Pipe(client, upstream, conditions.toServer, (n) => {
      onDrop('toServer', n);
    });
    this.toClient = new Pipe(upstream, client, conditions.toClient, (n) => {
      onDrop('toClient', n);
    });
    // Errors are expected here (resets are what this class is for); 'close' carries the outcome.
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('close', (hadError) => {
      this.clientClosed = true;
      this.toServer.close(hadError);
      this.check();
    });
    upstream.on('close', (hadError) => {
      this.upstreamClosed = true;
      this.toClient.close(hadError);
      this.check();
    });
  }

  set(direction: Direction, change: (c: Condition) => void): void {
    if (direction !== 'toClient') {
      const c = { ...this.toServer.condition };
      change(c);
      this.toServer.set(c);
    }
    if (direction !== 'toServer') {
      const c = { ...this.toClient.condition };
      change(c);
      this.toClient.set(c);
    }
  }

  /** Normal again, or cut if a black hole already broke the stream. */
  restore(): void {
    if (this.toServer.lost || this.toClient.lost || this.clientClosed || this.upstreamClosed) {
      this.cut();
      return;
    }
    this.toServer.set(normal());
    this.toClient.set(normal());
  }

  cut(): void {
    this.toServer.stop();
    this.toClient.stop();
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (!this.upstream.destroyed) this.upstream.resetAndDestroy();
  }

  private check(): void {
    if (this.clientClosed && this.upstreamClosed) {
      this.toServer.stop();
      this.toClient.stop();
      this.onGone(this);
    }
  }
}
