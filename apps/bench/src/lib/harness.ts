/** Starting server and load processes for a scenario, and always stopping them. */
import { sleep } from './clock.js';
import { Worker } from './rpc.js';
import type { ServerInfo, ServerStats, SystemName } from '../systems/types.js';

export interface RunOptions {
  quick: boolean;
  /** --rates=7000,8000: fan-out rates to try instead of the sweep (for profiling one rate) */
  rates?: number[];
  /** --cpu-prof the Parley server during fan-out, profiles into this directory */
  profileDir?: string;
  /** --forwarders=werift,datachannel: the media scenario's forwarder candidates (default both) */
  forwarders?: ('werift' | 'datachannel')[];
}

export interface ServerHandle {
  worker: Worker;
  info: ServerInfo;
  stats(gc?: boolean): Promise<ServerStats>;
  rooms(count: number): Promise<string[]>;
}

const SERVER_FILE = new URL('../server-worker.js', import.meta.url);
const LOAD_FILE = new URL('../load-worker.js', import.meta.url);

let profileRoot: string | undefined;
/** --profile: the scenarios profile their measured phase (see {@link profilePhase}) into `dir`. */
export function profileInto(dir: string | undefined): void {
  profileRoot = dir;
}

export async function withServer<T>(
  system: SystemName,
  fn: (s: ServerHandle) => Promise<T>,
  opts: { parley?: unknown; cpuProfDir?: string } = {},
): Promise<T> {
  const execArgv = ['--expose-gc'];
  if (opts.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}/server-${system}`);
  const worker = new Worker(SERVER_FILE, {
    name: `server:${system}`,
    execArgv,
    args: [system, JSON.stringify(opts.parley ?? {})],
  });
  try {
    const info = (await Promise.race([
      worker.ready,
      new Promise((_, rej) =>
        setTimeout(() => {
          rej(new Error(`server ${system} did not start in 15 s`));
        }, 15_000),
      ),
    ])) as ServerInfo;
    return await fn({
      worker,
      info,
      stats: (gc = false) => worker.call<ServerStats>('stats', { gc }),
      rooms: (count) => worker.call<string[]>('createRooms', { count }, 300_000),
    });
  } finally {
    await worker.stop(opts.cpuProfDir ? 30_000 : 10_000);
  }
}

export async function withLoads<T>(
  count: number,
  fn: (w: Worker[]) => Promise<T>,
  opts: { cpuProfDir?: string } = {},
): Promise<T> {
  const execArgv = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}/load`] : [];
  const workers = Array.from({ length: count }, (_, i) => new Worker(LOAD_FILE, { name: `load${i}`, execArgv }));
  try {
    await Promise.all(workers.map((w) => w.ready));
    return await fn(workers);
  } finally {
    await Promise.all(workers.map((w) => w.stop(opts.cpuProfDir ? 30_000 : 5000)));
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

/**
 * --profile: profile one phase (e.g. the storm itself, not the joins before it) in the given
 * processes; returns a function that stops and writes `<dir>/<label>-<name>.cpuprofile`.
 * Does nothing without --profile.
 */
export async function profilePhase(label: string, workers: readonly Worker[]): Promise<() => Promise<void>> {
  const dir = profileRoot;
  if (dir === undefined) return async () => {};
  await Promise.all(workers.map((w) => w.call('prof.start')));
  return async () => {
    await Promise.all(
      workers.map((w) =>
        w.call(
          'prof.stop',
          { file: `${dir}/phase/${label}-${w.name.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile` },
          60_000,
        ),
      ),
    );
  };
}

/** The i-th worker (or item); throws instead of handing back undefined. */
export function at<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error(`no item ${i} (of ${xs.length})`);
  return x;
}

/**
 * A rate sweep (fan-out and cluster): `step` runs one rate; a failing step is tried once more
 * (one noisy step on a shared machine) and the sweep stops when it fails again (at once with
 * --quick). Resolves with the last passing step's result, or null when none passed.
 */
export async function sweep<T extends { ok: boolean }>(
  rates: readonly number[],
  quick: boolean,
  step: (rate: number) => Promise<T>,
): Promise<T | null> {
  let passed: T | null = null;
  for (const rate of rates) {
    let res = await step(rate);
    if (!res.ok && !quick) {
      await sleep(1000);
      res = await step(rate);
    }
    if (!res.ok) break;
    passed = res;
    await sleep(200);
  }
  return passed;
}
