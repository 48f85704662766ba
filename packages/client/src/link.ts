/**
 * The session's slot for its current transport: at most one {@link Transport} at a time, a
 * generation number bumped whenever it is replaced or dropped (callbacks of an older transport
 * are ignored, like Phoenix's `connectClock`), and the timers that belong to this transport
 * (its open timeout, the wait before the next attempt), cancelled with it, and its liveness
 * (heartbeat and dead-server detection, see liveness.ts). It knows nothing of the session's
 * status: it reports messages and losses, and the session decides.
 */
import { CloseCode, type ClientMessage, type ServerMessage, type SessionTimings } from '@parley/protocol';
import { Disposables } from './disposables.js';
import { Liveness } from './liveness.js';
import type { Clock, Timers } from './options.js';
import { Transport } from './transport.js';
import type { WebSocketConstructor } from './websocket.js';

/** What a link reports, only ever about its current transport. @internal */
export interface LinkHandlers {
  /** One message, in order; the rest of its frame is dropped if handling it replaced the transport. */
  readonly message: (message: ServerMessage) => void;
  /** The transport closed, broke the protocol, did not answer within its open timeout, or went silent. */
  readonly lost: (code: number, reason: string, cause?: unknown) => void;
}

/** @internal */
export class Link {
  private transport: Transport | null = null;
  private gen = 0;
  private awaitingHandshake = false;
  private liveness: Liveness | null = null;
  private readonly scope: Disposables;
  private index = 0;

  constructor(
    private readonly urls: readonly string[],
    private readonly WebSocket: WebSocketConstructor,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly handlers: LinkHandlers,
  ) {
    this.scope = new Disposables(timers);
  }

  /** Bumped by every {@link open} and {@link drop}: compare before and after a callback to see whether it ended the transport. */
  get generation(): number {
    return this.gen;
  }

  /** The WebSocket URL the next (or current) transport goes to. */
  get url(): string {
    return this.urls[this.index] as string;
  }

  /** This node failed us: the next transport goes to the next URL (no change with one URL). */
  private moveOn(): void {
    this.index = (this.index + 1) % this.urls.length;
  }

  /** A transport is open or opening. */
  get isOpen(): boolean {
    return this.transport !== null;
  }

  /** The transport is open or opening and has not been {@link established} yet. */
  get handshaking(): boolean {
    return this.awaitingHandshake;
  }

  /** Replace the transport with a new one to `url?query`; reported lost after `openTimeout` ms without {@link established}. */
  open(query: string, openTimeout: number): void {
    this.drop(CloseCode.Normal, 'replaced');
    const gen = this.gen;
    this.awaitingHandshake = true;
    this.transport = new Transport(`${this.url}?${query}`, this.WebSocket, {
      messages: (messages) => {
        this.liveness?.received();
        for (const message of messages) {
          if (gen !== this.gen) return;
          this.handlers.message(message);
        }
      },
      closed: (code, reason, cause) => {
        if (gen !== this.gen) return;
        if (this.awaitingHandshake || code === CloseCode.NodeDraining) this.moveOn();
        this.handlers.lost(code, reason, cause);
      },
    });
    this.scope.setTimeout(() => {
      if (gen !== this.gen) return;
      this.moveOn();
      this.handlers.lost(CloseCode.AbnormalClosure, `no answer from the server within ${openTimeout} ms`);
    }, openTimeout);
  }

  /** `welcome` or `resumed` arrived: the open timeout no longer applies. */
  established(): void {
    this.awaitingHandshake = false;
    this.scope.clear();
  }

  /** Close the transport (if any) with `code`, forget it and its timers; bumps the generation. */
  drop(code: number, reason: string): void {
    this.gen++;
    this.transport?.close(code, reason);
    this.transport = null;
    this.awaitingHandshake = false;
    this.scope.clear();
    this.stopLiveness();
  }

  /** Ping every `heartbeatInterval` (`ack` gives each ping's position); report the transport lost after `heartbeatTimeout` of silence. */
  startLiveness(timings: SessionTimings, ack: () => number): void {
    this.stopLiveness();
    const gen = this.gen;
    this.liveness = new Liveness({
      clock: this.clock,
      timers: this.timers,
      interval: timings.heartbeatInterval,
      timeout: timings.heartbeatTimeout,
      ping: () => {
        this.send({ t: 'ping', a: ack() });
      },
      dead: (silentFor) => {
        if (gen === this.gen)
          this.handlers.lost(CloseCode.HeartbeatTimeout, `no frame from the server for ${silentFor} ms`);
      },
    });
  }

  /** Stop pinging and watching for silence (until the next {@link startLiveness}). */
  stopLiveness(): void {
    this.liveness?.stop();
    this.liveness = null;
  }

  /** Check liveness now (the page came back): ping, or report the transport lost if it went silent. */
  checkLiveness(): void {
    this.liveness?.check();
  }

  /** Queue a message on the transport; nothing happens without one. */
  send(message: ClientMessage): void {
    this.transport?.send(message);
  }

  /** Run `fn` after `ms` unless the link opens, drops or {@link cancelWait}s first (a retry or backoff wait). */
  wait(fn: () => void, ms: number): void {
    this.scope.setTimeout(fn, ms);
  }

  /** Cancel a pending {@link wait} (and the open timeout, if any). */
  cancelWait(): void {
    this.scope.clear();
  }
}
