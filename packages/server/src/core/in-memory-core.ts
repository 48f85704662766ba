/**
 * The single-process {@link RealtimeCore}: sessions and connections in maps, one replay buffer
 * per connection, one write batch per socket per tick, one server-wide heartbeat sweep.
 *
 * Join (the gateway has already checked the token):
 * ```
 *  client A            gateway                 core                     others in session
 *    | GET /v1/ws?token  |                       |                              |
 *    |------------------>| authenticate          |                              |
 *    |<-- 101 -----------| join(ws, grant) ----->| limit? (else close 4027)     |
 *    |<------------------------------ welcome ---| {connection, connections,    |
 *    |                   |                       |  resumeKey, timings, limits} |
 *    |                   |                       |-- connectionCreated(A) ----->| (sequenced)
 *    |-- signal{s:1} ------------------------------>| fan out (encoded once)     |
 *    |<-- signal (echo), ack{a:1}  (one frame) ---|-- signal ------------------>|
 * ```
 * Resume (transport dropped; sequenced messages kept being held meanwhile):
 * ```
 *  client A                                  core                      others
 *    |  x socket closes / heartbeat timeout   | detach: gen g           |
 *    |                                        |-- connectionReconnecting ->|
 *    |                                        |   expiry timer (g, reconnectWindow)
 *    | GET /v1/ws?resume=id&key=K&ack=n ----->| key ok? n in [acked, sent]? (else 4010)
 *    |                                        | gen g+1, old socket closed 4006
 *    |<-- resumed {ack: highest s, next: n+1} |                         |
 *    |<-- held messages n+1 .. sent, in order |-- connectionReconnected ->|
 *    |-- requests the server has not acked -->|  (duplicates dropped by s)
 *    |           ...                          | timer (g) fires later: gen is g+1, ignored
 * ```
 */
import {
  CloseCode,
  decodeClientFrame,
  DEFAULT_MAX_UNSENT_BYTES,
  DEFAULT_SESSION_SIGNAL_BUDGET,
  DEFAULT_SIGNAL_BYTE_RATE,
  DEFAULT_SIGNAL_RATE,
  encodeMessage,
  joinFrame,
  ProtocolError,
  type ByteRate,
  type DisconnectReason,
  type RateLimit,
  type ReplayBounds,
  type ResumeParams,
  type SessionSignalBudget,
  type SessionTimings,
} from '@parley/protocol';
import { WebSocket, type RawData } from 'ws';
import type { OpResult } from '../rest/realtime-ops.js';
import { Connection } from './connection.js';
import { drainReason, type DrainCode } from './drain.js';
import { newConnectionId, newResumeKey } from './ids.js';
import type { JoinGrant, RealtimeCore } from './realtime-core.js';
import { RequestHandler, type CoreActions } from './request-handler.js';
import { logSafe } from '../log-safe.js';
import { SILENT_LOGGER, type Logger } from '../log/logger.js';
import { resumeRefusal } from './resume-check.js';
import { SocketCloser } from './socket-closer.js';
import { SessionBudget } from './token-bucket.js';
import { encodeWelcome } from './welcome.js';
import { WriteBatcher } from './write-batcher.js';

/** `ws.send` options for a Buffer that holds UTF-8 text: send it as a text frame. */
const TEXT = { binary: false } as const;

/**
 * The frame of the last batch flushed in this pass, as a Buffer. In a broadcast tick every
 * member's batch holds the same encoded messages (the same string references, in the same
 * order), so the frame is joined and UTF-8 encoded once and that Buffer is written to every
 * socket, instead of once per socket (`ws` would encode each string again). A batch that differs
 * replaces it. It is forgotten at the end of each flush pass.
 */
class SharedFrame {
  #messages: string[] = [];
  #buffer: Buffer | null = null;

  frame(out: readonly string[]): Buffer {
    const last = this.#messages;
    let same = this.#buffer !== null && last.length === out.length;
    for (let i = 0; same && i < out.length; i++) same = last[i] === out[i];
    if (!same || this.#buffer === null) {
      this.#messages = out.slice();
      this.#buffer = Buffer.from(joinFrame(out), 'utf8');
    }
    return this.#buffer;
  }

  forget(): void {
    this.#messages = [];
    this.#buffer = null;
  }
}

/** How long a closing socket gets to finish the close handshake before it is terminated. */
const CLOSE_GRACE_MS = 2000;

