/**
 * A real server on port 0 with an in-memory store, one project and helpers to mint sessions and
 * tokens and to join with raw clients.
 */
import { createHmac } from 'node:crypto';
import { handshakeQuery, type WelcomeMessage, type WireCapability } from '@parley/protocol';
import type { LeaseTimings, ParleyServer, ServerOptions } from '@parley/server';
import { generateToken, mintSessionId } from '@parley/server-sdk';
import { startNodes, type BusKind, type Nodes } from '@parley/testkit';
import { RawClient } from './raw-client.js';

export const API_KEY = '12345678';
export const API_SECRET = '0123456789abcdef0123456789abcdef01234567';
export const OTHER_KEY = '87654321';
export const OTHER_SECRET = 'fedcba9876543210fedcba9876543210fedcba98';

/** Short timings so liveness tests run in about a second. */
export const SHORT_TIMINGS = { heartbeatInterval: 100, heartbeatTimeout: 300, reconnectWindow: 1000 };

/** A raw client that has joined, with the `welcome` it got. */
export interface Joined {
  readonly client: RawClient;
  readonly welcome: WelcomeMessage;
}

export class Harness {
  readonly clients: RawClient[] = [];
  /** connectionId → the node (WebSocket URL) it joined, where a resume must go. */
  readonly #nodeOf = new Map<string, string>();
  private constructor(
    readonly nodes: Nodes,
    /** Raw clients ping this often (the heartbeat interval in force). */
    readonly pingEvery: number,
  ) {}

  /**
   * @param bus `memory`: one server; `split`: several nodes over the split-process bus, with
   * the connections spread over them (round robin).
   */
  static async start(
    options: ServerOptions = {},
    bus: BusKind = 'memory',
    delay?: () => number,
    lease?: LeaseTimings,
  ): Promise<Harness> {
    const nodes = await startNodes(
      bus,
      {
        port: 0,
        dataDir: ':memory:',
        projects: [
          { apiKey: API_KEY, apiSecret: API_SECRET },
          { apiKey: OTHER_KEY, apiSecret: OTHER_SECRET },
        ],
        // Sessions here are created routed, and the raw-protocol tests drive the relayed path
        // (their SDP is not real): the forwarder is tested in media/ and the media tier. Pass
        // `forwarder: undefined` for the server's default.
        forwarder: false,
        ...options,
      },
      undefined,
      delay,
      lease,
    );
    return new Harness(nodes, options.timings?.heartbeatInterval ?? 2500);
  }

  /** The first node (the only one over the in-memory bus). */
  get server(): ParleyServer {
    return this.nodes.servers[0] as ParleyServer;
  }

  /** Connections held by every node. */
  connectionCount(): number {
    return this.nodes.connectionCount();
  }

  async session(apiKey = API_KEY): Promise<string> {
    const sessionId = mintSessionId(apiKey);
    await this.server.store.createSession({
      sessionId,
      apiKey,
      mediaMode: 'routed',
      archiveMode: 'manual',
      location: '',
      e2ee: false,
      createdAt: Date.now(),
    });
    return sessionId;
  }

  token(sessionId: string, opts: { role?: string; data?: string } = {}): string {
    return generateToken(API_KEY, API_SECRET, sessionId, opts);
  }

  /** Open a raw client with a join query (nothing awaited); `caps` omitted: an old client's query. */
  connect(sessionId: string, token: string, apiKey = API_KEY, caps?: readonly WireCapability[]): RawClient {
    const query = handshakeQuery({ kind: 'join', apiKey, sessionId, token, ...(caps !== undefined && { caps }) });
    return this.raw(`${this.nodes.next().wsUrl}?${query}`);
  }

  raw(url: string): RawClient {
    const c = new RawClient(url, this.pingEvery);
    this.clients.push(c);
    return c;
  }

  /** Join and wait for `welcome`. */
  async join(
    sessionId: string,
    opts: { role?: string; data?: string; caps?: readonly WireCapability[] } = {},
  ): Promise<Joined> {
    const { caps, ...tokenOpts } = opts;
    const client = this.connect(sessionId, this.token(sessionId, tokenOpts), API_KEY, caps);
    const welcome = await client.nextOf('welcome');
    this.#nodeOf.set(welcome.connection.connectionId, client.url.slice(0, client.url.indexOf('?')));
    return { client, welcome };
  }

  /** Join `a` then `b` (connection data 'a' and 'b') and wait until `a` has seen `b` arrive. */
  async pair(sessionId: string): Promise<{ a: Joined; b: Joined; aId: string; bId: string }> {
    const a = await this.join(sessionId, { data: 'a' });
    const b = await this.join(sessionId, { data: 'b' });
    await a.client.nextOf('connectionCreated');
    return { a, b, aId: a.welcome.connection.connectionId, bId: b.welcome.connection.connectionId };
  }

  /** Open a resume handshake for a connection. */
  resume(
    sessionId: string,
    welcome: WelcomeMessage,
    ack: number,
    key = welcome.resumeKey,
    /** Where to resume (another node of a cluster); default: the node the connection joined. */
    on?: { readonly wsUrl: string },
  ): RawClient {
    const q = handshakeQuery({
      kind: 'resume',
      apiKey: API_KEY,
      sessionId,
      connectionId: welcome.connection.connectionId,
      resumeKey: key,
      ack,
    });
    const node = on?.wsUrl ?? this.#nodeOf.get(welcome.connection.connectionId) ?? this.server.wsUrl;
    return this.raw(`${node}?${q}`);
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.ws.terminate();
    await this.nodes.close();
  }
}

/** Sign a JWT by hand, for tokens generateToken refuses to mint (expired, oversized data). */
export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** Claims like generateToken's, overridable. */
export function claims(sessionId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: API_KEY,
    ist: 'project',
    iat: now,
    exp: now + 3600,
    session_id: sessionId,
    create_time: now,
    nonce: 0.5,
    role: 'publisher',
    expire_time: now + 3600,
    initial_layout_class_list: '',
    scope: 'session.connect',
    ...over,
  };
}
