/**
 * Options of {@link createServer}, with their defaults and their validation. Libraries take
 * options; only the CLI reads the environment.
 */
import {
  DEFAULT_MAX_CONNECTIONS_PER_SESSION,
  DEFAULT_MAX_UNSENT_BYTES,
  DEFAULT_REPLAY_BOUNDS,
  DEFAULT_SESSION_SIGNAL_BUDGET,
  DEFAULT_SIGNAL_BYTE_RATE,
  DEFAULT_SIGNAL_RATE,
  DEFAULT_TIMINGS,
  type ByteRate,
  type RateLimit,
  type ReplayBounds,
  type SessionSignalBudget,
  type SessionTimings,
} from '@parley/protocol';
import type { SessionBus } from './bus/session-bus.js';
import type { LeaseTimings } from './bus/redis-lease.js';
import type { ServerClock } from './core/clock.js';
import type { IceServerInfo } from '@parley/protocol';
import { iceServersOf } from './media/ice-servers.js';
import type { MediaRouterFactory } from './media/router-hook.js';
import type { Store } from './store/store.js';
import type { DrainMode } from './core/drain.js';
import { resolveMedia, type MediaNotice } from './media/media-options.js';
import type { ForwarderImpl } from './media/types.js';
import { createPinoLogger, lineLogger, type Logger } from './log/logger.js';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, DEFAULT_TOKEN_CLOCK_SKEW_SECONDS } from './tokens/token-policy.js';
import {
  GUARD_OPTION_KEYS,
  resolveGuardOptions,
  type GuardOptions,
  type ResolvedGuardOptions,
} from './guard-options.js';
import { tlsSourceOf, type TlsSource } from './http/tls.js';

function corsOriginsOf(v: unknown): readonly string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== ''))
    throw new TypeError("corsOrigins must be an array of origins ('https://app.example.com') or ['*']");
  return Object.freeze([...(v as string[])]);
}

function isLogger(v: unknown): v is Logger {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return ['error', 'warn', 'info', 'debug', 'child'].every((m) => typeof o[m] === 'function');
}

/** Default HTTP/WebSocket port of `parley serve` and {@link createServer}. */
export const DEFAULT_PORT = 8720;
/** Default listen address: loopback only, so a dev server is not exposed by accident. */
export const DEFAULT_HOST = '127.0.0.1';
/** Default data directory (holds `parley.db`). */
export const DEFAULT_DATA_DIR = './.parley';

/**
 * How long the HTTP server waits for a request (Node's `headersTimeout` and `requestTimeout`, in
 * ms), and how often it checks (`connectionsCheckingInterval`). A request past its deadline is
 * answered 408 and its socket destroyed. WebSocket connections are not affected once upgraded.
 */
export interface HttpTimeouts {
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly checkInterval: number;
}

/**
 * 20 s for the headers (Node's own default is 60 s), 300 s for the whole request, checked every 5 s
 * (Node: 30 s). The headers deadline is also the handshake timeout of a WebSocket: an upgrade is a
 * request without a body, so a TCP connection that sends nothing, or its headers too slowly, is
 * answered 408 and closed 20–25 s after it opened (a honest client sends them in one packet).
 */
export const DEFAULT_HTTP_TIMEOUTS: Readonly<HttpTimeouts> = Object.freeze({
  headersTimeout: 20_000,
  requestTimeout: 300_000,
  checkInterval: 5_000,
});

/**
 * How many new sessions `GET /demo/credentials` may create: a token bucket per client IP address
 * (`perIpBurst` at once, refilled at `perIpPerMinute`), and at most `maxSessions` per server run.
 * Tokens for an existing session (`?sessionId=`) are not counted: they store nothing.
 */
export interface DemoLimits {
  readonly perIpBurst: number;
  readonly perIpPerMinute: number;
  readonly maxSessions: number;
}

/** 10 sessions at once per IP, then 10 a minute; 1,000 per server run. */
export const DEFAULT_DEMO_LIMITS: Readonly<DemoLimits> = Object.freeze({
  perIpBurst: 10,
  perIpPerMinute: 10,
  maxSessions: 1000,
});

export { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, DEFAULT_TOKEN_CLOCK_SKEW_SECONDS };

