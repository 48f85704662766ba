/**
 * A fault-injection TCP proxy on loopback: put it between a client and the server and break the
 * network on purpose, deterministically, from the test.
 *
 * ```
 *  client ──TCP──▶ FaultProxy 127.0.0.1:port ──TCP──▶ target host:port
 *                  │  per link, per direction:
 *                  │   cut()        RST both ways now
 *                  │   blackhole()  bytes (and FIN/RST) vanish: a half-open link
 *                  │   delay(ms)    every chunk arrives ms later, order kept
 *                  │   throttle(B)  at most B bytes per second
 *                  │   refuse()     new links are accepted then reset at once
 *                  └── restore()    back to normal
 * ```
 *
 * A fault applies to every link open now and, unless `{ newLinks: false }`, to every link opened
 * until `restore()`. A TCP stream cannot have a hole in it, so a link that lost bytes (or lost a
 * close) to a black hole cannot be made normal again: `restore()` cuts it, as a real network would
 * end up doing once the peers time out. Timers exist only to pace `delay` and `throttle`.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { waitFor } from './wait-for.js';

/** Which way a fault applies: client → target (`toServer`), target → client (`toClient`), or both. */
export type Direction = 'toServer' | 'toClient' | 'both';

/** Where and how a fault applies. */
export interface FaultOptions {
  /** Which way the fault applies. @default 'both' */
  direction?: Direction;
  /** Whether links opened after this call get the fault too, until `restore()`. @default true */
  newLinks?: boolean;
}

/** Options of {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** Where links are forwarded (a port may be given as a URL's `port` string). `host` @default '127.0.0.1' */
  target: { host?: string; port: number | string };
  /** Interface the proxy listens on. @default '127.0.0.1' */
  host?: string;
}

/** The state of one direction of the network. */
interface Condition {
  blackhole: boolean;
  delayMs: number;
  /** 0 = unlimited. */
  bytesPerSecond: number;
}

const normal = (): Condition => ({ blackhole: false, delayMs: 0, bytesPerSecond: 0 });

/** Queued bytes in one direction past which the sending side is paused (TCP backpressure). */
const HIGH_WATER = 256 * 1024;
/** Throttled data is released in slices of this many milliseconds' worth. */
const THROTTLE_SLICE_MS = 20;

type Entry = { kind: 'data'; chunk: Buffer; due: number } | { kind: 'eof'; reset: boolean; due: number };

/** One direction of one link: src's bytes, paced and filtered, written to dst. */
class Pipe {
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
class Link {
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

/**
 * A TCP proxy with faults on demand. One per client, so each client's network can fail alone.
 *
 * @example
 * const proxy = await FaultProxy.start({ target: { port: new URL(server.url).port } });
 * const session = new Session(apiKey, sessionId, undefined, { url: proxy.url(server.url) });
 * await session.connect(token);
 * proxy.blackhole();              // half-open: the client must notice by itself
 * await nextEvent(session, 'sessionReconnecting', 5_000);
 * proxy.restore();
 * await nextEvent(session, 'sessionReconnected', 5_000);
 * await proxy.close();
 */
export class FaultProxy {
  /** The port the proxy listens on. */
  readonly port: number;
  /** The interface the proxy listens on. */
  readonly host: string;
  /** Links accepted and forwarded so far (refused ones not counted). */
  opened = 0;
  /** Connections refused so far by `refuse(true)`. */
  refused = 0;
  /** What black holes swallowed so far: chunks and closes (`drops`), and bytes, per direction. */
  readonly dropped = { drops: 0, toServerBytes: 0, toClientBytes: 0, closes: 0 };

  private readonly live = new Set<Link>();
  private readonly linkListeners = new Set<() => void>();
  private readonly changeListeners = new Set<() => void>();
  private readonly dropListeners = new Set<() => void>();
  private readonly defaults = { toServer: normal(), toClient: normal() };
  private refusing = false;
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
    host: string,
    port: number,
  ) {
    this.host = host;
    this.port = port;
    server.on('connection', (socket) => {
      this.accept(socket);
    });
  }

  /** Listen on `host` (default 127.0.0.1), on a free port, forwarding to `target`. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const target = { host: options.target.host ?? '127.0.0.1', port: Number(options.target.port) };
    if (!Number.isInteger(target.port) || target.port <= 0 || target.port > 65535) {
      throw new RangeError(`FaultProxy: target.port must be a TCP port, got ${String(options.target.port)}`);
    }
    const host = options.host ?? '127.0.0.1';
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('FaultProxy: no TCP address');
    return new FaultProxy(server, target, host, address.port);
  }

  /** `base` (an http(s)/ws(s) URL of the target) with its host and port replaced by the proxy's. */
  url(base: string): string {
    const u = new URL(base);
    u.hostname = this.host;
    u.port = String(this.port);
    const out = u.toString();
    return !base.endsWith('/') && u.pathname === '/' && u.search === '' && u.hash === '' ? out.slice(0, -1) : out;
  }

  /** Links open now (a half-open link counts until both of its sockets are gone). */
  get links(): number {
    return this.live.size;
  }

