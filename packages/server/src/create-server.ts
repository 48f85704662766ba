/**
 * Wires the pieces: store, session bus → endpoint → gateway (WebSocket upgrades) and the HTTP routes (demo page,
 * REST API), and the graceful shutdown that takes them down in the reverse order.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WS_PATH } from '@parley/protocol';
import { InMemoryBus } from './bus/in-memory-bus.js';
import { systemClock } from './core/clock.js';
import { RedisBus } from './bus/redis-bus.js';
import type { SessionBus } from './bus/session-bus.js';
import { ParleyEndpoint } from './core/parley-endpoint.js';
import { drainCodeFor } from './core/drain.js';
import { newDevProject } from './dev-project.js';
import { Gateway } from './gateway/gateway.js';
import { UpgradeGuard } from './gateway/upgrade-guard.js';
import { KeyedBuckets } from './http/address-buckets.js';
import { HEALTH_PATH, READY_PATH, serveHealth, serveReady, type Readiness } from './http/health.js';
import { mediaFamilies } from './metrics/media-metrics.js';
import { METRICS_PATH, ServerMetrics } from './metrics/metrics-endpoint.js';
import { ServerCounters } from './metrics/server-counters.js';
import { answerClientError } from './http/client-error.js';
import { DEMO_CREDENTIALS_PATH, serveDemoCredentials } from './http/demo-credentials.js';
import { DemoLimiter } from './http/demo-guard.js';
import { sendError } from './http/json.js';
import { requestListener, upgradeListener, type HttpRoute, type UpgradeEndpoints } from './http/routing.js';
import { isStaticRequest, serveStatic } from './http/static-files.js';
import { busOps } from './rest/realtime-ops.js';
import { tlsHint } from './http/tls-hint.js';
import { loadTlsPair, logTlsClientError, TlsReloader } from './http/tls.js';
import { createRestApi } from './rest/rest-api.js';
import { resolveServerOptions, type ServerOptions } from './server-options.js';
import type { Logger } from './log/logger.js';
import { openStore } from './store/open-store.js';
import { watchRevocations } from './tokens/revocation-watch.js';
import { RedisStore } from './store/redis-store.js';
import type { Project, Store } from './store/store.js';

/**
 * A running Parley server.
 * @example
 * const server = await createServer({ port: 0, dataDir: ':memory:' });
 * console.log(server.url, server.createdDevProject?.apiKey);
 * await server.close();
 */
export interface ParleyServer {
  /** HTTP base URL, e.g. `http://127.0.0.1:8720` (`https://` with the `tls` option). */
  readonly url: string;
  /** WebSocket endpoint, e.g. `ws://127.0.0.1:8720/v1/ws` (`wss://` with the `tls` option). */
  readonly wsUrl: string;
  /** The port actually bound (useful with `port: 0`). */
  readonly port: number;
  readonly store: Store;
  /** The projects this server was configured with, or the development project it created (or found). */
  readonly projects: readonly Project[];
  /** The development project created on this start because the store held none; otherwise undefined. */
  readonly createdDevProject: Project | undefined;
  /** Connections held (connected or waiting for a resume). */
  connectionCount(): number;
  /** The Prometheus text `/metrics` would answer now (also when `metrics.enabled` is false). */
  metrics(): Promise<string>;
  /**
   * Load the `tls` option's certificate and key again (call its function again) for new
   * handshakes; open connections keep theirs. A pair that does not load is logged and the old one
   * kept. Resolves true when the new pair is in use; false when it was not loaded, or without `tls`.
   */
  reloadTls(): Promise<boolean>;
  /**
   * Graceful shutdown: refuse new upgrades and close every client without telling the others,
   * with 4013 ServerShutdown (or 4016 NodeDraining with `drain: 'node'`), stop listening, close
   * the store. Resolves within about 2 s even when clients do not answer. Safe to call twice.
   */
  close(): Promise<void>;
}

/** The cluster's store; Redis trouble is logged at most once a minute (a node keeps serving from what it has seen). */
function openRedisStore(url: string, logger: Logger): Promise<RedisStore> {
  let lastWarned = -Infinity;
  return RedisStore.connect(url, {
    onError: (err) => {
      const now = Date.now();
      if (now - lastWarned < 60_000) return;
      lastWarned = now;
      logger.warn({ err }, `store: Redis failed a command (answering from this node's cache): ${err.message}`);
    },
  });
}

