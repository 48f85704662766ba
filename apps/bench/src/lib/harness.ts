/** Starting server and load processes for a scenario, and always stopping them. */
import { Worker } from './rpc.js';
import type { ServerInfo, ServerStats, SystemName } from '../systems/types.js';

export interface RunOptions {
  quick: boolean;
  /** --cpu-prof the Parley server during fan-out, profiles into this directory */
  profileDir?: string;
}

export interface ServerHandle {
  worker: Worker;
  info: ServerInfo;
  stats(gc?: boolean): Promise<ServerStats>;
  rooms(count: number): Promise<string[]>;
}

const SERVER_FILE = new URL('../server-worker.js', import.meta.url);
const LOAD_FILE = new URL('../load-worker.js', import.meta.url);

export async function withServer<T>(
  system: SystemName,
  fn: (s: ServerHandle) => Promise<T>,
  opts: { parley?: unknown; cpuProfDir?: string } = {},
): Promise<T> {
  const execArgv = ['--expose-gc'];
  if (opts.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  const worker = new Worker(SERVER_FILE, { name: `server:${system}`, execArgv, args: [system, JSON.stringify(opts.parley ?? {})] });
  try {
    const info = (await Promise.race([
      worker.ready,
      new Promise((_, rej) => setTimeout(() => rej(new Error(`server ${system} did not start in 15 s`)), 15_000)),
    ])) as ServerInfo;
    return await fn({
      worker,
      info,
      stats: (gc = false) => worker.call<ServerStats>('stats', { gc }),
      rooms: (count) => worker.call<string[]>('createRooms', { count }, 300_000),
    });
  } finally {
    await worker.stop(10_000);
  }
}

export async function withLoads<T>(count: number, fn: (w: Worker[]) => Promise<T>): Promise<T> {
  const workers = Array.from({ length: count }, (_, i) => new Worker(LOAD_FILE, { name: `load${i}` }));
  try {
    await Promise.all(workers.map((w) => w.ready));
    return await fn(workers);
  } finally {
    await Promise.all(workers.map((w) => w.stop(5000)));
  }
}

/** Server CPU over a window, as a percentage of one core. */
export function cpuPercent(a: ServerStats, b: ServerStats): number {
  const ms = b.cpuUserMs + b.cpuSystemMs - (a.cpuUserMs + a.cpuSystemMs);
  return Math.round((ms / (b.at - a.at)) * 1000) / 10;
}

const T0 = Date.now();
export function log(line: string): void {
  process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
}
