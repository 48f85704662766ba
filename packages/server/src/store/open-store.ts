import { join } from 'node:path';
import { prepareDataDir, secureDatabaseFiles } from './data-dir.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** File name of the database inside a data directory. */
export const DATABASE_FILE = 'parley.db';

/**
 * Open the embedded store: in memory for ':memory:', else `DIR/parley.db`. The directory is
 * created if missing and kept private (700; the database files 600: see data-dir.ts); `log` is
 * told when an existing directory had to be tightened.
 * @throws DataDirError naming the directory's absolute path when it cannot be created or used
 * @example const store = openStore('./.parley'); // ./.parley/parley.db
 */
export function openStore(dataDir: string, log: (line: string) => void = () => {}): Store {
  if (dataDir === ':memory:') return new SqliteStore(':memory:');
  const { path, loosenedMode } = prepareDataDir(dataDir);
  if (loosenedMode !== undefined) {
    log(`data dir ${path} was readable by others (mode ${loosenedMode.toString(8)}); made it 700`);
  }
  const dbPath = join(path, DATABASE_FILE);
  secureDatabaseFiles(dbPath);
  const store = new SqliteStore(dbPath);
  // The WAL and SHM files exist now (WAL mode); SQLite gave them the database file's mode, but
  // make sure whatever an older version created is private too.
  secureDatabaseFiles(dbPath);
  return store;
}