async function ensureProjects(store: Store, configured: readonly { apiKey: string; apiSecret: string }[]) {
  const now = Date.now();
  for (const p of configured) {
    const existing = await store.getProject(p.apiKey);
    await store.putProject({ apiKey: p.apiKey, apiSecret: p.apiSecret, createdAt: existing?.createdAt ?? now });
  }
  if (configured.length > 0) {
    const projects: Project[] = [];
    for (const p of configured) projects.push((await store.getProject(p.apiKey)) as Project);
    return { projects, created: undefined };
  }
  const stored = await store.listProjects();
  if (stored.length > 0) return { projects: stored, created: undefined };
  const created = newDevProject(now);
  await store.putProject(created);
  return { projects: [created], created };
}

/**
 * Pending-connection queue of the listening socket. Node's default is 511: when thousands of
 * clients reconnect at once (a network blip, a restarted load balancer), the SYNs past it are
 * dropped and each of those clients waits for a TCP retransmit (1 s, then 3 s, 7 s…) before its
 * resume can even start. The kernel caps it at net.core.somaxconn (4096 on most current kernels).
 */
const LISTEN_BACKLOG = 4096;

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Start a Parley server: open the store, make sure a project exists, listen.
 * @throws TypeError for an invalid option (before anything is opened)
 * @example
 * const server = await createServer({ port: 0, dataDir: ':memory:', projects: [{ apiKey: '123456', apiSecret: 'secret' }] });
 */