/** A project's credentials, as given to {@link createServer}. */
export interface ProjectCredentials {
  readonly apiKey: string;
  readonly apiSecret: string;
}

/**
 * @example
 * const server = await createServer({ port: 0, dataDir: ':memory:', projects: [{ apiKey: '123', apiSecret: 's' }] });
 */
export interface ServerOptions extends GuardOptions {
  /** TCP port; 0 picks an ephemeral one. @default 8720 */
  port?: number;
  /** Listen address. @default '127.0.0.1' */
  host?: string;
  /** Projects to upsert into the store. When none is given and the store holds none, a development project is created. @default [] */
  projects?: readonly ProjectCredentials[];
  /** Directory for `parley.db` (created if missing), or ':memory:'. @default './.parley' */
  dataDir?: string;
  /** Heartbeat and reconnection timings told to clients. @default DEFAULT_TIMINGS (2500 / 7000 / 30000 ms) */
  timings?: Partial<SessionTimings>;
  /** Per-connection replay buffer bounds. @default DEFAULT_REPLAY_BOUNDS (4096 messages, 8 MiB) */
  replay?: Partial<ReplayBounds>;
  /** Per-connection signal rate limit. @default DEFAULT_SIGNAL_RATE (100/s, burst 200) */
  signalRate?: Partial<RateLimit>;
  /** Per-connection signal byte budget. @default DEFAULT_SIGNAL_BYTE_RATE (1 MiB/s, burst 2 MiB) */
  signalBytes?: Partial<ByteRate>;
  /**
   * Per-session signal budget, all senders together.
   * @default DEFAULT_SESSION_SIGNAL_BUDGET (1000/s, burst 1000; 2 MiB/s, burst 4 MiB)
   */
  sessionSignals?: Partial<SessionSignalBudget>;
  /** Unsent bytes one socket may hold before it is closed with 4015. @default DEFAULT_MAX_UNSENT_BYTES (16 MiB) */
  maxUnsentBytes?: number;
  /** Connections one session may hold; one more is refused with 4027. @default 2000 */
  maxConnectionsPerSession?: number;
  /**
   * What SIGTERM (`close()`) means to clients. `'service'`: the service is going away; clients are
   * closed with 4013 ServerShutdown and fail. `'node'`: this node is one of several behind the same
   * URL and only it is going away; clients are closed with 4016 NodeDraining and resume elsewhere
   * (PROTOCOL.md §Drain). Only useful when another node can take the connections over.
   * @default 'service'
   */
  drain?: DrainMode;
  /**
   * The logger (pino-compatible: `error`, `warn`, `info`, `debug`, `child`), e.g. a pino
   * instance. Each connection's lines come from a child bound to its `sessionId` and
   * `connectionId`; tokens, resume keys and secrets are never logged. Give this or `log`, not both.
   * @default pino at level 'silent' (a library writes nothing unless asked; `parley serve` logs at 'info')
   */
  logger?: Logger;
  /**
   * Origins whose browser pages may call this server's HTTP API (CORS): `Access-Control-Allow-Origin`
   * for them, preflights answered. `['*']`: any origin. @default [] (none: same-origin only)
   */
  corsOrigins?: readonly string[];
  /**
   * The older form: where log lines go, one string each (the message of each structured line).
   * Give this or `logger`, not both. @default none
   */
  log?: (line: string) => void;
  /**
   * The session bus this server's endpoint joins (membership and fan-out; one bus handle per
   * server). @default a new InMemoryBus (this process only)
   */
  bus?: SessionBus;
  /**
   * The store to use instead of opening `dataDir` (the caller owns it: `close()` leaves it
   * open). Several nodes of one deployment share a store.
   */
  store?: Store;
  /**
   * Cluster mode: the URL of the Redis every node of the deployment shares (`redis://HOST:PORT`,
   * `rediss://` for TLS, credentials in the URL). The server then keeps projects and sessions in
   * Redis (a RedisStore; `dataDir` is not used) and joins the Redis session bus, unless `store` /
   * `bus` are given; it opens and closes them itself. docs/CLUSTER.md.
   * @default none (the embedded store and the in-memory bus: this process is the whole deployment)
   */
  redis?: string;
  /**
   * With `redis`: how long a node's lease lasts and how often it is renewed (ms). A node that dies
   * has its connections declared gone (`networkDisconnected`) by the others within about
   * `leaseTtlMs + renewEveryMs`, plus the reconnection window for its clients to resume elsewhere.
   * @default DEFAULT_LEASE_TIMINGS (10000 / 2000)
   */
  redisLease?: Partial<LeaseTimings>;
  /** Wall clock and timers of liveness, expiry and rate limits. @default systemClock */
  clock?: ServerClock;
  /**
   * Let the demo page mint sessions and tokens (`GET /demo/credentials`) for the development
   * project. Applies only when no `projects` are configured (the server manages its own
   * development project); anyone who can reach the server can then join that project's sessions.
   * `parley serve` turns it on when no `--api-key` is given and it listens on a loopback host
   * (or with `--demo-credentials`, which warns).
   * @default false
   */
  demo?: boolean;
  /** Limits on the sessions the demo endpoint creates. @default DEFAULT_DEMO_LIMITS (10 per IP at once, 10/min per IP, 1000 per run) */
  demoLimits?: Partial<DemoLimits>;
  /** HTTP request deadlines. @default DEFAULT_HTTP_TIMEOUTS (headers 20 s, request 300 s, checked every 5 s) */
  httpTimeouts?: Partial<HttpTimeouts>;
  /**
   * The longest lifetime a client token may have, in seconds (its expiry minus its issue time);
   * a join with a longer-lived token is refused with 4004 "token lifetime … exceeds …". Also how
   * long a revocation rule is kept. @default DEFAULT_MAX_TOKEN_LIFETIME_SECONDS (30 days)
   */
  maxTokenLifetime?: number;
  /**
   * Clock skew tolerated when checking a client token's expiry and not-before, in seconds: a
   * token is accepted until `exp + skew`. @default DEFAULT_TOKEN_CLOCK_SKEW_SECONDS (30)
   */
  tokenClockSkew?: number;
  /**
   * Serve https and wss directly: a certificate chain and key (PEM), or a function returning them
   * that {@link ParleyServer.reloadTls} calls again (`parley serve` does on SIGHUP).
   * @default none: plain http and ws
   */
  tls?: TlsSource;
  /**
   * STUN/TURN servers handed to every client (`welcome.iceServers`, capability `streams`) for its
   * peer connections, in WebRTC's `RTCIceServer` shape. @default [] (host candidates only)
   */
  iceServers?: readonly IceServerInfo[];
  /**
   * Builds the media forwarder of routed sessions (media/router-hook.ts), instead of Parley's own
   * ({@link forwarder}). @default none
   */
  mediaRouter?: MediaRouterFactory;
  /**
   * Carry routed sessions through Parley's own forwarder ({@link forwarderImpl}, started with
   * the first routed stream: media/forwarder-router.ts) when no {@link mediaRouter} is given.
   * Off, a session created routed carries its media relayed (between the clients), its clients
   * are told so, and a warning at startup says why (media/media-options.ts).
   * @default true, on a single server and on a Redis cluster node (one node forwards each routed
   * session: media/cluster-router.ts); false under an injected `bus` without `forwarderChannel`,
   * where a node's forwarder would serve only the clients connected to it
   */
  forwarder?: boolean;
  /**
   * Which forwarder {@link forwarder} starts: `werift` (TypeScript, in a worker thread) or
   * `datachannel` (libdatachannel through node-datachannel, in a child process; it cannot
   * ICE-restart, so a client that comes back publishes or subscribes anew). Measured side by
   * side in docs/BENCHMARKS.md. @default 'werift'
   */
  forwarderImpl?: ForwarderImpl;
  /**
   * The IPv4 address the forwarder binds its UDP sockets to and announces in its ICE candidates:
   * one address of this machine that clients can reach (a public or LAN address in production).
   * @default '127.0.0.1'
   */
  mediaAddress?: string;
}

