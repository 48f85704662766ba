/**
 * The Session: the one owner of the connection state machine.
 *
 * ```
 *                 connect()            welcome
 *  NotConnected ───────────► Connecting ───────► Connected ◄──────────┐ resumed
 *  / Failed      ◄─ refused / unreachable ─┘      │  │ drop / silence  │
 *                                                 │  └──► Reconnecting ┘
 *        ◄── close / 2 s ── Disconnecting ◄─ disconnect()   │ window over, refused
 *                                                          └──► Failed (1022)
 * ```
 * Every transition goes through {@link Session.setState} (which fires `connectionStatusChanged`
 * and clears the state's timers); every ending goes through {@link Session.end}. Each transport
 * gets a new generation number; callbacks of an older one are ignored.
 */
import {
  capabilitiesFor,
  CloseCode,
  connectErrorForClose,
  DEFAULT_TIMINGS,
  handshakeQuery,
  isSequenced,
  isTerminalClose,
  NO_CAPABILITIES,
  parseSessionId,
  SessionErrorCode,
  type Capabilities,
  type ResumedMessage,
  type ServerMessage,
  type SessionTimings,
  type WelcomeMessage,
  type WireLimits,
} from '@parley/protocol';
import { createDispatch, type Dispatch } from './dispatch.js';
import { Disposables } from './disposables.js';
import { CLIENT_DISCONNECTED, connectFailed, dropped, endingForClose, type Ending } from './ending.js';
import { ParleyError } from './errors.js';
import { TypedEmitter, type SessionEventMap, type SessionEventName, type SessionListener } from './events.js';
import { Inbox } from './inbox.js';
import { Liveness } from './liveness.js';
import { resolveOptions, type ResolvedOptions, type SessionOptions } from './options.js';
import { Outbox, type RequestBody } from './outbox.js';
import { attachPageLifecycle, browserPageLifecycleEnv } from './page-lifecycle.js';
import { connectionIdOf, signalBody } from './requests.js';
import type { SessionDelegate } from './session-delegate.js';
import { Transport } from './transport.js';
import { SessionConnectionStatus as Status, type Connection, type SignalOptions } from './types.js';

/** What the socket reports when it dies without a close frame, or an open timed out. */
const ABNORMAL_CLOSURE = 1006;

/**
 * A client's handle on one session: connect, signal, watch the others, reconnect by itself.
 * @example
 * const session = new Session(apiKey, sessionId, { sessionDidConnect: () => console.log('in') }, { url: 'http://127.0.0.1:8080' });
 * session.on('signal:chat', ({ data, from }) => console.log(from?.connectionId, data));
 * await session.connect(token);
 * await session.signal({ type: 'chat', data: 'hello' });
 * await session.disconnect();
 */
export class Session {
  private readonly opts: ResolvedOptions;
  private readonly emitter: TypedEmitter<SessionEventMap>;
  private readonly dispatch: Dispatch;
  private status: Status = Status.NotConnected;
  private gen = 0;
  private transport: Transport | null = null;
  /** Timers of the current state; cleared by every setState. */
  private readonly stateScope: Disposables;
  /** Timers of the current transport (open timeout, backoff wait); cleared whenever it is dropped. */
  private readonly transportScope: Disposables;
  private readonly outbox = new Outbox();
  private readonly inbox: Inbox;
  private liveness: Liveness | null = null;
  private own: Connection | null = null;
  private caps: Capabilities = NO_CAPABILITIES;
  private readonly others = new Map<string, Connection>();
  private resumeKey = '';
  private timings: SessionTimings = DEFAULT_TIMINGS;
  private limits: WireLimits | null = null;
  private connectJob: { token: string; attempt: number; resolve: () => void; reject: (e: Error) => void } | null = null;
  private reconnect: { startedAt: number; deadline: number; attempt: number } | null = null;
  private disconnectWaiters: (() => void)[] = [];
  private detachLifecycle: (() => void) | null = null;