  /** Reset every open link now, both ways: each client sees its socket close with an error. Returns how many. */
  cut(): number {
    const n = this.live.size;
    for (const link of [...this.live]) link.cut();
    return n;
  }

  /**
   * Silently drop every byte, and every close, in `direction`: the link stays up at the TCP level
   * (half-open), so only a heartbeat can tell.
   */
  blackhole(options: FaultOptions = {}): void {
    this.apply(options, (c) => {
      c.blackhole = true;
    });
  }

  /** Deliver every chunk `ms` later, in order. */
  delay(ms: number, options: FaultOptions = {}): void {
    if (!(ms >= 0)) throw new RangeError(`FaultProxy.delay: ms must be >= 0, got ${ms}`);
    this.apply(options, (c) => {
      c.delayMs = ms;
    });
  }

  /** Deliver at most `bytesPerSecond` bytes per second (0 = unlimited). */
  throttle(bytesPerSecond: number, options: FaultOptions = {}): void {
    if (!(bytesPerSecond >= 0))
      throw new RangeError(`FaultProxy.throttle: bytesPerSecond must be >= 0, got ${bytesPerSecond}`);
    this.apply(options, (c) => {
      c.bytesPerSecond = bytesPerSecond;
    });
  }

  /** While on, new connections are accepted and reset at once, as if nothing were listening. Open links are untouched. */
  refuse(on = true): void {
    this.refusing = on;
  }

  /** Back to normal: new links are forwarded untouched; open links too, except those a black hole broke, which are cut. */
  restore(): void {
    this.refusing = false;
    this.defaults.toServer = normal();
    this.defaults.toClient = normal();
    for (const link of [...this.live]) link.restore();
  }

  /** Call `listener` each time a link is opened; returns the function that removes it. */
  onLink(listener: () => void): () => void {
    this.linkListeners.add(listener);
    return () => void this.linkListeners.delete(listener);
  }

  /** Resolves once at least `n` links are open, or rejects after `ms`. */
  waitForLinks(n: number, ms: number): Promise<void> {
    return waitFor(
      (resolve) => {
        if (this.live.size >= n) {
          resolve();
          return undefined;
        }
        return this.onLink(() => {
          if (this.live.size >= n) resolve();
        });
      },
      ms,
      () => `${n} open proxy link(s) on port ${this.port} (open: ${this.live.size}, opened so far: ${this.opened})`,
    );
  }

  /** Resolves once no link is open (both sockets of every link gone), or rejects after `ms`. */
  waitForNoLinks(ms: number): Promise<void> {
    return waitFor(
      (resolve) => {
        const check = (): void => {
          if (this.live.size === 0) resolve();
        };
        this.changeListeners.add(check);
        check();
        return () => void this.changeListeners.delete(check);
      },
      ms,
      () => `no open proxy links on port ${this.port} (open: ${this.live.size})`,
    );
  }

  /**
   * Resolves once black holes have swallowed at least `n` things (chunks or closes) since the proxy
   * started, or rejects after `ms`: proof that a fault has actually bitten.
   *
   * @example
   * const before = proxy.dropped.drops;
   * proxy.blackhole({ direction: 'toClient' });
   * await alice.signal({ data: 'x' });         // never acknowledged...
   * await proxy.waitForDrops(before + 1, 2_000); // ...because the ack vanished
   */
  waitForDrops(n: number, ms: number): Promise<void> {
    return waitFor(
      (resolve) => {
        const check = (): void => {
          if (this.dropped.drops >= n) resolve();
        };
        this.dropListeners.add(check);
        check();
        return () => void this.dropListeners.delete(check);
      },
      ms,
      () => `${n} drop(s) in a black hole on port ${this.port} (so far: ${this.dropped.drops})`,
    );
  }

  /** Resolves when the next link (after this call) is opened, or rejects after `ms`. */
  nextLink(ms: number): Promise<void> {
    return waitFor((resolve) => this.onLink(resolve), ms, `a new proxy link on port ${this.port}`);
  }

  /** Stop listening and cut every link. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closing = new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
    this.cut();
    await closing;
  }

  private apply(options: FaultOptions, change: (c: Condition) => void): void {
    const direction = options.direction ?? 'both';
    if (options.newLinks ?? true) {
      if (direction !== 'toClient') change(this.defaults.toServer);
      if (direction !== 'toServer') change(this.defaults.toClient);
    }
    for (const link of this.live) link.set(direction, change);
  }

  private accept(client: Socket): void {
    client.setNoDelay(true);
    if (this.refusing || this.closed) {
      this.refused++;
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: this.target.host, port: this.target.port, noDelay: true });
    const link = new Link(
      client,
      upstream,
      this.defaults,
      (l) => {
        this.live.delete(l);
        for (const listener of [...this.changeListeners]) listener();
      },
      (direction, bytes) => {
        this.dropped.drops++;
        if (bytes === 0) this.dropped.closes++;
        else if (direction === 'toServer') this.dropped.toServerBytes += bytes;
        else this.dropped.toClientBytes += bytes;
        for (const listener of [...this.dropListeners]) listener();
      },
    );
    this.live.add(link);
    this.opened++;
    for (const listener of [...this.linkListeners]) listener();
    for (const listener of [...this.changeListeners]) listener();
  }
}