/** {@link ServerOptions} with every default applied. */
export interface ResolvedServerOptions extends ResolvedGuardOptions {
  readonly port: number;
  readonly host: string;
  readonly projects: readonly ProjectCredentials[];
  readonly dataDir: string;
  readonly timings: Readonly<SessionTimings>;
  readonly replay: Readonly<ReplayBounds>;
  readonly signalRate: Readonly<RateLimit>;
  readonly signalBytes: Readonly<ByteRate>;
  readonly sessionSignals: Readonly<SessionSignalBudget>;
  readonly maxUnsentBytes: number;
  readonly maxConnectionsPerSession: number;
  readonly logger: Logger;
  readonly corsOrigins: readonly string[];
  /** One line at level info through {@link logger}, for the few places that have only text. */
  readonly log: (line: string) => void;
  readonly demo: boolean;
  readonly bus: SessionBus | undefined;
  readonly store: Store | undefined;
  readonly redis: string | undefined;
  readonly redisLease: Partial<LeaseTimings>;
  readonly clock: ServerClock | undefined;
  readonly drain: DrainMode;
  readonly demoLimits: Readonly<DemoLimits>;
  readonly httpTimeouts: Readonly<HttpTimeouts>;
  readonly maxTokenLifetime: number;
  readonly tokenClockSkew: number;
  readonly tls: TlsSource | undefined;
  readonly iceServers: readonly IceServerInfo[];
  readonly mediaRouter: MediaRouterFactory | undefined;
  /** What to log at startup about how routed sessions carry media. */
  readonly mediaNotices: readonly MediaNotice[];
}

