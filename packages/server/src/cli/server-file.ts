/**
 * `DIR/server.json`: how `parley session create` finds the server that uses a data dir. Written
 * (mode 600) by `parley serve` once it listens, removed when it stops cleanly. A server that was
 * killed leaves it behind; the CLI then finds nobody answering at its URL and says so.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File name inside the data dir. */
export const SERVER_FILE = 'server.json';

/** What a running server tells the CLI. */
export interface ServerFile {
  /** Base URL the CLI can reach (a loopback address when the server listens on every interface). */
  readonly url: string;
  /** API key of the project the server's banner printed (the CLI's default project). */
  readonly apiKey: string | undefined;
  readonly pid: number;
}

/**
 * A URL this machine can reach for a server bound to `host`: a wildcard bind is reached on loopback.
 * @param scheme - `https` when the server serves TLS itself
 */
export function localUrl(host: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  if (host === '0.0.0.0') return `${scheme}://127.0.0.1:${port}`;
  if (host === '::' || host === '[::]') return `${scheme}://[::1]:${port}`;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function writeServerFile(dataDir: string, info: ServerFile): void {
  writeFileSync(join(dataDir, SERVER_FILE), `${JSON.stringify(info)}\n`, { mode: 0o600 });
}

/** @returns the file's contents, or undefined when there is none (or it is not ours to read) */
export function readServerFile(dataDir: string): ServerFile | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, SERVER_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const o = JSON.parse(text) as Partial<ServerFile>;
    if (typeof o.url !== 'string' || typeof o.pid !== 'number') return undefined;
    return { url: o.url, pid: o.pid, apiKey: typeof o.apiKey === 'string' ? o.apiKey : undefined };
  } catch {
    return undefined;
  }
}

/** Remove the file if it is still this process's (another server may have started on the same dir since). */
export function removeServerFile(dataDir: string, pid: number): void {
  if (readServerFile(dataDir)?.pid === pid) rmSync(join(dataDir, SERVER_FILE), { force: true });
}
