import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** File name of the database inside a data directory. */
export const DATABASE_FILE = 'parley.db';

/**
 * Open the embedded store: in memory for ':memory:', else `DIR/parley.db` (the directory is
 * created if missing).
 * @example const store = openStore('./.parley'); // ./.parley/parley.db
 */
export function openStore(dataDir: string): Store {
  if (dataDir === ':memory:') return new SqliteStore(':memory:');
  mkdirSync(dataDir, { recursive: true });
  return new SqliteStore(join(dataDir, DATABASE_FILE));
}
