/**
 * Wires the pieces: store, session bus → endpoint → gateway (WebSocket upgrades) and the HTTP routes (demo page,
 * REST API), and the graceful shutdown that takes them down in the reverse order.
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WS_PATH } from '@parley/protocol';
import { InMemoryBus } from './bus/in-memory-bus.js';
import { ParleyEndpoint } from './core/parley-endpoint.js';
import { drainCodeFor } from './core/drain.js';
import { newDevProject } from './dev-project.js';
import { Gateway } from './gateway/gateway.js';
import { answerClientError } from './http/client-error.js';
import { DEMO_CREDENTIALS_PATH, serveDemoCredentials } from './http/demo-credentials.js';
import { DemoLimiter } from './http/demo-guard.js';
import { sendError } from './http/json.js';
import { requestListener, upgradeListener, type HttpRoute, type UpgradeEndpoints } from './http/routing.js';
import { isStaticRequest, serveStatic } from './http/static-files.js';
import { busOps } from './rest/realtime-ops.js';
import { tlsHint } from './http/tls-hint.js';
import { createRestApi } from './rest/rest-api.js';
import { resolveServerOptions, type ServerOptions } from './server-options.js';
import { openStore } from './store/open-store.js';
import type { Project, Store } from './store/store.js';

/**
 * A running Parley server.
 * @example
 * const server = await createServer({ port: 0, dataDir: ':memory:' });
 * console.log(server.url, server.createdDevProject?.apiKey);
 * await server.close();
 */
export interface ParleyServer {
  /** HTTP base URL, e.g. `http://127.0.0.1:8720`. */
  readonly url: string;
  /** WebSocket endpoint, e.g. `ws://127.0.0.1:8720/v1/ws`. */
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
  /**
   * Graceful shutdown: refuse new upgrades and close every client without telling the others,
   * with 4013 ServerShutdown (or 4016 NodeDraining with `drain: 'node'`), stop listening, close
   * the store. Resolves within about 2 s even when clients do not answer. Safe to call twice.
   */
  close(): Promise<void>;
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
  const ownStore = o.store === undefined;
  const store = o.store ?? openStore(o.dataDir, o.log);
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
  const bus = o.bus ?? new InMemoryBus();
  const core = new ParleyEndpoint({
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
  const gateway = new Gateway(core, store, o.logger);
  const rest = createRestApi({ store, realtime: busOps(bus) });
  const demo = { store, demoProject, boundHost: o.host, limiter: new DemoLimiter(o.demoLimits) };

  const httpOptions = {
    headersTimeout: o.httpTimeouts.headersTimeout,
    requestTimeout: o.httpTimeouts.requestTimeout,
    connectionsCheckingInterval: o.httpTimeouts.checkInterval,
  };
  // path → handler, first match answers; the REST API answers everything else (PROTOCOL.md, docs/).
  const routes: HttpRoute[] = [
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
  const http = createHttpServer(httpOptions, requestListener(routes, rest, o.logger, { origins: o.corsOrigins }));
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
    await core.shutdown();
    await closeStore();
    throw err;
  }
  http.on('error', (err) => {
    o.logger.error({ err }, `http: server error: ${err.message}`);
  });

  const port = (http.address() as AddressInfo).port;
  const base = `${hostForUrl(o.host)}:${port}`;
  let closing: Promise<void> | undefined;

  const drainCode = drainCodeFor(o.drain);
  const close = async (): Promise<void> => {
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
    await closeStore();
  };

  return {
    url: `http://${base}`,
    wsUrl: `ws://${base}${WS_PATH}`,
    port,
    store,
    projects,
    createdDevProject: created,
    connectionCount: () => core.connectionCount(),
    close: () => (closing ??= close()),
  };
}