export async function createServer(options: ServerOptions = {}): Promise<ParleyServer> {
  const o = resolveServerOptions(options);
  // Loaded first: a bad certificate is refused before the store is opened.
  const tlsPair = o.tls === undefined ? undefined : await loadTlsPair(o.tls);
  const ownStore = o.store === undefined;
  const store =
    o.store ?? (o.redis !== undefined ? await openRedisStore(o.redis, o.logger) : openStore(o.dataDir, o.log));
  const closeStore = async () => {
    if (ownStore) await store.close();
  };
  let projects: Project[];
  let created: Project | undefined;
  try {
    ({ projects, created } = await ensureProjects(store, o.projects));
  } catch (err) {
    await closeStore();
    throw err;
  }

  const demoProject = o.demo && o.projects.length === 0 ? projects[0]?.apiKey : undefined;
  const counters = new ServerCounters();
  // Cluster mode: this node's handle on the Redis bus, opened (and closed) here unless one was given.
  const ownBus =
    o.bus === undefined && o.redis !== undefined
      ? new RedisBus({ url: o.redis, logger: o.logger, ...o.redisLease })
      : undefined;
  const bus: SessionBus = o.bus ?? ownBus ?? new InMemoryBus();
  const core = new ParleyEndpoint({
    counters,
    bus,
    clock: o.clock,
    timings: o.timings,
    replay: o.replay,
    signalRate: o.signalRate,
    signalBytes: o.signalBytes,
    sessionSignals: o.sessionSignals,
    maxUnsentBytes: o.maxUnsentBytes,
    maxConnectionsPerSession: o.maxConnectionsPerSession,
    logger: o.logger,
    iceServers: o.iceServers,
    mediaRouter: o.mediaRouter,
  });
  const tokenPolicy = { maxLifetime: o.maxTokenLifetime, clockSkew: o.tokenClockSkew };
  const guard = new UpgradeGuard({
    limits: o.connectionLimits,
    allowedOrigins: o.allowedOrigins,
    trust: o.trustProxy,
    counters,
    logger: o.logger,
  });
  const gateway = new Gateway(core, store, o.logger, tokenPolicy, guard, counters);
  const sessionBuckets = new KeyedBuckets(o.sessionCreation);
  const limitSessionCreation = (apiKey: string): number => {
    const wait = sessionBuckets.take(apiKey);
    if (wait > 0) counters.rateLimited.session_creation++;
    return wait;
  };
  const rest = createRestApi({ store, realtime: busOps(bus, core), tokenPolicy, limitSessionCreation });
  const stopRevocationWatch = watchRevocations(store, core, o.clock ?? systemClock, o.logger);
  const demo = {
    store,
    demoProject,
    boundHost: o.host,
    limiter: new DemoLimiter(o.demoLimits),
    trust: o.trustProxy,
    onLimited: () => {
      counters.rateLimited.demo_sessions++;
    },
  };
  const metrics = new ServerMetrics(
    [...counters.families(core), ...(bus.metricFamilies?.() ?? []), ...mediaFamilies(core.mediaRouter)],
    o.metrics.token,
  );
  let draining = false;
  const readiness: Readiness = { draining: () => draining, busHealth: () => bus.health?.() };

  const httpOptions = {
    headersTimeout: o.httpTimeouts.headersTimeout,
    requestTimeout: o.httpTimeouts.requestTimeout,
    connectionsCheckingInterval: o.httpTimeouts.checkInterval,
  };
  // path → handler, first match answers; the REST API answers everything else (PROTOCOL.md, docs/).
  const routes: HttpRoute[] = [
    {
      name: 'liveness probe',
      matches: (method, pathname) => method === 'GET' && pathname === HEALTH_PATH,
      handle: (_req, res) => {
        serveHealth(res);
      },
    },
    {
      name: 'readiness probe',
      matches: (method, pathname) => method === 'GET' && pathname === READY_PATH,
      handle: (_req, res) => {
        serveReady(res, readiness);
      },
    },
    ...(o.metrics.enabled
      ? [
          {
            name: 'metrics',
            matches: (method: string | undefined, pathname: string) => method === 'GET' && pathname === METRICS_PATH,
            handle: metrics.handle,
          },
        ]
      : []),
    {
      name: 'demo credentials',
      matches: (method, pathname) => method === 'GET' && pathname === DEMO_CREDENTIALS_PATH,
      handle: (req, res, url) => serveDemoCredentials(req, url, res, demo),
    },
    {
      name: 'static file',
      matches: isStaticRequest,
      handle: (req, res, url) => serveStatic(req, res, url.pathname),
    },
    {
      name: 'WebSocket endpoint hint',
      matches: (_method, pathname) => pathname === WS_PATH,
      handle: (_req, res) => {
        sendError(res, 426, `${WS_PATH} is the WebSocket endpoint; send an upgrade request`, { upgrade: 'websocket' });
      },
    },
  ];
  // path → WebSocket endpoint (one wire protocol today).
  const endpoints: UpgradeEndpoints = new Map([[WS_PATH, gateway.handleUpgrade]]);
  const listener = requestListener(routes, rest, o.logger, { origins: o.corsOrigins });
  const https = tlsPair === undefined ? undefined : createHttpsServer({ ...httpOptions, ...tlsPair }, listener);
  const http = https ?? createHttpServer(httpOptions, listener);
  const reloader = https === undefined || o.tls === undefined ? undefined : new TlsReloader(https, o.tls, o.logger);
  https?.on('tlsClientError', (err) => {
    logTlsClientError(err, o.logger);
  });
  http.on('upgrade', upgradeListener(endpoints));
  http.on('clientError', (err: Error & { code?: string }, socket) => {
    const hint = tlsHint(err);
    if (hint !== undefined) o.logger.warn(hint);
    answerClientError(err, socket, o.logger);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen({ port: o.port, host: o.host, backlog: LISTEN_BACKLOG }, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    stopRevocationWatch();
    await core.shutdown();
    await ownBus?.close();
    await closeStore();
    throw err;
  }
  http.on('error', (err) => {
    o.logger.error({ err }, `http: server error: ${err.message}`);
  });
  for (const n of o.mediaNotices) o.logger[n.level](n.text);

  const port = (http.address() as AddressInfo).port;
  const base = `${hostForUrl(o.host)}:${port}`;
  let closing: Promise<void> | undefined;

  const drainCode = drainCodeFor(o.drain);
  const close = async (): Promise<void> => {
    stopRevocationWatch();
    draining = true;
    // /readyz now says 503; keep serving while the load balancer notices.
    if (o.drainDelay > 0) await new Promise<void>((resolve) => setTimeout(resolve, o.drainDelay));
    gateway.drain(drainCode);
    const stopped = new Promise<void>((resolve) =>
      http.close(() => {
        resolve();
      }),
    );
    http.closeIdleConnections();
    await Promise.all([core.shutdown(drainCode), gateway.close()]);
    http.closeAllConnections();
    // Bounded: the sockets were closed or terminated above; don't hang on anything else.
    await Promise.race([stopped, new Promise<void>((resolve) => setTimeout(resolve, 500).unref())]);
    // After the endpoint: a draining node's parked connections are in Redis before the bus lets go.
    await ownBus?.close();
    await closeStore();
  };

  const secure = https === undefined ? '' : 's';
  return {
    url: `http${secure}://${base}`,
    wsUrl: `ws${secure}://${base}${WS_PATH}`,
    port,
    store,
    projects,
    createdDevProject: created,
    connectionCount: () => core.connectionCount(),
    metrics: () => metrics.text(),
    reloadTls: () => reloader?.reload() ?? Promise.resolve(false),
    close: () => (closing ??= close()),
  };
}
