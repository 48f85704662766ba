/**
 * The Session: the one owner of the connection state machine.
 *
 * ```
 *                 connect()            welcome
 *  NotConnected ───────────► Connecting ───────► Connected ◄──────────┐ resumed
 *  / Failed      ◄─ refused / unreachable ─┘      │  │ drop / silence  │
 *                                                 │  └──► Reconnecting ┘
 *        ◄── close / 2 s ── Disconnecting ◄─ disconnect()   │ window over, refused
 *                          ▲                               └──► Failed (1022)
 *                          └── disconnect() while Reconnecting: resume only to send `bye`
 * ```
 * Every transition goes through {@link Session.setState} (which fires `connectionStatusChanged`
 * and clears the state's timers); every ending goes through {@link Session.end}. Each transport
 * gets a new generation number; callbacks of an older one are ignored.
 */
import {
  CloseCode,
  DEFAULT_TIMINGS,
  handshakeQuery,
  isParleyCloseCode,
  isTerminalClose,
  WIRE_CAPABILITIES,
  type Capabilities,
  type ResumedMessage,
  type ServerMessage,
  type SessionTimings,
  type WelcomeMessage,
  type WireCapability,
  type WireLimits,
} from '@parley/protocol';
import { createDispatch, type Dispatch } from './dispatch.js';
import { Disposables } from './disposables.js';
import { CLIENT_DISCONNECTED, connectFailed, dropped, endingForClose, type Ending } from './ending.js';
import { ParleyError } from './errors.js';
import { TypedEmitter, type SessionEventMap } from './events.js';
import { deliver, type Receivers } from './incoming.js';
import { Inbox } from './inbox.js';
import { JoinJob, joinProblem } from './join.js';
import { Link } from './link.js';
import { checkSessionArguments, resolveOptions, type ResolvedOptions, type SessionOptions } from './options.js';
import { Outbox } from './outbox.js';
import { Reconnection, resumeMismatch } from './reconnection.js';
import { Requests } from './requests.js';
import { Roster } from './roster.js';
import type { SessionDelegate } from './session-delegate.js';
import { SessionCalls } from './session-calls.js';
import { watchSessionPage, type PageHost } from './session-page.js';
import { SessionStreams } from './session-streams.js';
import { StreamState } from './stream-state.js';
import { SessionConnectionStatus as Status, type Connection } from './types.js';

/** The longest a resume opened by `disconnect()` while Reconnecting (only to send `bye`) may take. */
const LEAVE_RESUME_TIMEOUT = 2000;

/**
 * A client's handle on one session: connect, signal, watch the others, reconnect by itself.
 * @example
 * const session = new Session(apiKey, sessionId, { sessionDidConnect: () => console.log('in') }, { url: 'http://127.0.0.1:8720' });
 * session.on('signal:chat', ({ data, from }) => console.log(from?.connectionId, data));
 * await session.connect(token);
 * await session.signal({ type: 'chat', data: 'hello' });
 * await session.disconnect();
 */
export class Session extends SessionCalls {
  /** The project's API key, always a string (a number given to the constructor is turned into one). */
  readonly apiKey: string;
  private readonly opts: ResolvedOptions;
  protected readonly emitter: TypedEmitter<SessionEventMap>;
  private readonly dispatch: Dispatch;
  private readonly roster: Roster;
  private status: Status = Status.NotConnected;
  /** The current transport, its generation and its timers (open timeout, retry and backoff waits). */
  private readonly link: Link;
  /** Timers of the current state; cleared by every setState. */
  private readonly stateScope: Disposables;
  private readonly outbox = new Outbox();
  protected readonly requests: Requests;
  /** Where the messages of an established connection go. */
  private readonly receivers: Receivers;
  private readonly inbox: Inbox;
  private resumeKey = '';
  private timings: SessionTimings = DEFAULT_TIMINGS;
  protected wireLimits: WireLimits | null = null;
  /** What the server granted at the join (welcome.caps); kept across resumes, like the server does. */
  private granted: readonly WireCapability[] = [];
  private connectJob: JoinJob | null = null;
  private reconnect: Reconnection | null = null;
  private disconnectWaiters: (() => void)[] = [];
  protected readonly media: StreamState;
  protected readonly mediaOps: SessionStreams;
  private detachLifecycle: (() => void) | null = null;

