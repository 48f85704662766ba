/**
 * The integration tier's fixture: a real server on port 0 with an in-memory store and a fixed
 * project, a session created through the REST API, client sessions (directly or behind their own
 * FaultProxy), and one `cleanup()` that takes everything down.
 */
import { createHmac } from 'node:crypto';
import { createServer as createTcpServer } from 'node:net';
import { Session, type SessionDelegate, type SessionOptions } from '@parley/client';
import type { ParleyServer, ServerOptions } from '@parley/server';
import { generateToken, Parley } from '@parley/server-sdk';
import { FaultProxy, startNodes, type BusKind, type Nodes } from '@parley/testkit';

export const API_KEY = '100001';
export const API_SECRET = 'integration-secret-1';
/** A second project, for "token of another project". */
export const OTHER_API_KEY = '100002';
export const OTHER_API_SECRET = 'integration-secret-2';

/** Timings short enough for a test to see a heartbeat timeout and a window expiry in about a second. */
export const SHORT_TIMINGS = { heartbeatInterval: 100, heartbeatTimeout: 400, reconnectWindow: 3_000 } as const;

export interface ClientOptions {
  /** Connect through a new FaultProxy of its own. @default false */
  proxied?: boolean;
  /** Connection data in the token. @default '' */
  data?: string;
  delegate?: SessionDelegate;
  /** Session options on top of `{ url }`. */
  options?: Omit<SessionOptions, 'url'>;
  /** Connect before returning. @default true */
  connect?: boolean;
}

export interface Client {
  readonly session: Session;
  /** The proxy in front of this client, when `proxied`. */
  readonly proxy: FaultProxy | undefined;
  readonly token: string;
  /** Our connection ID (set on sessionConnected; kept after the session ends). */
  readonly id: string;
}

export interface Harness {
  /** The running server: the first node (a new object after `restart()`). */
  readonly server: ParleyServer;
  /** Every node (one over the in-memory bus). */
  readonly nodes: Nodes;
  /** The base URL of the node the next client connects to (round robin over the nodes). */
  nextUrl(): string;
  /** Connections held by every node. */
  connectionCount(): number;
  readonly parley: Parley;
  readonly sessionId: string;
  readonly serverOptions: ServerOptions;
  /** A token for `sessionId` (or another session) of the fixed project. */
  token(options?: { data?: string; role?: string; sessionId?: string }): string;
  /** A client session of `sessionId`, connected unless `connect: false`. */
  client(options?: ClientOptions): Promise<Client>;
  /** A FaultProxy in front of the server, or of one node (closed by cleanup). */
  proxy(node?: ParleyServer): Promise<FaultProxy>;
  /** Close the server (every node) and start new ones on the same ports (they know no connection). */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * @example
 * const h = await startHarness({ timings: SHORT_TIMINGS });
 * const alice = await h.client({ proxied: true });
 * ...
 * await h.cleanup();
 */
export async function startHarness(
  extra: Omit<ServerOptions, 'port' | 'dataDir' | 'projects'> = {},
  /** `split`: several nodes over the split-process bus; clients are spread over them (round robin). */
  bus: BusKind = 'memory',
): Promise<Harness> {
  const serverOptions: ServerOptions = {
    port: 0,
    dataDir: ':memory:',
    projects: [
      { apiKey: API_KEY, apiSecret: API_SECRET },
      { apiKey: OTHER_API_KEY, apiSecret: OTHER_API_SECRET },
    ],
    ...extra,
  };
  let nodes = await startNodes(bus, serverOptions);
  const first = () => nodes.servers[0] as ParleyServer;
  const parley = new Parley(API_KEY, API_SECRET, { apiUrl: first().url });
  const { sessionId } = await parley.createSession();
  const sessions: Session[] = [];
  const proxies: FaultProxy[] = [];

  const h: Harness = {
    get server() {
      return first();
    },
    get nodes() {
      return nodes;
    },
    nextUrl: () => nodes.next().url,
    connectionCount: () => nodes.connectionCount(),
    parley,
    sessionId,
    serverOptions,
    token: (o = {}) =>
      generateToken(API_KEY, API_SECRET, o.sessionId ?? sessionId, {
        ...(o.data !== undefined && { data: o.data }),
        ...(o.role !== undefined && { role: o.role }),
      }),
    async proxy(node = first()) {
      const p = await FaultProxy.start({ target: { port: node.port } });
      proxies.push(p);
      return p;
    },
    async client(o = {}) {
      const node = nodes.next();
      const proxy = o.proxied === true ? await h.proxy(node) : undefined;
      const url = proxy === undefined ? node.url : proxy.url(node.url);
      const session = new Session(API_KEY, sessionId, o.delegate, { ...o.options, url });
      sessions.push(session);
      const token = h.token({ data: o.data ?? '' });
      // Remember our ID after the session ends too (session.connection is null then).
      let id = '';
      session.on('sessionConnected', ({ connection }) => (id = connection.connectionId));
      if (o.connect !== false) await session.connect(token);
      return {
        session,
        proxy,
        token,
        get id() {
          return id;
        },
      };
    },
    async restart() {
      const ports = nodes.servers.map((s) => s.port);
      await nodes.close();
      nodes = await startNodes(bus, serverOptions, ports);
    },
    async cleanup() {
      await Promise.all(sessions.map((s) => s.disconnect().catch(() => undefined)));
      await Promise.all(proxies.map((p) => p.close()));
      await nodes.close();
    },
  };
  return h;
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const address = s.address();
  await new Promise<void>((resolve) =>
    s.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * A JWT token exactly like `generateToken`'s but already expired: same claims, `exp` and
 * `expire_time` in the past, re-signed with the project secret (generateToken refuses a past expiry).
 */
export function expiredToken(sessionId: string): string {
  const token = generateToken(API_KEY, API_SECRET, sessionId);
  const [header, payload] = token.split('.');
  if (header === undefined || payload === undefined) throw new Error('generateToken did not return a JWT');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const past = Math.floor(Date.now() / 1000) - 60;
  claims.exp = past;
  claims.expire_time = past;
  claims.iat = past - 60;
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createHmac('sha256', API_SECRET).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}

/** The signals a session receives, in order, with a way to wait for one. */
export interface Inbox {
  readonly received: { type: string | undefined; data: string | undefined; from: string | null }[];
  /** Data of the received signals of `type`. */
  data(type: string): (string | undefined)[];
}

export function inbox(session: Session): Inbox {
  const received: Inbox['received'] = [];
  session.on('signal', ({ type, data, from }) => received.push({ type, data, from: from?.connectionId ?? null }));
  return { received, data: (type) => received.filter((s) => s.type === type).map((s) => s.data) };
}