export interface InMemoryCoreOptions {
  readonly timings: Readonly<SessionTimings>;
  readonly replay: Readonly<ReplayBounds>;
  readonly signalRate?: Readonly<RateLimit>;
  /** @default DEFAULT_SIGNAL_BYTE_RATE */
  readonly signalBytes?: Readonly<ByteRate>;
  /** @default DEFAULT_SESSION_SIGNAL_BUDGET */
  readonly sessionSignals?: Readonly<SessionSignalBudget>;
  /** @default DEFAULT_MAX_UNSENT_BYTES */
  readonly maxUnsentBytes?: number;
  readonly maxConnectionsPerSession: number;
  /** @default a logger that writes nothing */
  readonly logger?: Logger;
}

/** A session's connections in join order (Map keeps insertion order: oldest first), and its signal budget. */
class Session extends Map<string, Connection> {
  constructor(readonly budget: SessionBudget) {
    super();
  }
}

/**
 * @example
 * const core = new InMemoryCore({ timings: DEFAULT_TIMINGS, replay: DEFAULT_REPLAY_BOUNDS, maxConnectionsPerSession: 2000 });
 * core.join(ws, { sessionId, apiKey, role: 'publisher', data: '' });
 */
export class InMemoryCore implements RealtimeCore {
  /** sessionId → its connections in join order (Map keeps insertion order: oldest first). */
  readonly #sessions = new Map<string, Session>();
  readonly #byId = new Map<string, Connection>();
  /** Connections whose replay buffer overflowed, destroyed at the start of the next flush pass. */
  readonly #doomed: Connection[] = [];
  readonly #batcher: WriteBatcher;
  readonly #closer = new SocketCloser(CLOSE_GRACE_MS);
  readonly #requests: RequestHandler;
  readonly #sweepTimer: NodeJS.Timeout;
  readonly #logger: Logger;
  readonly #rate: Readonly<RateLimit>;
  readonly #signalBytes: Readonly<ByteRate>;
  readonly #sessionSignals: Readonly<SessionSignalBudget>;
  readonly #maxUnsent: number;
  readonly #timingFields: SessionTimings;
  readonly #shared = new SharedFrame();
  #shuttingDown = false;
  #drainCode: DrainCode = CloseCode.ServerShutdown;