  /**
   * @param apiKey - the project's API key (must match the one inside the session ID)
   * @param sessionId - the session to join
   * @param delegate - optional OpenTok-style callbacks
   * @param options - see {@link SessionOptions}; `url` is required outside a browser
   * @throws ParleyError 1011 when an argument or option is invalid
   * @example new Session('123456', sessionId, undefined, { url: 'https://parley.example.com' })
   */
  constructor(
    readonly apiKey: string,
    readonly sessionId: string,
    delegate?: SessionDelegate,
    options?: SessionOptions,
  ) {
    if (typeof apiKey !== 'string') throw ParleyError.invalidParameter('apiKey must be a string');
    if (typeof sessionId !== 'string') throw ParleyError.invalidParameter('sessionId must be a string');
    if (delegate !== undefined && (typeof delegate !== 'object' || delegate === null)) {
      throw ParleyError.invalidParameter('delegate must be an object or undefined');
    }
    this.opts = resolveOptions(options);
    this.emitter = new TypedEmitter(this.opts.onListenerError);
    this.dispatch = createDispatch(delegate, this.emitter, this.opts.onListenerError);
    this.stateScope = new Disposables(this.opts.timers);
    this.transportScope = new Disposables(this.opts.timers);
    this.inbox = new Inbox(this.opts.timers, (a) => this.transport?.send({ t: 'ack', a }));
  }

  /** Our own connection; null until connected. @example session.connection?.connectionId */
  get connection(): Connection | null {
    return this.own;
  }

  /** The current status. @example session.connectionStatus === SessionConnectionStatus.Connected */
  get connectionStatus(): Status {
    return this.status;
  }

  /** The other clients in the session, by connection ID (never our own). @example [...session.connections.values()] */
  get connections(): ReadonlyMap<string, Connection> {
    return this.others;
  }

  /** What our role may do; NO_CAPABILITIES until connected. @example if (session.capabilities.canForceDisconnect) showKick(); */
  get capabilities(): Capabilities {
    return this.caps;
  }

  /**
   * Listen to an event; returns a function that removes the listener.
   * @example const off = session.on('connectionCreated', ({ connection }) => add(connection)); off();
   */
  on<K extends SessionEventName>(event: K, listener: SessionListener<K>): () => void {
    return this.emitter.on(event, listener);
  }

  /** Listen to the next occurrence of an event only. @example session.once('sessionConnected', () => ready()); */
  once<K extends SessionEventName>(event: K, listener: SessionListener<K>): () => void {
    return this.emitter.once(event, listener);
  }

  /** Remove a listener added with `on`. @example session.off('signal', onSignal); */
  off<K extends SessionEventName>(event: K, listener: SessionListener<K>): void {
    this.emitter.off(event, listener);
  }

  /**
   * Connect with a token. Resolves after `sessionDidConnect`; rejects with a ParleyError (1004,
   * 1005, 1006, 1027, 1023, 2000; 1015 without any callback when already connecting or connected).
   * @example await session.connect(token);
   */
  connect(token: string): Promise<void> {
    if (this.status !== Status.NotConnected && this.status !== Status.Failed) {
      return Promise.reject(ParleyError.illegalState(`connect() called while ${Status[this.status]}`));
    }
    const early = this.checkJoin(token);
    if (early !== null) {
      this.dispatch('sessionError', { target: this, error: early });
      return Promise.reject(early);
    }
    return new Promise<void>((resolve, reject) => {
      this.connectJob = { token, attempt: 0, resolve, reject };
      this.watchPageLifecycle();
      this.setState(Status.Connecting);
      if (this.status === Status.Connecting) this.openJoin();
    });
  }

