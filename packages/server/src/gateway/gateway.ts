/**
 * The WebSocket gateway: owns the HTTP `upgrade` path. It authenticates a join BEFORE the endpoint
 * sees the socket, hands resumes to the endpoint, and refuses everything else. The endpoint never sees
 * HTTP.
 *
 * ```
 *  client                       gateway                           endpoint
 *    | GET /v1/ws?v=1&...  ------> | path != /v1/ws → 400, destroy       |
 *    |                             | Origin not allowed → 403, destroy   |
 *    |                             | address over its limits → 429       |
 *    |                             | draining → 101 then close 4013/4016 |
 *    |                             | v != 1 → 101 then close 4003        |
 *    |                             | resume=… → 101 ---------------------> resume(ws, params)
 *    |                             | authenticateJoin (store lookups)    |
 *    |                             |   refused → 101 then close 4004/4005|
 *    |  <---- 101 -----------------|   ok → 101 -----------------------> join(ws, grant)
 * ```
 * WHY complete the upgrade to refuse: browsers hide the HTTP status of a failed upgrade, and the
 * client must tell "bad token" from "unreachable" (PROTOCOL.md §Handshake).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  CloseCode,
  MAX_CLIENT_FRAME_BYTES,
  negotiateWireCapabilities,
  parseHandshakeQuery,
  PROTOCOL_VERSION,
  WS_PATH,
} from '@parley/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Endpoint } from '../core/endpoint.js';
import { drainReason, type DrainCode } from '../core/drain.js';
import { SocketCloser } from '../core/socket-closer.js';
import { logSafe } from '../log-safe.js';
import type { LogFields, Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import { DEFAULT_TOKEN_POLICY, type TokenPolicy } from '../tokens/token-policy.js';
import { clientAddress } from '../http/client-address.js';
import { ServerCounters, type RefusalReason } from '../metrics/server-counters.js';
import { authenticateJoin } from './authenticate-join.js';
import type { UpgradeGuard } from './upgrade-guard.js';

/** The `reason` label of a refused join, by close code (the drain codes: 'draining'). */
const REFUSAL_REASONS: ReadonlyMap<number, RefusalReason> = new Map([
  [CloseCode.AuthenticationFailed, 'authentication'],
  [CloseCode.InvalidSession, 'invalid_session'],
  [CloseCode.UnsupportedVersion, 'unsupported_version'],
  [CloseCode.ConnectionLimitExceeded, 'session_full'],
]);

function refusalReason(code: CloseCode): RefusalReason {
  return REFUSAL_REASONS.get(code) ?? 'draining';
}

/**
 * What a refused handshake asked for, for the log: whole IDs, so a line can be traced, as text
 * and as fields. Never the token or the resume key.
 */
function handshakeSubject(req: IncomingMessage): { text: string; fields: LogFields } {
  const q = new URL(req.url ?? '/', 'http://parley.invalid').searchParams;
  const sessionId = logSafe(q.get('sessionId') ?? '');
  const resume = q.get('resume');
  if (resume !== null) {
    const connectionId = logSafe(resume);
    return { text: `resume of connection ${connectionId}`, fields: { kind: 'resume', sessionId, connectionId } };
  }
  return { text: `join of session ${sessionId}`, fields: { kind: 'join', sessionId } };
}

/**
 * @example
 * const gateway = new Gateway(core, store, createPinoLogger('info'));
 * httpServer.on('upgrade', gateway.handleUpgrade);
 */
export class Gateway {
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  readonly #refusals = new SocketCloser(2000);
  /** Set once draining: the close code every new upgrade is refused with. */
  #draining: DrainCode | undefined = undefined;

  constructor(
    private readonly core: Endpoint,
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly tokenPolicy: TokenPolicy = DEFAULT_TOKEN_POLICY,
    /** The Origin and per-address checks. @default none (every upgrade admitted) */
    private readonly guard?: UpgradeGuard,
    private readonly counters: ServerCounters = new ServerCounters(),
  ) {}

