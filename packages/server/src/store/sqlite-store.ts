/**
 * The embedded {@link Store}: SQLite through better-sqlite3 (synchronous, so every method
 * resolves at once), in WAL mode so the CLI (`parley token`, `parley session create`) can read
 * it while a server writes.
 */
import Database from 'better-sqlite3';
import type { Revocation, RevocationKind, TokenHolder } from '../tokens/revocation.js';
import type { ArchiveMode, MediaMode, Project, SessionRecord, Store } from './store.js';

interface ProjectRow {
  api_key: string;
  api_secret: string;
  created_at: number;
}

interface SessionRow {
  session_id: string;
  api_key: string;
  media_mode: string;
  archive_mode: string;
  location: string;
  e2ee: number;
  created_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS projects (
  api_key    TEXT PRIMARY KEY,
  api_secret TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
  session_id   TEXT PRIMARY KEY,
  api_key      TEXT NOT NULL,
  media_mode   TEXT NOT NULL,
  archive_mode TEXT NOT NULL,
  location     TEXT NOT NULL,
  e2ee         INTEGER NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS token_revocations (
  api_key    TEXT NOT NULL,
  kind       TEXT NOT NULL,
  value      TEXT NOT NULL,
  revoked_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (api_key, kind, value)
);
CREATE INDEX IF NOT EXISTS token_revocations_expiry ON token_revocations (expires_at);
CREATE INDEX IF NOT EXISTS token_revocations_recent ON token_revocations (revoked_at);
`;

interface RevocationRow {
  api_key: string;
  kind: string;
  value: string;
  revoked_at: number;
  expires_at: number;
}

interface FindRevocationParams {
  apiKey: string;
  now: number;
  issuedAt: number;
  sessionId: string;
  data: string;
  tokenId: string;
}

function toRevocation(row: RevocationRow): Revocation {
  return {
    apiKey: row.api_key,
    kind: row.kind as RevocationKind,
    value: row.value,
    revokedAt: row.revoked_at,
    expiresAt: row.expires_at,
  };
}

function toProject(row: ProjectRow): Project {
  return { apiKey: row.api_key, apiSecret: row.api_secret, createdAt: row.created_at };
}

function toSession(row: SessionRow): SessionRecord {
  return {
    sessionId: row.session_id,
    apiKey: row.api_key,
    mediaMode: row.media_mode as MediaMode,
    archiveMode: row.archive_mode as ArchiveMode,
    location: row.location,
    e2ee: row.e2ee !== 0,
    createdAt: row.created_at,
  };
}

/**
 * @example
 * const store = new SqliteStore(':memory:');
 * await store.putProject({ apiKey: '12345678', apiSecret: 'secret', createdAt: Date.now() });
 */
export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #getProject: Database.Statement<[string], ProjectRow>;
  readonly #listProjects: Database.Statement<[], ProjectRow>;
  readonly #putProject: Database.Statement<[string, string, number]>;
  readonly #createSession: Database.Statement<[string, string, string, string, string, number, number]>;
  readonly #getSession: Database.Statement<[string], SessionRow>;
  readonly #putRevocation: Database.Statement<[string, string, string, number, number]>;
  readonly #pruneRevocations: Database.Statement<[number]>;
  readonly #findRevocation: Database.Statement<[FindRevocationParams], RevocationRow>;
  readonly #listRevocations: Database.Statement<[number, number], RevocationRow>;

  /** @param filename a database file path, or ':memory:' */
  constructor(filename: string) {
    this.#db = new Database(filename);
    if (filename !== ':memory:') this.#db.pragma('journal_mode = WAL');
    // WHY: another process (the CLI reading, a second server) may hold the same file open.
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    this.#getProject = this.#db.prepare('SELECT api_key, api_secret, created_at FROM projects WHERE api_key = ?');
    this.#listProjects = this.#db.prepare(
      'SELECT api_key, api_secret, created_at FROM projects ORDER BY created_at, api_key',
    );
    this.#putProject = this.#db.prepare(
      `INSERT INTO projects (api_key, api_secret, created_at) VALUES (?, ?, ?)
       ON CONFLICT(api_key) DO UPDATE SET api_secret = excluded.api_secret`,
    );
    this.#createSession = this.#db.prepare(
      `INSERT INTO sessions (session_id, api_key, media_mode, archive_mode, location, e2ee, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#getSession = this.#db.prepare(
      'SELECT session_id, api_key, media_mode, archive_mode, location, e2ee, created_at FROM sessions WHERE session_id = ?',
    );
    this.#putRevocation = this.#db.prepare(
      `INSERT INTO token_revocations (api_key, kind, value, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(api_key, kind, value) DO UPDATE SET
         revoked_at = max(revoked_at, excluded.revoked_at), expires_at = max(expires_at, excluded.expires_at)`,
    );
    this.#pruneRevocations = this.#db.prepare('DELETE FROM token_revocations WHERE expires_at <= ?');
    // Three point lookups on the primary key ('' never matches: rules are never saved with it).
    this.#findRevocation = this.#db.prepare(
      `SELECT api_key, kind, value, revoked_at, expires_at FROM token_revocations
       WHERE api_key = @apiKey AND expires_at > @now AND revoked_at >= @issuedAt AND value <> ''
         AND ((kind = 'session' AND value = @sessionId) OR (kind = 'data' AND value = @data)
           OR (kind = 'token' AND value = @tokenId))
       LIMIT 1`,
    );
    this.#listRevocations = this.#db.prepare(
      `SELECT api_key, kind, value, revoked_at, expires_at FROM token_revocations
       WHERE revoked_at >= ? AND expires_at > ? ORDER BY revoked_at`,
    );
  }

  listRevocations(sinceSeconds: number, nowSeconds: number): Promise<Revocation[]> {
    return Promise.resolve(this.#listRevocations.all(sinceSeconds, nowSeconds).map(toRevocation));
  }

  putRevocation(rule: Revocation, nowSeconds: number): Promise<void> {
    this.#db.transaction(() => {
      this.#pruneRevocations.run(nowSeconds);
      this.#putRevocation.run(rule.apiKey, rule.kind, rule.value, rule.revokedAt, rule.expiresAt);
    })();
    return Promise.resolve();
  }

  findRevocation(h: TokenHolder, nowSeconds: number): Promise<Revocation | undefined> {
    const row = this.#findRevocation.get({
      apiKey: h.apiKey,
      now: nowSeconds,
      issuedAt: h.issuedAt ?? 0,
      sessionId: h.sessionId,
      data: h.data,
      tokenId: h.tokenId,
    });
    return Promise.resolve(row && toRevocation(row));
  }

  getProject(apiKey: string): Promise<Project | undefined> {
    const row = this.#getProject.get(apiKey);
    return Promise.resolve(row && toProject(row));
  }

  listProjects(): Promise<Project[]> {
    return Promise.resolve(this.#listProjects.all().map(toProject));
  }

  putProject(project: Project): Promise<void> {
    this.#putProject.run(project.apiKey, project.apiSecret, project.createdAt);
    return Promise.resolve();
  }

  createSession(s: SessionRecord): Promise<void> {
    try {
      this.#createSession.run(
        s.sessionId,
        s.apiKey,
        s.mediaMode,
        s.archiveMode,
        s.location,
        s.e2ee ? 1 : 0,
        s.createdAt,
      );
    } catch (err) {
      // A rejection, like any Store: a duplicate ID must not throw through a caller's `.then`.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return Promise.resolve();
  }

  getSession(sessionId: string): Promise<SessionRecord | undefined> {
    const row = this.#getSession.get(sessionId);
    return Promise.resolve(row && toSession(row));
  }

  close(): Promise<void> {
    if (this.#db.open) this.#db.close();
    return Promise.resolve();
  }
}