  constructor(private readonly options: InMemoryCoreOptions) {
    this.#logger = options.logger ?? SILENT_LOGGER;
    this.#rate = options.signalRate ?? DEFAULT_SIGNAL_RATE;
    this.#signalBytes = options.signalBytes ?? DEFAULT_SIGNAL_BYTE_RATE;
    this.#sessionSignals = options.sessionSignals ?? DEFAULT_SESSION_SIGNAL_BUDGET;
    this.#maxUnsent = options.maxUnsentBytes ?? DEFAULT_MAX_UNSENT_BYTES;
    const { heartbeatInterval, heartbeatTimeout, reconnectWindow } = options.timings;
    this.#timingFields = { heartbeatInterval, heartbeatTimeout, reconnectWindow };
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
    const actions: CoreActions = {
      deliver: (c, s) => {
        this.#deliver(c, s);
      },
      broadcast: (sessionId, s) => {
        const session = this.#sessions.get(sessionId);
        if (session) this.#fanout(session, s, undefined);
      },
      lookup: (sessionId, id) => this.#sessions.get(sessionId)?.get(id),
      end: (c, reason, code, closeReason) => {
        this.#destroy(c, reason, code, closeReason, true);
      },
      schedule: (c) => {
        this.#batcher.schedule(c);
      },
    };
    this.#requests = new RequestHandler(actions, {
      rate: this.#rate,
      bytes: this.#signalBytes,
      session: this.#sessionSignals,
    });
    // ONE timer for every connection: a Date.now() deadline check, so a late timer still notices.
    this.#sweepTimer = setInterval(() => {
      this.#sweep();
    }, heartbeatInterval);
    this.#sweepTimer.unref();
  }

  join(ws: WebSocket, grant: JoinGrant): void {
    if (this.#shuttingDown) {
      this.#closer.close(ws, this.#drainCode, drainReason(this.#drainCode));
      return;
    }
    let session = this.#sessions.get(grant.sessionId);
    const max = this.options.maxConnectionsPerSession;
    if (session !== undefined && session.size >= max) {
      this.#closer.close(ws, CloseCode.ConnectionLimitExceeded, `session is full (${max} connections)`);
      this.#logger.info(
        { sessionId: grant.sessionId, code: CloseCode.ConnectionLimitExceeded, reason: 'session is full' },
        `join refused: session ${grant.sessionId} is full (${max} connections) (${CloseCode.ConnectionLimitExceeded})`,
      );
      return;
    }
    if (session === undefined) {
      session = new Session(new SessionBudget(this.#sessionSignals.burst, this.#sessionSignals.byteBurst));
      this.#sessions.set(grant.sessionId, session);
    }
    const c = new Connection(
      newConnectionId(),
      grant.sessionId,
      grant.apiKey,
      Date.now(),
      grant.data,
      grant.role,
      newResumeKey(),
      session.budget,
      this.#rate.burst,
      this.#signalBytes.burst,
    );
    const others = [];
    for (const o of session.values()) others.push(o.info);
    if (grant.caps !== undefined) c.wireCaps = grant.caps;
    session.set(c.id, c);
    this.#byId.set(c.id, c);
    this.#attach(c, ws);
    c.out.push(encodeWelcome(c, others, this.#timingFields));
    this.#batcher.schedule(c);
    this.#fanout(session, encodeMessage({ t: 'connectionCreated', connection: c.info }), c);
    if (this.#infoOn())
      this.#connLog(c).info({ role: c.role }, `connection ${c.id} joined session ${c.sessionId} as ${c.role}`);
  }

  resume(ws: WebSocket, p: ResumeParams): void {
    if (this.#shuttingDown) {
      this.#closer.close(ws, this.#drainCode, drainReason(this.#drainCode));
      return;
    }
    const c = this.#byId.get(p.connectionId);
    const refusal = resumeRefusal(c, p);
    if (refusal !== null || c === undefined) {
      this.#closer.close(ws, CloseCode.ResumeRefused, refusal ?? 'unknown connection');
      const reason = refusal ?? 'unknown connection';
      this.#logger.info(
        {
          sessionId: logSafe(p.sessionId),
          connectionId: logSafe(p.connectionId),
          code: CloseCode.ResumeRefused,
          reason,
        },
        `resume refused: connection ${logSafe(p.connectionId)}: ${reason} (${CloseCode.ResumeRefused})`,
      );
      return;
    }
    clearTimeout(c.expiryTimer);
    c.expiryTimer = undefined;
    const old = c.socket;
    if (old !== null) {
      c.socket = null;
      this.#closer.close(old, CloseCode.Replaced, 'replaced by a newer transport');
    }
    c.release(p.ack);
    // What was queued for the old transport is either held (sequenced: replayed below) or
    // superseded (ack/pong: `resumed.ack` covers it).
    c.out.length = 0;
    this.#attach(c, ws);
    c.out.push(encodeMessage({ t: 'resumed', ack: c.highestProcessed, next: p.ack + 1, ...this.#timingFields }));
    const held = c.heldAfter(p.ack);
    for (let i = 0; i < held.length; i++) c.out.push(held[i] as string);
    // Acks are not sequenced, so one lost with the old transport is re-sent after the replay
    // (PROTOCOL.md: "Right after the replay the server writes ack {a: resumed.ack}").
    c.ackPending = true;
    this.#batcher.schedule(c);
    if (this.#infoOn())
      this.#connLog(c).info(
        { replayed: held.length },
        `connection ${c.id} resumed in session ${c.sessionId} (${held.length} replayed)`,
      );
    if (c.announcedReconnecting) {
      c.announcedReconnecting = false;
      const session = this.#sessions.get(c.sessionId);
      if (session) this.#fanout(session, encodeMessage({ t: 'connectionReconnected', connectionId: c.id }), c);
    }
  }

  connectionCount(): number {
    return this.#byId.size;
  }

  serverSignal(sessionId: string, signal: { type?: string; data?: string }, to?: string): Promise<OpResult> {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return Promise.resolve('session-not-found');
    const type = signal.type === '' ? undefined : signal.type;
    const encoded = encodeMessage({ t: 'signal', from: null, type, data: signal.data });
    if (to === undefined) {
      this.#fanout(session, encoded, undefined);
      return Promise.resolve('ok');
    }
    const target = session.get(to);
    if (target === undefined) return Promise.resolve('connection-not-found');
    this.#deliver(target, encoded);
    return Promise.resolve('ok');
  }

  forceDisconnect(sessionId: string, connectionId: string): Promise<OpResult> {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return Promise.resolve('session-not-found');
    const target = session.get(connectionId);
    if (target === undefined) return Promise.resolve('connection-not-found');
    this.#destroy(target, 'forceDisconnected', CloseCode.ForceDisconnected, 'disconnected by the server', true);
    return Promise.resolve('ok');
  }

  async shutdown(code: DrainCode = CloseCode.ServerShutdown): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      this.#drainCode = code;
      clearInterval(this.#sweepTimer);
      // No connectionDestroyed: everyone else is being closed too.
      for (const c of [...this.#byId.values()]) {
        this.#destroy(c, 'serverShutdown', code, drainReason(code), false);
      }
    }
    await this.#closer.drain(CLOSE_GRACE_MS);
  }

  // ------------------------------------------------------------------ transport

  /** Attach a transport: a new generation, whose socket events are the only ones that count. */
  #attach(c: Connection, ws: WebSocket): void {
    const generation = ++c.generation;
    c.socket = ws;
    c.state = 'connected';
    c.lastSeen = Date.now();
    // A pong queued for (or unsent on) an older transport is gone with it.
    c.pongOutstanding = false;
    c.pongQueued = false;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (c.socket === ws) this.#onFrame(c, data, isBinary);
    });
    ws.on('close', (code: number) => {
      // A stale socket (replaced, or closed by us) must never touch a newer transport.
      if (c.socket === ws && c.generation === generation && c.state === 'connected')
        this.#guard(() => {
          // 1001 is what a browser sends when the page unloads (closed, reloaded, navigated away):
          // the client left, like `bye`. A network drop never carries it (PROTOCOL.md §Leaving).
          if (code === CloseCode.GoingAway) {
            c.socket = null; // already closed: nothing to write or close
            this.#destroy(c, 'clientDisconnected', code, 'going away', true);
          } else this.#detach(c);
        });
    });
    ws.on('error', (err) => {
      this.#connLog(c).warn({ err }, `connection ${c.id}: socket error: ${err.message}`);
    });
  }

  #onFrame(c: Connection, data: RawData, isBinary: boolean): void {
    this.#guard(() => {
      if (c.state !== 'connected') return;
      c.lastSeen = Date.now();
      if (isBinary) {
        this.#destroy(c, 'networkDisconnected', CloseCode.ProtocolError, 'binary frames are not allowed', true);
        return;
      }
      let messages;
      try {
        messages = decodeClientFrame((data as Buffer).toString('utf8'));
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        this.#destroy(c, 'networkDisconnected', err.closeCode, err.message, true);
        return;
      }
      this.#requests.handle(c, messages);
    });
  }

  /** The transport is gone but the connection is kept for `reconnectWindow`. */
  #detach(c: Connection): void {
    c.state = 'detached';
    c.socket = null;
    c.out.length = 0;
    c.ackPending = false;
    c.expiryTimer = setTimeout(this.#expire, this.options.timings.reconnectWindow, c, c.generation);
    c.expiryTimer.unref();
    c.announcedReconnecting = true;
    const kept = this.options.timings.reconnectWindow;
    if (this.#infoOn())
      this.#connLog(c).info(
        { keptMs: kept },
        `connection ${c.id} of session ${c.sessionId} lost its transport; kept ${kept} ms for a resume`,
      );
    const session = this.#sessions.get(c.sessionId);
    if (session) this.#fanout(session, encodeMessage({ t: 'connectionReconnecting', connectionId: c.id }), c);
  }

  /** Scoped to the generation that scheduled it: after a resume (or a newer drop) it does nothing. */
  readonly #expire = (c: Connection, generation: number): void => {
    this.#guard(() => {
      if (c.state === 'detached' && c.generation === generation) {
        this.#destroy(c, 'networkDisconnected', CloseCode.Normal, '', true);
      }
    });
  };

  #sweep(): void {
    this.#guard(() => {
      const now = Date.now();
      const deadline = now - this.options.timings.heartbeatTimeout;
      for (const c of this.#byId.values()) {
        if (c.state !== 'connected' || c.lastSeen >= deadline) continue;
        const ws = c.socket;
        this.#detach(c);
        if (ws)
          this.#closer.close(ws, CloseCode.HeartbeatTimeout, `heartbeat timeout: no frame for ${now - c.lastSeen} ms`);
      }
    });
  }

  // ------------------------------------------------------------------ writing

  /** Append a sequenced message: held for replay, written this tick when connected. */
  #deliver(c: Connection, encoded: string): void {
    if (c.overflowed || c.state === 'closed') return;
    c.hold(encoded);
    if (c.heldCount > this.options.replay.maxMessages || c.heldBytes > this.options.replay.maxBytes) {
      // Destroying here would fan out inside a fan-out; finish it at the start of the flush pass.
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

  #fanout(session: Session, encoded: string, except: Connection | undefined): void {
    for (const c of session.values()) if (c !== except) this.#deliver(c, encoded);
  }

  #flush(c: Connection): void {
    const ws = c.socket;
    if (ws === null || c.state !== 'connected') {
      c.out.length = 0;
      return;
    }
    this.#guard(() => {
      this.#writeNow(c, ws);
      // The one check of the write path: bytes written but not taken by the kernel (everything,
      // sequenced or not). A peer that does not read cannot make them grow past the bound.
      const unsent = ws.bufferedAmount;
      if (unsent > this.#maxUnsent) this.#slowReader(c, ws, unsent);
    });
  }

  #writeNow(c: Connection, ws: WebSocket): void {
    // The write callback is passed only for a frame that carries a pong (rare: one per ping).
    const done = c.pongQueued ? c.pongWritten : undefined;
    c.pongQueued = false;
    if (c.ackPending) {
      // A batch with an ack is this connection's own: joined and sent as a string.
      c.ackPending = false;
      c.out.push(`{"t":"ack","a":${c.highestProcessed}}`);
      if (ws.readyState === WebSocket.OPEN) ws.send(joinFrame(c.out), done);
    } else if (c.out.length > 0 && ws.readyState === WebSocket.OPEN) {
      // Usually the same messages as the previous socket's (a broadcast): one Buffer for all.
      ws.send(this.#shared.frame(c.out), TEXT, done);
    }
    c.out.length = 0;
  }

  /**
   * The peer left more than the bound unread: drop this transport like a heartbeat timeout (the
   * connection is kept for the reconnect window, its replay buffer bounded as ever), so the
   * unsent bytes go with the socket (terminated after the close grace).
   */
  #slowReader(c: Connection, ws: WebSocket, unsent: number): void {
    this.#detach(c);
    this.#closer.close(ws, CloseCode.SlowReader, `${unsent} bytes unread (bound ${this.#maxUnsent})`);
  }

  #finishDoomed(): void {
    while (this.#doomed.length > 0) {
      const c = this.#doomed.pop() as Connection;
      this.#guard(() => {
        const reason = `replay buffer overflow: ${c.heldCount} messages unacknowledged`;
        this.#destroy(c, 'networkDisconnected', CloseCode.BufferOverflow, reason, true);
      });
    }
  }

  // ------------------------------------------------------------------ ending

  /** The one funnel every end of a connection goes through. */
  #destroy(c: Connection, reason: DisconnectReason, code: number, closeReason: string, tellOthers: boolean): void {
    if (c.state === 'closed') return;
    const ws = c.socket;
    c.state = 'closed';
    c.socket = null;
    clearTimeout(c.expiryTimer);
    c.expiryTimer = undefined;
    if (ws !== null) {
      this.#writeNow(c, ws); // what this tick produced for it (e.g. the ack of a `bye`) goes first
      this.#closer.close(ws, code, closeReason);
    }
    c.clear();
    this.#byId.delete(c.id);
    const session = this.#sessions.get(c.sessionId);
    if (session === undefined) return;
    session.delete(c.id);
    if (session.size === 0) this.#sessions.delete(c.sessionId);
    else if (tellOthers)
      this.#fanout(session, encodeMessage({ t: 'connectionDestroyed', connectionId: c.id, reason }), undefined);
    if (this.#infoOn())
      this.#connLog(c).info({ reason, code }, `connection ${c.id} left session ${c.sessionId}: ${reason} (${code})`);
  }

  /**
   * Whether info lines are written at all: when not (pino's default 'silent' level), a join or a
   * leave builds neither a child logger nor a message.
   */
  #infoOn(): boolean {
    return this.#logger.isLevelEnabled?.('info') ?? true;
  }

  /** The connection's child logger (bound to its session and connection IDs), made on first use. */
  #connLog(c: Connection): Logger {
    return (c.log ??= this.#logger.child({ sessionId: c.sessionId, connectionId: c.id }));
  }

  /** Run a handler; an exception is logged, never allowed to crash the process. */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#logger.error({ err }, `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
}