  /** The HTTP server's `upgrade` listener. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // WHY: until ws owns the socket nobody listens for its errors, and an unhandled 'error'
    // (client reset during the async token check) would crash the process.
    socket.on('error', this.#onSocketError);
    this.#upgrade(req, socket, head).catch((err: unknown) => {
      this.logger.error(
        { err },
        `gateway: upgrade failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      socket.destroy();
    });
  };

  /** Refuse every new upgrade with `code` (4013 by default, or 4016 for a node of a cluster) from now on. */
  drain(code: DrainCode = CloseCode.ServerShutdown): void {
    this.#draining ??= code;
  }

  /** Resolve once the refused sockets have closed (forced after 2 s). */
  async close(): Promise<void> {
    await this.#refusals.drain(2000);
    this.#wss.close();
  }

  #drainCode(): DrainCode | undefined {
    return this.#draining;
  }

  readonly #onSocketError = (err: Error): void => {
    this.logger.warn({ err }, `gateway: socket error during upgrade: ${err.message}`);
  };

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://parley.invalid');
    if (url.pathname !== WS_PATH || req.method !== 'GET') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    const ip = this.guard === undefined ? clientAddress(req) : this.guard.admit(req, socket);
    if (ip === undefined) return;
    if (this.#draining !== undefined) {
      this.#refuse(req, ip, socket, head, this.#draining, drainReason(this.#draining));
      return;
    }
    const v = url.searchParams.get('v');
    if (v !== null && v !== String(PROTOCOL_VERSION)) {
      this.#refuse(
        req,
        ip,
        socket,
        head,
        CloseCode.UnsupportedVersion,
        `unsupported protocol version ${v.slice(0, 16)}`,
      );
      return;
    }
    const params = parseHandshakeQuery(url.searchParams);
    if (typeof params === 'string') {
      // Only a resume query can be malformed past the version check.
      this.#refuse(req, ip, socket, head, CloseCode.ResumeRefused, params);
      return;
    }
    if (params.kind === 'resume') {
      // WHY: a cluster node that never saw this session's join (its client resumed here after a
      // drain or a node death) must know the record too: a Redis restarted empty is refilled only
      // from the nodes' own records (store/redis-store.ts), and the session would be lost for good.
      this.store.getSession(params.sessionId).catch(() => undefined);
      this.#accept(req, socket, head, (ws) => {
        this.core.resume(ws, params, ip);
      });
      return;
    }
    const result = await authenticateJoin(params, this.store, this.tokenPolicy);
    // The server may have started draining during the store lookups.
    const drainCode = this.#drainCode();
    if (drainCode !== undefined) {
      this.#refuse(req, ip, socket, head, drainCode, drainReason(drainCode));
      return;
    }
    if ('code' in result) {
      this.#refuse(req, ip, socket, head, result.code, result.reason);
      return;
    }
    // Grant what both sides have; a client that declared nothing gets nothing (PROTOCOL.md §Evolution).
    const grant = { ...result, caps: negotiateWireCapabilities(params.caps ?? []), ip };
    this.#accept(req, socket, head, (ws) => {
      this.core.join(ws, grant);
    });
  }

  #accept(req: IncomingMessage, socket: Duplex, head: Buffer, then: (ws: WebSocket) => void): void {
    if (socket.destroyed) return;
    socket.removeListener('error', this.#onSocketError);
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      try {
        then(ws);
      } catch (err) {
        this.logger.error(
          { err },
          `gateway: handing over a socket failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
        ws.terminate();
      }
    });
  }

  #refuse(req: IncomingMessage, ip: string, socket: Duplex, head: Buffer, code: CloseCode, reason: string): void {
    const subject = handshakeSubject(req);
    if (subject.fields.kind === 'resume') this.counters.resumesFailed++;
    else this.counters.refusedJoins[refusalReason(code)]++;
    this.logger.info(
      { event: 'refused', ...subject.fields, ip, code, reason },
      `gateway: refused ${subject.text}: ${reason} (${code})`,
    );
    this.#accept(req, socket, head, (ws) => {
      ws.on('error', this.#onSocketError);
      this.#refusals.close(ws, code, reason);
    });
  }
}