const KNOWN = new Set([
  'port',
  'host',
  'projects',
  'dataDir',
  'timings',
  'replay',
  'signalRate',
  'signalBytes',
  'sessionSignals',
  'maxUnsentBytes',
  'maxConnectionsPerSession',
  'log',
  'logger',
  'corsOrigins',
  'demo',
  'bus',
  'store',
  'redis',
  'redisLease',
  'clock',
  'drain',
  'demoLimits',
  'iceServers',
  'mediaRouter',
  'forwarder',
  'forwarderImpl',
  'mediaAddress',
  'httpTimeouts',
  'maxTokenLifetime',
  'tokenClockSkew',
  'tls',
  ...GUARD_OPTION_KEYS,
]);

/** Check an injected object by one of its methods; the caller casts it. */
function checkObject(name: string, v: unknown, method: string): void {
  if (v === undefined) return;
  if (typeof v !== 'object' || v === null || typeof (v as Record<string, unknown>)[method] !== 'function')
    throw new TypeError(`${name} must be an object with a ${method}() method`);
}

function optionalBoolean(name: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean; got ${JSON.stringify(v)}`);
  return v;
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
    throw new TypeError(`${name} must be a positive integer; got ${String(v)}`);
  }
  return v;
}

function positiveNumber(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new TypeError(`${name} must be a positive number; got ${String(v)}`);
  }
  return v;
}

function record(name: string, v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError(`${name} must be an object`);
  return v as Record<string, unknown>;
}

function projectsOf(v: unknown): ProjectCredentials[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new TypeError('projects must be an array of { apiKey, apiSecret }');
  const seen = new Set<string>();
  return v.map((p: unknown, i) => {
    const o = record(`projects[${i}]`, p);
    if (typeof o.apiKey !== 'string' || o.apiKey === '' || /[~\s]/.test(o.apiKey)) {
      throw new TypeError(`projects[${i}].apiKey must be a non-empty string without "~" or whitespace`);
    }
    if (typeof o.apiSecret !== 'string' || o.apiSecret === '') {
      throw new TypeError(`projects[${i}].apiSecret must be a non-empty string`);
    }
    if (seen.has(o.apiKey)) throw new TypeError(`projects[${i}].apiKey ${o.apiKey} is listed twice`);
    seen.add(o.apiKey);
    return { apiKey: o.apiKey, apiSecret: o.apiSecret };
  });
}

/** A Redis URL, checked for its scheme and host (ioredis would take almost anything silently). */
export function redisUrlOf(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  const bad = () => new TypeError(`redis must be a URL like redis://127.0.0.1:6379; got ${JSON.stringify(v)}`);
  if (typeof v !== 'string') throw bad();
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw bad();
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') throw bad();
  return v;
}

