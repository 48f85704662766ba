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
import { Link, normal, type Condition, type Direction } from './proxy-link.js';
import { waitFor } from './wait-for.js';

export type { Direction } from './proxy-link.js';

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
