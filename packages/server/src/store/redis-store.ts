/**
 * The cluster {@link Store}: projects and sessions in Redis, so every node answers the REST API and
 * checks tokens the same (docs/CLUSTER.md §What lives in Redis).
 *
 * Keys (all under `prefix`, default `parley:`):
 * - `project:{apiKey}`: a hash `{ secret, createdAt }`; `projects`: a sorted set of API keys
 *   scored by `createdAt` (so `listProjects` is ordered like the SQLite store: createdAt, apiKey);
 * - `session:{sessionId}`: the session record as JSON, written once (`SET NX`).
 *
 * Redis trouble: commands fail fast (no offline queue, `commandTimeout`) instead of hanging a
 * request; reads then answer from what this node has seen (its projects, its recent sessions), so
 * tokens keep being checked while Redis is away. When the connection is ready again (a restart,
 * maybe an empty one) the node writes back the projects and sessions it knows: a Redis restarted
 * empty is refilled by the nodes, not left without projects.
 */
import { Redis } from 'ioredis';
import type { Revocation, TokenHolder } from '../tokens/revocation.js';
import { RedisRevocations } from './redis-revocations.js';
import type { Project, SessionRecord, Store } from './store.js';

/** Options of {@link RedisStore.connect}. */
export interface RedisStoreOptions {
  /** Key prefix, so several deployments can share one Redis. @default 'parley:' */
  readonly prefix?: string;
  /** How long one command may take before it fails (ms). @default 2000 */
  readonly commandTimeout?: number;
  /** How many session records this node remembers for Redis outages (oldest forgotten first). @default 10000 */
  readonly sessionCacheSize?: number;
  /** Told when Redis fails a command and a cached answer is used instead. */
  readonly onError?: (err: Error) => void;
  /** Told each time the store has (re)connected and written back what it knows. */
  readonly onRefilled?: () => void;
}

// Insert a project, or replace only its secret (createdAt stays the first one), like the SQLite store.
const PUT_PROJECT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'secret', ARGV[2])
else
  redis.call('HSET', KEYS[1], 'secret', ARGV[2], 'createdAt', ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
return 1`;

/** A session ID that is already stored (createSession writes each ID once). */
export class DuplicateSessionError extends Error {
  override readonly name = 'DuplicateSessionError';
  constructor(sessionId: string) {
    super(`session ${sessionId} already exists`);
  }
}

/**
 * @example
 * const store = await RedisStore.connect('redis://127.0.0.1:6379');
 * await createServer({ store, bus: ... });
 */
export class RedisStore implements Store {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #projects = new Map<string, Project>();
  readonly #sessions = new Map<string, SessionRecord>();
  readonly #sessionCacheSize: number;
  readonly #onError: (err: Error) => void;
  readonly #revocations: RedisRevocations;
  #closed = false;

  private constructor(redis: Redis, options: RedisStoreOptions) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'parley:';
    this.#revocations = new RedisRevocations(redis, this.#prefix);
    this.#sessionCacheSize = options.sessionCacheSize ?? 10_000;
    this.#onError = options.onError ?? (() => {});
    redis.on('error', () => {}); // reconnection is ioredis's; failed commands are handled per call
    redis.on('ready', () => {
      this.#refill().then(
        () => options.onRefilled?.(),
        (err: unknown) => {
          this.#onError(err as Error);
        },
      );
    });
  }

  /**
   * Connect (and wait until Redis answers).
   * @throws Error when Redis cannot be reached at start
   */
  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeout ?? 2000,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(50 * times, 1000),
    });
    const store = new RedisStore(redis, options);
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw new Error(`cannot reach Redis at ${url}: ${(err as Error).message}`, { cause: err });
    }
    return store;
  }

  #key(kind: string, id: string): string {
    return `${this.#prefix}${kind}:${id}`;
  }

  #remember(s: SessionRecord): void {
    this.#sessions.delete(s.sessionId);
    this.#sessions.set(s.sessionId, s);
    if (this.#sessions.size > this.#sessionCacheSize) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
  }

  async #putProjectRaw(p: Project): Promise<void> {
    await this.#redis.eval(
      PUT_PROJECT,
      2,
      this.#key('project', p.apiKey),
      `${this.#prefix}projects`,
      p.apiKey,
      p.apiSecret,
      String(p.createdAt),
    );
  }

  /** After a (re)connection: write back what this node knows, in case Redis came back empty. */
  async #refill(): Promise<void> {
    if (this.#closed) return;
    for (const p of this.#projects.values()) await this.#putProjectRaw(p);
    for (const s of this.#sessions.values())
      await this.#redis.set(this.#key('session', s.sessionId), JSON.stringify(s), 'NX');
  }

  async getProject(apiKey: string): Promise<Project | undefined> {
    let fields: Record<string, string>;
    try {
      fields = await this.#redis.hgetall(this.#key('project', apiKey));
    } catch (err) {
      this.#onError(err as Error);
      return this.#projects.get(apiKey);
    }
    if (fields.secret === undefined || fields.createdAt === undefined) return this.#projects.get(apiKey);
    const project: Project = { apiKey, apiSecret: fields.secret, createdAt: Number(fields.createdAt) };
    this.#projects.set(apiKey, project);
    return project;
  }

  async listProjects(): Promise<Project[]> {
    let keys: string[];
    try {
      keys = await this.#redis.zrange(`${this.#prefix}projects`, '0', '-1');
    } catch (err) {
      this.#onError(err as Error);
      return [...this.#projects.values()];
    }
    const out: Project[] = [];
    for (const k of keys) {
      const p = await this.getProject(k);
      if (p !== undefined) out.push(p);
    }
    return out;
  }

  async putProject(project: Project): Promise<void> {
    await this.#putProjectRaw(project);
    // What Redis holds now (an existing project keeps its createdAt).
    const stored = await this.getProject(project.apiKey);
    this.#projects.set(project.apiKey, stored ?? project);
  }

  async createSession(session: SessionRecord): Promise<void> {
    const written = await this.#redis.set(this.#key('session', session.sessionId), JSON.stringify(session), 'NX');
    if (written === null) throw new DuplicateSessionError(session.sessionId);
    this.#remember(session);
  }

  async getSession(sessionId: string): Promise<SessionRecord | undefined> {
    let json: string | null;
    try {
      json = await this.#redis.get(this.#key('session', sessionId));
    } catch (err) {
      this.#onError(err as Error);
      return this.#sessions.get(sessionId);
    }
    if (json === null) return this.#sessions.get(sessionId);
    const record = JSON.parse(json) as SessionRecord;
    this.#remember(record);
    return record;
  }

  /** Revocation rules live in Redis only: a node cannot vouch for a rule it has not seen. */
  putRevocation(rule: Revocation, nowSeconds: number): Promise<void> {
    return this.#revocations.put(rule, nowSeconds);
  }

  findRevocation(holder: TokenHolder, nowSeconds: number): Promise<Revocation | undefined> {
    return this.#revocations.find(holder, nowSeconds);
  }

  listRevocations(sinceSeconds: number, nowSeconds: number): Promise<Revocation[]> {
    return this.#revocations.list(sinceSeconds, nowSeconds);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }
}