function leaseOf(v: unknown): Partial<LeaseTimings> {
  const l = record('redisLease', v);
  const out: { leaseTtlMs?: number; renewEveryMs?: number } = {};
  if (l.leaseTtlMs !== undefined) out.leaseTtlMs = positiveInt('redisLease.leaseTtlMs', l.leaseTtlMs);
  if (l.renewEveryMs !== undefined) out.renewEveryMs = positiveInt('redisLease.renewEveryMs', l.renewEveryMs);
  if (out.leaseTtlMs !== undefined && out.renewEveryMs !== undefined && out.renewEveryMs >= out.leaseTtlMs)
    throw new TypeError('redisLease.renewEveryMs must be less than redisLease.leaseTtlMs');
  return Object.freeze(out);
}

/**
 * Apply defaults and validate; throws a TypeError naming the first misuse.
 * @example resolveServerOptions({ port: 0 }).host // '127.0.0.1'
 */
export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  const o = record('options', options);
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw new TypeError(`unknown option "${key}"`);
  }
  const port = o.port ?? DEFAULT_PORT;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`port must be an integer from 0 to 65535; got ${JSON.stringify(port)}`);
  }
  const host = o.host ?? DEFAULT_HOST;
  if (typeof host !== 'string' || host === '') throw new TypeError('host must be a non-empty string');
  const dataDir = o.dataDir ?? DEFAULT_DATA_DIR;
  if (typeof dataDir !== 'string' || dataDir === '')
    throw new TypeError("dataDir must be a directory path or ':memory:'");

  const t = record('timings', o.timings);
  const timings: SessionTimings = {
    heartbeatInterval: positiveInt(
      'timings.heartbeatInterval',
      t.heartbeatInterval ?? DEFAULT_TIMINGS.heartbeatInterval,
    ),
    heartbeatTimeout: positiveInt('timings.heartbeatTimeout', t.heartbeatTimeout ?? DEFAULT_TIMINGS.heartbeatTimeout),
    reconnectWindow: positiveInt('timings.reconnectWindow', t.reconnectWindow ?? DEFAULT_TIMINGS.reconnectWindow),
  };
  if (timings.heartbeatTimeout <= timings.heartbeatInterval) {
    throw new TypeError(
      `timings.heartbeatTimeout (${timings.heartbeatTimeout}) must be greater than timings.heartbeatInterval (${timings.heartbeatInterval})`,
    );
  }
  const r = record('replay', o.replay);
  const replay: ReplayBounds = {
    maxMessages: positiveInt('replay.maxMessages', r.maxMessages ?? DEFAULT_REPLAY_BOUNDS.maxMessages),
    maxBytes: positiveInt('replay.maxBytes', r.maxBytes ?? DEFAULT_REPLAY_BOUNDS.maxBytes),
  };
  const s = record('signalRate', o.signalRate);
  const signalRate: RateLimit = {
    perSecond: positiveNumber('signalRate.perSecond', s.perSecond ?? DEFAULT_SIGNAL_RATE.perSecond),
    burst: positiveInt('signalRate.burst', s.burst ?? DEFAULT_SIGNAL_RATE.burst),
  };
  const b = record('signalBytes', o.signalBytes);
  const signalBytes: ByteRate = {
    perSecond: positiveNumber('signalBytes.perSecond', b.perSecond ?? DEFAULT_SIGNAL_BYTE_RATE.perSecond),
    burst: positiveInt('signalBytes.burst', b.burst ?? DEFAULT_SIGNAL_BYTE_RATE.burst),
  };
  const ss = record('sessionSignals', o.sessionSignals);
  const sd = DEFAULT_SESSION_SIGNAL_BUDGET;
  const sessionSignals: SessionSignalBudget = {
    perSecond: positiveNumber('sessionSignals.perSecond', ss.perSecond ?? sd.perSecond),
    burst: positiveInt('sessionSignals.burst', ss.burst ?? sd.burst),
    bytesPerSecond: positiveNumber('sessionSignals.bytesPerSecond', ss.bytesPerSecond ?? sd.bytesPerSecond),
    byteBurst: positiveInt('sessionSignals.byteBurst', ss.byteBurst ?? sd.byteBurst),
  };
  const maxUnsentBytes = positiveInt('maxUnsentBytes', o.maxUnsentBytes ?? DEFAULT_MAX_UNSENT_BYTES);
  const maxConnectionsPerSession = positiveInt(
    'maxConnectionsPerSession',
    o.maxConnectionsPerSession ?? DEFAULT_MAX_CONNECTIONS_PER_SESSION,
  );
  const redis = redisUrlOf(o.redis);
  const drain = o.drain ?? 'service';
  if (drain !== 'service' && drain !== 'node') {
    throw new TypeError(`drain must be 'service' or 'node'; got ${JSON.stringify(drain)}`);
  }
  if (o.log !== undefined && typeof o.log !== 'function')
    throw new TypeError('log must be a function (line: string) => void');
  if (o.logger !== undefined && !isLogger(o.logger))
    throw new TypeError('logger must have error, warn, info, debug and child methods (a pino logger does)');
  if (o.log !== undefined && o.logger !== undefined) throw new TypeError('give log or logger, not both');
  const logger: Logger =
    o.logger ?? (o.log !== undefined ? lineLogger(o.log as (line: string) => void) : createPinoLogger('silent'));

  checkObject('bus', o.bus, 'join');
  checkObject('store', o.store, 'getProject');
  checkObject('clock', o.clock, 'now');
  const d = record('demoLimits', o.demoLimits);
  const demoLimits: DemoLimits = {
    perIpBurst: positiveInt('demoLimits.perIpBurst', d.perIpBurst ?? DEFAULT_DEMO_LIMITS.perIpBurst),
    perIpPerMinute: positiveNumber('demoLimits.perIpPerMinute', d.perIpPerMinute ?? DEFAULT_DEMO_LIMITS.perIpPerMinute),
    maxSessions: positiveInt('demoLimits.maxSessions', d.maxSessions ?? DEFAULT_DEMO_LIMITS.maxSessions),
  };
  const h = record('httpTimeouts', o.httpTimeouts);
  const httpTimeouts: HttpTimeouts = {
    headersTimeout: positiveInt(
      'httpTimeouts.headersTimeout',
      h.headersTimeout ?? DEFAULT_HTTP_TIMEOUTS.headersTimeout,
    ),
    requestTimeout: positiveInt(
      'httpTimeouts.requestTimeout',
      h.requestTimeout ?? DEFAULT_HTTP_TIMEOUTS.requestTimeout,
    ),
    checkInterval: positiveInt('httpTimeouts.checkInterval', h.checkInterval ?? DEFAULT_HTTP_TIMEOUTS.checkInterval),
  };
  if (httpTimeouts.headersTimeout > httpTimeouts.requestTimeout) {
    throw new TypeError(
      `httpTimeouts.headersTimeout (${httpTimeouts.headersTimeout}) must not exceed httpTimeouts.requestTimeout (${httpTimeouts.requestTimeout})`,
    );
  }
  const maxTokenLifetime = positiveInt('maxTokenLifetime', o.maxTokenLifetime ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS);
  const tokenClockSkew = o.tokenClockSkew ?? DEFAULT_TOKEN_CLOCK_SKEW_SECONDS;
  if (typeof tokenClockSkew !== 'number' || !Number.isSafeInteger(tokenClockSkew) || tokenClockSkew < 0) {
    throw new TypeError(
      `tokenClockSkew must be a whole number of seconds, 0 or more; got ${JSON.stringify(tokenClockSkew)}`,
    );
  }

  return {
    port,
    host,
    projects: projectsOf(o.projects),
    dataDir,
    timings: Object.freeze(timings),
    replay: Object.freeze(replay),
    signalRate: Object.freeze(signalRate),
    signalBytes: Object.freeze(signalBytes),
    sessionSignals: Object.freeze(sessionSignals),
    maxUnsentBytes,
    maxConnectionsPerSession,
    logger,
    corsOrigins: corsOriginsOf(o.corsOrigins),
    log: (line: string) => {
      logger.info(line);
    },
    demo: optionalBoolean('demo', o.demo),
    bus: o.bus as SessionBus | undefined,
    store: o.store as Store | undefined,
    redis,
    redisLease: leaseOf(o.redisLease),
    clock: o.clock as ServerClock | undefined,
    drain,
    demoLimits: Object.freeze(demoLimits),
    httpTimeouts: Object.freeze(httpTimeouts),
    maxTokenLifetime,
    tokenClockSkew,
    tls: tlsSourceOf(o.tls),
    ...resolveGuardOptions(o),
    iceServers: iceServersOf(o.iceServers),
    ...resolveMedia({ ...o, host }),
  };
}
