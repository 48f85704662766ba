/**
 * The data directory holds the project secrets (`parley.db`), so it is private to the user that
 * runs the server whatever the umask: the directory 700, the database and its `-wal` and `-shm`
 * files 600. An existing directory that others can read is tightened (and the caller told, so it
 * can log it): the alternative, warning and carrying on, would leave the secret readable.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Mode of the data directory: owner only. */
export const DATA_DIR_MODE = 0o700;
/** Mode of the database file and SQLite's `-wal` and `-shm` files beside it. */
export const DATABASE_FILE_MODE = 0o600;

/** The data directory cannot be created or used; the message names its absolute path. */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
  /** The absolute path of the data directory. */
  readonly path: string;

  constructor(path: string, what: string, options?: { cause?: unknown }) {
    super(`data dir ${path}: ${what}`, options);
    this.path = path;
  }
}

function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function describe(err: unknown): string {
  const code = errnoCode(err);
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOTDIR') return 'a parent is not a directory';
  if (code === 'ENOENT') return 'cannot be created here';
  return err instanceof Error ? err.message : String(err);
}

/**
 * `mkdir -p` without `mkdirSync({ recursive: true })`: Node's recursive mkdir loops forever at
 * 100% CPU where mkdir answers ENOENT although the parent exists (`/proc/x`: procfs refuses new
 * entries that way). Here each level is tried once; a second ENOENT is an error.
 */
function makeDir(dir: string, mode: number): void {
  try {
    mkdirSync(dir, { mode });
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') return;
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    makeDir(parent, 0o777); // parents get the usual umask-filtered mode, like mkdir -p
    mkdirSync(dir, { mode });
  }
}

/**
 * Create the data directory (700) if missing, or tighten an existing one to 700.
 * @returns its absolute path, and the mode it had when it was looser than 700 (else undefined)
 * @throws DataDirError naming the absolute path when it cannot be created or used
 * @example const { path } = prepareDataDir('./.parley'); // '/home/me/app/.parley'
 */
export function prepareDataDir(dataDir: string): { path: string; loosenedMode: number | undefined } {
  const path = resolve(dataDir);
  try {
    makeDir(path, DATA_DIR_MODE);
  } catch (err) {
    throw new DataDirError(path, describe(err), { cause: err });
  }
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isDirectory()) throw new DataDirError(path, 'exists and is not a directory');
    mode = st.mode & 0o777;
    if (mode !== DATA_DIR_MODE) chmodSync(path, DATA_DIR_MODE);
  } catch (err) {
    if (err instanceof DataDirError) throw err;
    throw new DataDirError(path, `cannot make it private (chmod 700): ${describe(err)}`, { cause: err });
  }
  return { path, loosenedMode: (mode & 0o077) !== 0 ? mode : undefined };
}

/**
 * Create the database file 600 before SQLite opens it (SQLite then gives its `-wal` and `-shm`
 * files the database file's mode), and set 600 on all three where they already exist.
 * @throws DataDirError naming the path when the file cannot be created
 */
export function secureDatabaseFiles(dbPath: string): void {
  try {
    closeSync(openSync(dbPath, 'a', DATABASE_FILE_MODE));
    for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
      if (existsSync(f)) chmodSync(f, DATABASE_FILE_MODE);
    }
  } catch (err) {
    throw new DataDirError(dirname(dbPath), `cannot create ${dbPath}: ${describe(err)}`, { cause: err });
  }
}