  /**
   * @param apiKey - the project's API key (must match the one inside the session ID); a number
   *   (as OpenTok users often store it) is turned into its decimal string
   * @param sessionId - the session to join
   * @param delegate - optional OpenTok-style callbacks
   * @param options - see {@link SessionOptions}; `url` is required outside a browser
   * @throws ParleyError 1011 when an argument or option is invalid
   * @example new Session(123456, sessionId, undefined, { url: 'https://parley.example.com' })
   */
  constructor(
    apiKey: string | number,
    readonly sessionId: string,
    delegate?: SessionDelegate,
    options?: SessionOptions,
  ) {
    super();
    this.apiKey = checkSessionArguments(apiKey, sessionId, delegate);
    this.opts = resolveOptions(options);
    this.emitter = new TypedEmitter(this.opts.onListenerError);
    this.dispatch = createDispatch(delegate, this.emitter, this.opts.onListenerError);
    this.roster = new Roster(this, this.dispatch);
    this.stateScope = new Disposables(this.opts.timers);
    this.link = new Link(this.opts.urls, this.opts.WebSocket, this.opts.clock, this.opts.timers, {
      message: (message) => {
        this.handle(message);
      },
      lost: (code, reason, cause) => {
        this.transportLost(code, reason, cause);
      },
    });
    this.inbox = new Inbox(this.opts.timers, (a) => {
      this.link.send({ t: 'ack', a });
    });
    this.requests = new Requests(this.outbox, this.roster, {
      // A request carries our position along (an `ack` in the same frame) when we have
      // unacknowledged messages: a client that sends as often as it receives then needs almost
      // no frame of its own for acks (PROTOCOL.md lets a client acknowledge at any time).
      send: (message) => {
        this.link.send(message);
        if (this.status === Status.Connected && this.inbox.received > this.inbox.acked)
          this.link.send({ t: 'ack', a: this.inbox.takeAck() });
      },
    });
    const streamHost = {
      session: this,
      dispatch: this.dispatch,
      requests: this.requests,
      roster: this.roster,
      webrtc: this.opts.webrtc,
      report: this.opts.onListenerError,
      status: () => this.status,
      granted: () => this.granted,
    };
    this.media = new StreamState(streamHost);
    this.mediaOps = new SessionStreams(this.media, streamHost);
    this.receivers = {
      target: this,
      inbox: this.inbox,
      requests: this.requests,
      roster: this.roster,
      dispatch: this.dispatch,
      streams: this.media,
    };
  }

  /** Our own connection; null until connected. @example session.connection?.connectionId */
  get connection(): Connection | null {
    return this.roster.connection;
  }

  /** The current status. @example session.connectionStatus === SessionConnectionStatus.Connected */
  get connectionStatus(): Status {
    return this.status;
  }

  /** The other clients in the session, by connection ID (never our own). @example [...session.connections.values()] */
  get connections(): ReadonlyMap<string, Connection> {
    return this.roster.connections;
  }

  /** What our role may do; NO_CAPABILITIES until connected. @example if (session.capabilities.canForceDisconnect) showKick(); */
  get capabilities(): Capabilities {
    return this.roster.capabilities;
  }

  /**
   * The protocol capabilities the server granted this connection (PROTOCOL.md §Evolution): those
   * this client declared that the server has too. Empty until connected, and against a server
   * built before capabilities.
   * @example if (session.protocolCapabilities.includes('reply')) await session.serverTime();
   */
  get protocolCapabilities(): readonly WireCapability[] {
    return this.granted;
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
    const early = joinProblem(this.apiKey, this.sessionId, token);
    if (early !== null) {
      this.dispatch('sessionError', { target: this, error: early });
      return Promise.reject(early);
    }
    // Declare every capability this client understands; the server grants what it has too.
    const query = handshakeQuery({
      kind: 'join',
      apiKey: this.apiKey,
      sessionId: this.sessionId,
      token,
      caps: WIRE_CAPABILITIES,
    });
    return new Promise<void>((resolve, reject) => {
      const job = new JoinJob(query, this.link, this.opts, resolve, reject);
      this.connectJob = job;
      if (this.opts.pageLifecycle) this.detachLifecycle ??= watchSessionPage(this.pageHost());
      this.setState(Status.Connecting);
      if (this.status === Status.Connecting) job.open();
    });
  }

