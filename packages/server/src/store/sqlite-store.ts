/**
 * The embedded {@link Store}: SQLite through better-sqlite3 (synchronous, so every method
 * resolves at once), in WAL mode so the CLI (`parley token`, `parley session create`) can read
 * it while a server writes.
 */
import Database from 'better-sqlite3';
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
`;

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