  /**
   * Leave the session: sends `bye`, waits for the server to close (at most `disconnectTimeout`),
   * then fires `sessionDisconnected` with reason 'clientDisconnected'. Resolves at once when not connected.
   * @example await session.disconnect();
   */
  disconnect(): Promise<void> {
    if (this.status === Status.NotConnected || this.status === Status.Failed) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.disconnectWaiters.push(resolve));
    if (this.status === Status.Connected) {
      this.transport?.send({ t: 'bye' });
      this.setState(Status.Disconnecting);
      this.stateScope.setTimeout(() => this.end(CLIENT_DISCONNECTED), this.opts.disconnectTimeout);
    } else if (this.status === Status.Connecting) {
      this.end(connectFailed(null));
    } else if (this.status === Status.Reconnecting) {
      this.end(CLIENT_DISCONNECTED);
    }
    return done;
  }

  /**
   * Send a signal to everyone (including us) or to one connection. Resolves when the server has
   * accepted it (not when anyone received it).
   * @example await session.signal({ type: 'chat', data: 'hi', to: session.connections.get(id) });
   */
  signal(options: SignalOptions = {}): Promise<void> {
    try {
      const body = signalBody(options, this.limits);
      this.checkRequestState(options.retryAfterReconnect !== false);
      if (!this.caps.canSignal) throw new ParleyError(SessionErrorCode.UnableToSendSignal, 'this role may not send signals');
      if (body.t === 'signal' && body.to !== undefined) this.checkKnown(body.to);
      return this.request(body);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Disconnect another client (moderators only): 1520 when not permitted, 1010 when not
   * connected, 404 when the connection is not in the session.
   * @example await session.forceDisconnect(connection);
   */
  forceDisconnect(connection: Connection | string): Promise<void> {
    try {
      const connectionId = connectionIdOf(connection, 'connection');
      this.checkRequestState(true);
      if (!this.caps.canForceDisconnect) {
        throw new ParleyError(SessionErrorCode.UnableToForceDisconnect, 'only a moderator may force a disconnect');
      }
      this.checkKnown(connectionId);
      return this.request({ t: 'forceDisconnect', connectionId });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // ------------------------------------------------------------------ state

  private setState(next: Status): void {
    const previous = this.status;
    if (previous === next) return;
    this.status = next;
    this.stateScope.clear();
    this.dispatch('connectionStatusChanged', { target: this, status: next, previous });
  }

  /** The funnel every ending goes through: drop the transport, settle everything, then tell. */
  private end(ending: Ending): void {
    const job = this.connectJob;
    const waiters = this.disconnectWaiters;
    this.connectJob = null;
    this.disconnectWaiters = [];
    this.reconnect = null;
    this.dropTransport(CloseCode.Normal, ending.reason ?? 'connect aborted');
    this.detachLifecycle?.();
    this.detachLifecycle = null;
    this.own = null;
    this.caps = NO_CAPABILITIES;
    this.others.clear();
    this.setState(ending.status);
    this.outbox.reset(ending.error ?? ParleyError.notConnected(`the session disconnected (${ending.reason ?? 'connect aborted'})`));
    if (ending.error !== null) this.dispatch('sessionError', { target: this, error: ending.error });
    if (ending.reason !== null) this.dispatch('sessionDisconnected', { target: this, reason: ending.reason });
    job?.reject(ending.error ?? ParleyError.notConnected('disconnect() was called while connecting'));
    for (const resolve of waiters) resolve();
  }

  private enterConnected(): void {
    this.setState(Status.Connected);
    const gen = this.gen;
    const liveness = new Liveness({
      clock: this.opts.clock,
      timers: this.opts.timers,
      interval: this.timings.heartbeatInterval,
      timeout: this.timings.heartbeatTimeout,
      ping: () => this.transport?.send({ t: 'ping', a: this.inbox.takeAck() }),
      dead: (silentFor) => {
        if (gen === this.gen) this.transportLost(CloseCode.HeartbeatTimeout, `no frame from the server for ${silentFor} ms`);
      },
    });
    this.liveness = liveness;
    this.stateScope.add(() => liveness.stop());
  }

  // ------------------------------------------------------------------ transports

  private openTransport(query: string, openTimeout: number): void {
    this.dropTransport(CloseCode.Normal, 'replaced');
    const gen = this.gen;
    this.transport = new Transport(`${this.opts.url}?${query}`, this.opts.WebSocket, {
      messages: (messages) => this.onMessages(gen, messages),
      closed: (code, reason, cause) => {
        if (gen === this.gen) this.transportLost(code, reason, cause);
      },
    });
    this.transportScope.setTimeout(() => {
      if (gen === this.gen) this.transportLost(ABNORMAL_CLOSURE, `no answer from the server within ${openTimeout} ms`);
    }, openTimeout);
  }

  /** Close the current transport (if any) and forget it; bumps the generation. */
  private dropTransport(code: number, reason: string): void {
    this.gen++;
    this.transport?.close(code, reason);
    this.transport = null;
    this.transportScope.clear();
    this.inbox.cancel();
    this.liveness?.stop();
    this.liveness = null;
  }

  /** The transport closed, timed out, or went silent; `code` decides what happens next. */
  private transportLost(code: number, reason: string, cause?: unknown, sendCode = code): void {
    this.dropTransport(sendCode >= 4000 ? sendCode : CloseCode.Normal, reason);
    switch (this.status) {
      case Status.Connecting:
        return this.joinFailed(code, reason, cause);
      case Status.Connected:
        return isTerminalClose(code) ? this.end(endingForClose(code, reason)) : this.beginReconnecting();
      case Status.Reconnecting:
        return isTerminalClose(code) ? this.end(endingForClose(code, reason)) : this.nextResume();
      case Status.Disconnecting:
        return this.end(CLIENT_DISCONNECTED);
      default:
        return;
    }
  }

  private onMessages(gen: number, messages: ServerMessage[]): void {
    this.liveness?.received();
    for (const message of messages) {
      if (gen !== this.gen) return;
      this.handle(message);
    }
  }

  // ------------------------------------------------------------------ joining

  private checkJoin(token: string): ParleyError | null {
    if (typeof token !== 'string' || token === '') return new ParleyError(SessionErrorCode.AuthorizationFailure, 'the token is empty');
    const parsed = parseSessionId(this.sessionId);
    if (parsed === null) return new ParleyError(SessionErrorCode.InvalidSession, `the session ID ${JSON.stringify(this.sessionId)} is malformed`);
    if (parsed.apiKey !== this.apiKey) {
      return new ParleyError(SessionErrorCode.AuthorizationFailure, `the session ID belongs to API key ${parsed.apiKey}, not ${this.apiKey}`);
    }
    return null;
  }

  private openJoin(): void {
    const job = this.connectJob;
    if (job === null) return;
    this.openTransport(handshakeQuery({ kind: 'join', apiKey: this.apiKey, sessionId: this.sessionId, token: job.token }), this.opts.openTimeout);
  }

  private joinFailed(code: number, reason: string, cause: unknown): void {
    const job = this.connectJob;
    if (job === null) return;
    const mapped = connectErrorForClose(code);
    const detail = reason === '' ? `closed with ${code}` : `${reason} (${code})`;
    if (mapped !== SessionErrorCode.ConnectionFailed) {
      return this.end(connectFailed(new ParleyError(mapped, `connect refused: ${detail}`, { cause: cause ?? { code, reason } })));
    }
    job.attempt++;
    if (job.attempt >= this.opts.connectAttempts) {
      const message = `could not reach ${this.opts.url} after ${job.attempt} attempt(s): ${detail}`;
      return this.end(connectFailed(new ParleyError(SessionErrorCode.ConnectionFailed, message, { cause: cause ?? { code, reason } })));
    }
    const delays = this.opts.connectRetryDelays;
    this.transportScope.setTimeout(() => this.openJoin(), delays[Math.min(job.attempt - 1, delays.length - 1)] ?? 0);
  }

  private onWelcome(welcome: WelcomeMessage): void {
    const job = this.connectJob;
    this.connectJob = null;
    this.transportScope.clear();
    this.own = welcome.connection;
    this.caps = capabilitiesFor(welcome.role);
    this.resumeKey = welcome.resumeKey;
    this.timings = welcome;
    this.limits = welcome.limits;
    this.others.clear();
    this.outbox.reset(ParleyError.notConnected('superseded by a new connection'));
    this.inbox.reset();
    const gen = this.gen;
    this.enterConnected();
    if (gen !== this.gen || this.own === null) return job?.reject(ParleyError.notConnected('disconnected while connecting'));
    this.dispatch('sessionConnected', { target: this, connection: this.own });
    for (const connection of welcome.connections) {
      if (gen !== this.gen) break;
      this.addOther(connection);
    }
    job?.resolve();
  }

  // ------------------------------------------------------------------ reconnecting

  private beginReconnecting(): void {
    const now = this.opts.clock.now();
    const window = this.timings.reconnectWindow;
    this.setState(Status.Reconnecting);
    this.reconnect = { startedAt: now, deadline: now + window, attempt: 0 };
    this.stateScope.setTimeout(() => this.end(dropped(`could not resume within the reconnect window (${window} ms)`)), window);
    this.dispatch('sessionReconnecting', { target: this });
    if (this.status === Status.Reconnecting && this.transport === null) this.nextResume();
  }

  private nextResume(): void {
    const r = this.reconnect;
    if (r === null) return;
    const now = this.opts.clock.now();
    const remaining = r.deadline - now;
    if (remaining <= 0) return this.end(dropped(`could not resume within the reconnect window (${this.timings.reconnectWindow} ms)`));
    const delay = this.opts.reconnectPolicy.nextRetryDelay({ attempt: r.attempt, elapsed: now - r.startedAt, remaining });
    if (delay === null) return this.end(dropped(`the reconnect policy gave up after ${r.attempt} attempt(s)`));
    if (delay <= 0) return this.openResume();
    this.transportScope.setTimeout(() => this.openResume(), Math.min(delay, remaining));
  }

  private openResume(): void {
    const r = this.reconnect;
    if (r === null || this.own === null) return;
    r.attempt++;
    const remaining = r.deadline - this.opts.clock.now();
    const query = handshakeQuery({
      kind: 'resume',
      apiKey: this.apiKey,
      sessionId: this.sessionId,
      connectionId: this.own.connectionId,
      resumeKey: this.resumeKey,
      ack: this.inbox.received,
    });
    this.openTransport(query, Math.max(0, Math.min(this.opts.openTimeout, remaining)));
  }

  private onResumed(resumed: ResumedMessage): void {
    const transport = this.transport;
    if (transport === null) return;
    if (resumed.next !== this.inbox.received + 1 || resumed.ack > this.outbox.lastSeq) {
      const why = `resume position mismatch (next ${resumed.next}, expected ${this.inbox.received + 1}; ack ${resumed.ack} of ${this.outbox.lastSeq})`;
      return this.transportLost(CloseCode.ResumeRefused, why, undefined, CloseCode.ProtocolError);
    }
    this.transportScope.clear();
    this.timings = resumed;
    this.inbox.resumedAt(this.inbox.received);
    // Re-send what the server does not have, in order, before anything a listener may send below.
    for (const request of this.outbox.unprocessedAfter(resumed.ack)) transport.send(request);
    this.reconnect = null;
    const gen = this.gen;
    this.enterConnected();
    if (gen === this.gen) this.dispatch('sessionReconnected', { target: this });
  }

  /** The page came back (online, visible): retry a resume now, or check liveness now. */
  private wake(): void {
    if (this.status === Status.Reconnecting && this.transport === null) {
      this.transportScope.clear();
      this.openResume();
    } else if (this.status === Status.Connected) {
      this.liveness?.check();
    }
  }

  private watchPageLifecycle(): void {
    if (!this.opts.pageLifecycle || this.detachLifecycle !== null) return;
    const env = browserPageLifecycleEnv();
    if (env === null) return;
    this.detachLifecycle = attachPageLifecycle(env, { suspend: () => void this.disconnect(), wake: () => this.wake() });
  }

  // ------------------------------------------------------------------ messages

  private handle(message: ServerMessage): void {
    if (this.status === Status.Connecting || this.status === Status.Reconnecting) {
      if (this.status === Status.Connecting && message.t === 'welcome') return this.onWelcome(message);
      if (this.status === Status.Reconnecting && message.t === 'resumed') return this.onResumed(message);
      return this.transportLost(CloseCode.ProtocolError, `unexpected "${message.t}" before the handshake completed`);
    }
    if (isSequenced(message)) this.inbox.noteSequenced();
    switch (message.t) {
      case 'ack':
        return this.outbox.ack(message.a);
      case 'pong':
        return;
      case 'nack':
        this.outbox.nack(message.r, new ParleyError(message.code as SessionErrorCode, message.message));
        return;
      case 'signal': {
        const from = message.from === null ? null : this.connectionFor(message.from);
        return this.dispatch('signal', { target: this, type: message.type, data: message.data, from });
      }
      case 'connectionCreated':
        return this.addOther(message.connection);
      case 'connectionDestroyed': {
        const connection = this.others.get(message.connectionId);
        if (connection === undefined) return;
        this.others.delete(message.connectionId);
        return this.dispatch('connectionDestroyed', { target: this, connection, reason: message.reason });
      }
      case 'connectionReconnecting':
      case 'connectionReconnected': {
        const connection = this.others.get(message.connectionId);
        if (connection !== undefined) this.dispatch(message.t, { target: this, connection });
        return;
      }
      case 'welcome':
      case 'resumed':
        return this.transportLost(CloseCode.ProtocolError, `unexpected "${message.t}" on an established connection`);
    }
  }

  private addOther(connection: Connection): void {
    if (connection.connectionId === this.own?.connectionId || this.others.has(connection.connectionId)) return;
    this.others.set(connection.connectionId, connection);
    this.dispatch('connectionCreated', { target: this, connection });
  }

  /** The sender of a signal; the server sends connectionCreated first, so an unknown ID is a stand-in. */
  private connectionFor(connectionId: string): Connection {
    if (connectionId === this.own?.connectionId) return this.own;
    return this.others.get(connectionId) ?? { connectionId, creationTime: 0, data: '' };
  }

  // ------------------------------------------------------------------ requests

  private checkRequestState(retryAfterReconnect: boolean): void {
    if (this.status === Status.Reconnecting && !retryAfterReconnect) {
      throw ParleyError.notConnected('the session is reconnecting and retryAfterReconnect is false');
    }
    if (this.status !== Status.Connected && this.status !== Status.Reconnecting) {
      throw ParleyError.notConnected(`the session is not connected (${Status[this.status]})`);
    }
  }

  private checkKnown(connectionId: string): void {
    if (connectionId !== this.own?.connectionId && !this.others.has(connectionId)) {
      throw ParleyError.notFound(`no connection ${JSON.stringify(connectionId)} in this session`);
    }
  }

  /** Number the request and send it now (Connected) or after the resume (Reconnecting). */
  private request(body: RequestBody): Promise<void> {
    const { request, done } = this.outbox.add(body);
    if (this.status === Status.Connected) this.transport?.send(request);
    return done;
  }
}
