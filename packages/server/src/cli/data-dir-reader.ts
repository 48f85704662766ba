/**
 * Read-only access to a server's data dir for `parley session create` and `parley token`. The
 * CLI never creates a data dir, a database or a project: a missing one is an error that names
 * the absolute path it looked at, so a second, silent project can no longer appear.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../store/open-store.js';
import type { Project } from '../store/store.js';
import { UsageError } from './args.js';

/** What the CLI needs from a data dir: its projects and the owner of a session. */
export interface DataDirReader {
  /** Absolute path of the data dir. */
  readonly path: string;
  /** Absolute path of its database. */
  readonly dbPath: string;
  /** Oldest first, as the server lists them. */
  projects(): Project[];
  /** API key of the project that owns the session, or undefined for an unknown session. */
  sessionProject(sessionId: string): string | undefined;
  close(): void;
}

const START_HINT = 'start the server first (npm start) or pass --data-dir';

/**
 * @throws UsageError naming the absolute path when there is no database there
 * @example const dir = openDataDirReadOnly('./.parley'); dir.projects()[0]?.apiKey; dir.close();
 */
export function openDataDirReadOnly(dataDir: string, command: string): DataDirReader {
  const path = resolve(dataDir);
  const dbPath = join(path, DATABASE_FILE);
  if (!existsSync(dbPath)) {
    throw new UsageError(
      existsSync(path)
        ? `no Parley database in ${path} (looked for ${DATABASE_FILE}): ${START_HINT}`
        : `no Parley data dir at ${path}: ${START_HINT}`,
      command,
    );
  }
  let db: Database.Database;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (err) {
    throw new UsageError(`cannot read ${dbPath}: ${err instanceof Error ? err.message : String(err)}`, command);
  }
  return {
    path,
    dbPath,
    projects: () =>
      db
        .prepare<[], { api_key: string; api_secret: string; created_at: number }>(
          'SELECT api_key, api_secret, created_at FROM projects ORDER BY created_at, api_key',
        )
        .all()
        .map((r) => ({ apiKey: r.api_key, apiSecret: r.api_secret, createdAt: r.created_at })),
    sessionProject: (sessionId) =>
      db.prepare<[string], { api_key: string }>('SELECT api_key FROM sessions WHERE session_id = ?').get(sessionId)
        ?.api_key,
    close: () => {
      db.close();
    },
  };
}

/**
 * The project a command acts for: the one named, else the server's (from server.json), else the
 * oldest in the data dir.
 * @throws UsageError when the data dir holds no project or not the one named
 */
export function pickProject(
  dir: DataDirReader,
  named: string | undefined,
  serverDefault: string | undefined,
  command: string,
): Project {
  const projects = dir.projects();
  if (projects.length === 0) {
    throw new UsageError(`no project in ${dir.dbPath}: ${START_HINT} (its first start creates one)`, command);
  }
  const wanted = named ?? serverDefault;
  if (wanted === undefined) return projects[0] as Project;
  const p = projects.find((x) => x.apiKey === wanted);
  if (p === undefined) {
    const known = projects.map((x) => x.apiKey).join(', ');
    throw new UsageError(`no project with API key ${wanted} in ${dir.dbPath} (it holds ${known})`, command);
  }
  return p;
}