  /**
   * Leave the session: sends `bye`, waits for the server to close (at most `disconnectTimeout`),
   * then fires `sessionDisconnected` with reason 'clientDisconnected'. While Reconnecting, the
   * `bye` goes out on the resume under way, or on one short resume made only for it (the server
   * still holds the connection, and would otherwise tell the others `networkDisconnected` only when
   * its reconnect window runs out). Resolves at once when not connected.
   * @example await session.disconnect();
   */
  disconnect(): Promise<void> {
    if (this.status === Status.NotConnected || this.status === Status.Failed) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.disconnectWaiters.push(resolve));
    if (this.status === Status.Connected) {
      this.link.send({ t: 'bye' });
      this.beginDisconnecting();
    } else if (this.status === Status.Connecting) {
      this.end(connectFailed(null));
    } else if (this.status === Status.Reconnecting) {
      this.leaveWhileReconnecting();
    }
    return done;
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
    const why = ending.reason ?? 'connect aborted';
    this.connectJob = null;
    this.disconnectWaiters = [];
    this.reconnect = null;
    this.dropTransport(CloseCode.Normal, why);
    this.detachLifecycle?.();
    this.detachLifecycle = null;
    this.roster.clear();
    this.media.reset(
      ending.reason === 'forceDisconnected'
        ? 'forceDisconnected'
        : ending.reason === 'clientDisconnected'
          ? 'clientDisconnected'
          : 'networkDisconnected',
    );
    this.setState(ending.status);
    this.outbox.reset(ending.error ?? ParleyError.notConnected(`the session disconnected (${why})`));
    if (ending.error !== null) this.dispatch('sessionError', { target: this, error: ending.error });
    if (ending.reason !== null) this.dispatch('sessionDisconnected', { target: this, reason: ending.reason });
    job?.reject(ending.error ?? ParleyError.notConnected('disconnect() was called while connecting'));
    for (const resolve of waiters) resolve();
  }

  private enterConnected(): void {
    this.setState(Status.Connected);
    if (this.status !== Status.Connected) return;
    this.link.startLiveness(this.timings, () => this.inbox.takeAck());
    this.stateScope.add(() => {
      this.link.stopLiveness();
    });
  }

  /** Status Disconnecting, ended with clientDisconnected when the server closes or `disconnectTimeout` passes. */
  private beginDisconnecting(): void {
    this.setState(Status.Disconnecting);
    if (this.status !== Status.Disconnecting) return;
    this.stateScope.setTimeout(() => {
      this.end(CLIENT_DISCONNECTED);
    }, this.opts.disconnectTimeout);
  }

  // ------------------------------------------------------------------ transports

  /** Close the current transport (if any) and forget it and what belongs to it; bumps the generation. */
  private dropTransport(code: number, reason: string): void {
    this.link.drop(code, reason);
    this.inbox.cancel();
  }

  /** The transport closed, timed out, or went silent; `code` decides what happens next. */
  private transportLost(code: number, reason: string, cause?: unknown, sendCode = code): void {
    this.dropTransport(isParleyCloseCode(sendCode) ? sendCode : CloseCode.Normal, reason);
    switch (this.status) {
      case Status.Connecting:
        this.joinFailed(code, reason, cause);
        return;
      case Status.Connected:
        if (isTerminalClose(code)) this.end(endingForClose(code, reason));
        else this.beginReconnecting();
        return;
      case Status.Reconnecting:
        if (isTerminalClose(code)) this.end(endingForClose(code, reason));
        else this.nextResume();
        return;
      case Status.Disconnecting:
        this.end(CLIENT_DISCONNECTED);
        return;
      case Status.NotConnected:
      case Status.Failed:
        return;
    }
  }

  // ------------------------------------------------------------------ joining

  private joinFailed(code: number, reason: string, cause: unknown): void {
    const error = this.connectJob?.failed(code, reason, cause) ?? null;
    if (error !== null) this.end(connectFailed(error));
  }

  private onWelcome(welcome: WelcomeMessage): void {
    const job = this.connectJob;
    this.connectJob = null;
    this.link.established();
    this.roster.join(welcome.connection, welcome.role);
    this.resumeKey = welcome.resumeKey;
    this.timings = welcome;
    this.wireLimits = welcome.limits;
    this.granted = welcome.caps ?? [];
    this.media.joined(welcome);
    this.outbox.reset(ParleyError.notConnected('superseded by a new connection'));
    this.inbox.reset();
    const gen = this.link.generation;
    this.enterConnected();
    // A listener may have ended the session (every ending bumps the generation).
    if (gen !== this.link.generation) {
      job?.reject(ParleyError.notConnected('disconnected while connecting'));
      return;
    }
    this.dispatch('sessionConnected', { target: this, connection: welcome.connection });
    for (const connection of welcome.connections) {
      if (gen !== this.link.generation) break;
      this.roster.add(connection);
    }
    if (gen === this.link.generation) this.media.announceWelcome(welcome);
    job?.resolve();
  }

  // ------------------------------------------------------------------ reconnecting

  private beginReconnecting(): void {
    const own = this.roster.connection;
    if (own === null) return; // unreachable: only an established connection reconnects
    const query = (): string =>
      handshakeQuery({
        kind: 'resume',
        apiKey: this.apiKey,
        sessionId: this.sessionId,
        connectionId: own.connectionId,
        resumeKey: this.resumeKey,
        ack: this.inbox.received,
      });
    const { reconnectPolicy, clock, openTimeout } = this.opts;
    const reconnect = new Reconnection(
      this.link,
      reconnectPolicy,
      clock,
      openTimeout,
      query,
      this.timings.reconnectWindow,
    );
    this.reconnect = reconnect;
    this.setState(Status.Reconnecting);
    if (this.status !== Status.Reconnecting) return;
    this.stateScope.setTimeout(() => {
      this.end(dropped(reconnect.windowOver));
    }, reconnect.window);
    this.media.sessionChanged(true);
    this.dispatch('sessionReconnecting', { target: this });
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a sessionReconnecting listener may have ended the session
    if (this.status === Status.Reconnecting && !this.link.isOpen) this.nextResume();
  }

  private nextResume(): void {
    const giveUp = this.reconnect?.next() ?? null;
    if (giveUp !== null) this.end(dropped(giveUp));
  }

  private onResumed(resumed: ResumedMessage): void {
    this.link.established();
    if (this.status === Status.Disconnecting) {
      // Resumed only to leave: the server answers `bye` by destroying the connection with
      // clientDisconnected and closing, which ends us through transportLost.
      this.link.send({ t: 'bye' });
      return;
    }
    const mismatch = resumeMismatch(resumed, this.inbox.received, this.outbox.lastSeq);
    if (mismatch !== null) {
      this.transportLost(CloseCode.ResumeRefused, mismatch, undefined, CloseCode.ProtocolError);
      return;
    }
    this.timings = resumed;
    this.inbox.resumedAt(this.inbox.received);
    // Re-send what the server does not have, in order, before anything a listener may send below.
    for (const request of this.outbox.unprocessedAfter(resumed.ack)) this.link.send(request);
    this.reconnect = null;
    const gen = this.link.generation;
    this.enterConnected();
    if (gen !== this.link.generation) return;
    this.media.sessionChanged(false);
    this.dispatch('sessionReconnected', { target: this });
  }

  /**
   * `disconnect()` while Reconnecting: the resume already open or opening, or one opened now (open
   * timeout at most LEAVE_RESUME_TIMEOUT), sends `bye` on `resumed` (see onResumed and the diagram
   * in reconnection.ts); `disconnectTimeout` bounds the whole thing, which ends with clientDisconnected.
   */
  private leaveWhileReconnecting(): void {
    const opening = this.link.isOpen;
    this.beginDisconnecting();
    if (this.status !== Status.Disconnecting || opening) return;
    this.link.cancelWait(); // the backoff wait
    if (this.reconnect === null) this.end(CLIENT_DISCONNECTED);
    else this.reconnect.open(LEAVE_RESUME_TIMEOUT);
  }

  /** What the page's lifecycle may do to this session (session-page.ts): only through its funnels. */
  private pageHost(): PageHost {
    return {
      link: this.link,
      status: () => this.status,
      reconnect: () => this.reconnect,
      disconnect: () => this.disconnect(),
      end: (ending) => {
        this.end(ending);
      },
    };
  }

  // ------------------------------------------------------------------ messages

  private handle(message: ServerMessage): void {
    if (this.link.handshaking) {
      if (message.t === 'welcome' && this.status === Status.Connecting) this.onWelcome(message);
      else if (message.t === 'resumed' && this.status !== Status.Connecting) this.onResumed(message);
      else this.transportLost(CloseCode.ProtocolError, `unexpected "${message.t}" before the handshake completed`);
      return;
    }
    if (!deliver(message, this.receivers)) {
      this.transportLost(CloseCode.ProtocolError, `unexpected "${message.t}" on an established connection`);
    }
  }
}
